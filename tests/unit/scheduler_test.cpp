#include "daemon/scheduler.h"

#include <algorithm>
#include <deque>
#include <map>
#include <set>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::Instant;
using rct::daemon::PollClass;
using rct::daemon::PollItem;
using rct::daemon::Scheduler;

namespace {

const Instant kStart = Instant{} + 1000h;  // arbitrary virtual start time

PollItem item(std::uint32_t oid, rct::Millis interval, PollClass c = PollClass::kSlow,
              bool inventory = false) {
  PollItem i;
  i.oid = oid;
  i.interval = interval;
  i.poll_class = c;
  i.inventory = inventory;
  return i;
}

// A fake inverter link in virtual time: a window of `window` requests, each answered after
// `rtt`. Records every send; fails the test if the scheduler hands out an OID in flight.
struct Link {
  Link(Scheduler& s, std::size_t w = 1, rct::daemon::Duration r = 150ms)
      : scheduler(s), window(w), rtt(r) {}
  Scheduler& scheduler;
  std::size_t window;
  rct::daemon::Duration rtt;
  std::map<std::uint32_t, std::vector<Instant>> sends;
  std::vector<std::pair<Instant, std::uint32_t>> log;       // every send in order
  std::deque<std::pair<Instant, std::uint32_t>> in_flight;  // answer time, oid
  bool handed_out_in_flight = false;

  void run_until(Instant& now, Instant end) {
    while (now < end) {
      while (!in_flight.empty() && in_flight.front().first <= now) {
        scheduler.on_complete(in_flight.front().second);
        in_flight.pop_front();
      }
      if (in_flight.size() < window) {
        for (std::uint32_t oid : scheduler.take_due(now, window - in_flight.size())) {
          for (const auto& f : in_flight) handed_out_in_flight |= f.second == oid;
          in_flight.emplace_back(now + rtt, oid);
          sends[oid].push_back(now);
          log.emplace_back(now, oid);
        }
      }
      Instant next = end;
      if (!in_flight.empty()) next = std::min(next, in_flight.front().first);
      if (in_flight.size() < window) {
        if (auto due = scheduler.next_due()) next = std::min(next, std::max(*due, now));
      }
      if (next <= now) {
        // Something is due now but nothing could be taken: only possible when the window is
        // full, which the branch above excludes.
        FAIL("scheduler reports work due now but hands out nothing");
      }
      now = next;
    }
  }
};

}  // namespace

TEST_CASE("polling is drift-free over hours of virtual time, within budget, never twice in flight",
          "[scheduler]") {
  Scheduler scheduler({5.0, 1});
  std::vector<PollItem> items;
  for (std::uint32_t i = 0; i < 3; ++i)
    items.push_back(item(100 + i, 3600s, PollClass::kStatic, true));
  for (std::uint32_t i = 0; i < 15; ++i) items.push_back(item(200 + i, 10s, PollClass::kFast));
  for (std::uint32_t i = 0; i < 60; ++i) items.push_back(item(300 + i, 60s, PollClass::kSlow));
  for (std::uint32_t i = 0; i < 5; ++i) items.push_back(item(400 + i, 0s, PollClass::kStatic));
  Instant now = kStart;
  scheduler.set_items(items, now);
  Link link{scheduler};
  const auto hours = 6h;
  link.run_until(now, kStart + hours);

  CHECK_FALSE(link.handed_out_in_flight);
  // Inventory first.
  REQUIRE(link.log.size() > 3);
  for (int i = 0; i < 3; ++i) CHECK(link.log[i].second / 100 == 1);

  // Budget: at most one request per 200 ms (burst 1).
  for (std::size_t i = 1; i < link.log.size(); ++i) {
    INFO("send " << i);
    REQUIRE(link.log[i].first - link.log[i - 1].first >= 200ms);
  }

  // Drift-free: the k-th read of an OID happens in its k-th slot [first + k·I, first + (k+1)·I),
  // and after the start-up queue (83 values at 5/s take ~17 s) within 5 s of its start: the
  // lateness does not grow over the hours.
  for (const PollItem& it : items) {
    INFO("oid " << it.oid);
    const auto& s = link.sends[it.oid];
    if (it.interval == 0s) {
      CHECK(s.size() == 1);
      continue;
    }
    const auto interval = std::chrono::duration_cast<rct::daemon::Duration>(it.interval);
    const auto expected = hours / interval;
    CHECK(static_cast<long>(s.size()) >= expected);
    CHECK(static_cast<long>(s.size()) <= expected + 1);
    for (std::size_t k = 0; k < s.size(); ++k) {
      const Instant slot = s.front() + interval * static_cast<long>(k);
      INFO("read " << k);
      REQUIRE(s[k] >= slot);
      REQUIRE(s[k] - slot < interval);
      if (slot - kStart >= 60s) REQUIRE(s[k] - slot < 5s);
    }
  }
}

TEST_CASE("under overload the budget is used in full, without catch-up reads or starvation",
          "[scheduler]") {
  // 60 values every 10 s want 6 frames/s; the budget is 5.
  Scheduler scheduler({5.0, 1});
  std::vector<PollItem> items;
  for (std::uint32_t i = 0; i < 60; ++i) items.push_back(item(i + 1, 10s, PollClass::kFast));
  Instant now = kStart;
  scheduler.set_items(items, now);
  Link link{scheduler, 4, 100ms};
  const auto span = 2h;
  link.run_until(now, kStart + span);

  CHECK_FALSE(link.handed_out_in_flight);
  const double seconds = std::chrono::duration<double>(span).count();
  CHECK(static_cast<double>(link.log.size()) <= 5.0 * seconds + 1);
  CHECK(static_cast<double>(link.log.size()) >= 4.9 * seconds);
  for (const auto& [oid, sends] : link.sends) {
    INFO("oid " << oid);
    // Never more reads than the interval asks for (no catch-up), and a fair share of the
    // budget: 5/6 of the wanted reads, give or take.
    CHECK(static_cast<double>(sends.size()) <= seconds / 10.0 + 1);
    CHECK(static_cast<double>(sends.size()) >= 0.8 * seconds / 10.0);
  }
}

TEST_CASE("after an outage every value is read once, not once per missed slot", "[scheduler]") {
  Scheduler scheduler({100.0, 100});
  std::vector<PollItem> items = {item(1, 3600s, PollClass::kStatic, true), item(2, 10s),
                                 item(3, 60s), item(4, 0s, PollClass::kStatic)};
  Instant now = kStart;
  scheduler.set_items(items, now);
  Link link(scheduler, 4, 100ms);
  link.run_until(now, kStart + 30s);
  CHECK(link.sends[2].size() == 3);
  // The link is down for five minutes: nothing is taken, then the connection is back.
  now = kStart + 330s;
  scheduler.on_reconnect(now);
  link.sends.clear();
  link.run_until(now, kStart + 335s);
  CHECK(link.sends[1].size() == 1);  // inventory again
  CHECK(link.sends[2].size() == 1);  // once, not 30 times
  CHECK(link.sends[3].size() == 1);
  CHECK(link.sends[4].size() == 1);  // read-once values are re-read after a reconnect
  link.run_until(now, kStart + 400s);
  CHECK(link.sends[2].size() == 7);  // every 10 s again
  CHECK(link.sends[3].size() == 2);
  CHECK(link.sends[4].size() == 1);
}

TEST_CASE("a burst setting lets that many requests out back to back", "[scheduler]") {
  Scheduler scheduler({2.0, 3});
  std::vector<PollItem> items;
  for (std::uint32_t i = 0; i < 10; ++i) items.push_back(item(i + 1, 60s));
  scheduler.set_items(items, kStart);
  CHECK(scheduler.take_due(kStart, 10).size() == 3);
  CHECK(scheduler.take_due(kStart, 10).empty());
  const auto next = scheduler.next_due();
  REQUIRE(next.has_value());
  CHECK(*next == kStart + 500ms);
  CHECK(scheduler.take_due(kStart + 499ms, 10).empty());
  CHECK(scheduler.take_due(kStart + 500ms, 10).size() == 1);
}

TEST_CASE("a new budget set on reload governs the following requests", "[scheduler]") {
  // 100 values every 10 s want 10 frames/s: the budget is the limit throughout.
  Scheduler scheduler({2.0, 1});
  std::vector<PollItem> items;
  for (std::uint32_t i = 0; i < 100; ++i) items.push_back(item(i + 1, 10s, PollClass::kFast));
  Instant now = kStart;
  scheduler.set_items(items, now);
  Link link{scheduler, 1, 10ms};
  link.run_until(now, kStart + 60s);
  const std::size_t before = link.log.size();
  CHECK(before <= 2 * 60 + 1);
  CHECK(before >= 2 * 60 - 2);

  scheduler.set_settings({8.0, 1});
  link.run_until(now, kStart + 120s);
  const std::size_t after = link.log.size() - before;
  CHECK(after <= 8 * 60 + 1);
  CHECK(after >= 8 * 60 - 2);
  for (std::size_t i = before + 1; i < link.log.size(); ++i) {
    INFO("send " << i);
    REQUIRE(link.log[i].first - link.log[i - 1].first >= 125ms);
  }

  // A larger burst from a fresh start must not reach below the clock's range.
  Scheduler fresh({1.0, 1});
  fresh.set_settings({1.0, 4});
  fresh.set_items(items, kStart);
  CHECK(fresh.take_due(kStart, 10).size() == 4);
}

TEST_CASE("an OID in flight is not handed out again, even when its next slot passes",
          "[scheduler]") {
  Scheduler scheduler({100.0, 10});
  scheduler.set_items({item(7, 10s)}, kStart);
  REQUIRE(scheduler.take_due(kStart, 5) == std::vector<std::uint32_t>{7});
  CHECK(scheduler.is_in_flight(7));
  CHECK_FALSE(scheduler.next_due().has_value());
  CHECK(scheduler.take_due(kStart + 25s, 5).empty());  // slots at 10 s and 20 s pass
  scheduler.on_complete(7);
  // Slots missed while in flight: one read at once (not one per missed slot), then the grid
  // restarts at that read.
  CHECK(scheduler.take_due(kStart + 25s, 5) == std::vector<std::uint32_t>{7});
  scheduler.on_complete(7);
  CHECK(scheduler.next_due() == kStart + 35s);
  CHECK(scheduler.take_due(kStart + 34s, 5).empty());
  CHECK(scheduler.take_due(kStart + 35s, 5) == std::vector<std::uint32_t>{7});
  scheduler.on_complete(7);
  // A read late by less than an interval keeps the grid: due at 45 s, read at 49 s, next 55 s.
  CHECK(scheduler.take_due(kStart + 49s, 5) == std::vector<std::uint32_t>{7});
  scheduler.on_complete(7);
  CHECK(scheduler.next_due() == kStart + 55s);
}

TEST_CASE("the inventory is read first, at start and after every reconnect", "[scheduler]") {
  Scheduler scheduler({100.0, 100});
  std::vector<PollItem> items = {item(1, 3600s, PollClass::kStatic, true),
                                 item(2, 3600s, PollClass::kStatic, true), item(3, 10s),
                                 item(4, 0s, PollClass::kStatic), item(5, 60s)};
  scheduler.set_items(items, kStart);
  CHECK(scheduler.inventory_phase());
  CHECK(scheduler.take_due(kStart, 10) == std::vector<std::uint32_t>{1, 2});
  CHECK(scheduler.take_due(kStart, 10).empty());  // the others wait for the inventory
  scheduler.on_complete(1);
  CHECK(scheduler.take_due(kStart + 1s, 10).empty());
  scheduler.on_complete(2);  // a failed read completes as well
  CHECK_FALSE(scheduler.inventory_phase());
  const auto rest = scheduler.take_due(kStart + 2s, 10);
  CHECK(std::set<std::uint32_t>(rest.begin(), rest.end()) == std::set<std::uint32_t>{3, 4, 5});
  for (std::uint32_t oid : rest) scheduler.on_complete(oid);
  CHECK(scheduler.take_due(kStart + 5s, 10).empty());  // 4 was read once

  // Reconnect at 20 s with 3 in flight (its grid started at 2 s): in-flight is cleared, the
  // inventory comes first again, then the read-once value; 3 and 5 stay on their grids.
  CHECK(scheduler.take_due(kStart + 11s, 10).empty());
  CHECK(scheduler.take_due(kStart + 12s, 10) == std::vector<std::uint32_t>{3});
  scheduler.on_reconnect(kStart + 20s);
  CHECK(scheduler.in_flight() == 0);
  CHECK(scheduler.take_due(kStart + 20s, 10) == std::vector<std::uint32_t>{1, 2});
  scheduler.on_complete(1);
  scheduler.on_complete(2);
  CHECK(scheduler.take_due(kStart + 21s, 10) == std::vector<std::uint32_t>{4});
  const auto after = scheduler.take_due(kStart + 22s, 10);
  CHECK(after == std::vector<std::uint32_t>{3});
}

TEST_CASE("replacing the items keeps the grid of kept OIDs and applies new intervals",
          "[scheduler]") {
  Scheduler scheduler({100.0, 100});
  scheduler.set_items({item(1, 60s), item(2, 60s)}, kStart);
  CHECK(scheduler.take_due(kStart, 10).size() == 2);
  scheduler.on_complete(1);
  scheduler.on_complete(2);
  // At 5 s: 1 keeps 60 s, 2 becomes 10 s (due at most one new interval from now), 3 is new.
  scheduler.set_items({item(1, 60s), item(2, 10s), item(3, 30s)}, kStart + 5s);
  CHECK(scheduler.take_due(kStart + 5s, 10) == std::vector<std::uint32_t>{3});
  scheduler.on_complete(3);
  CHECK(scheduler.take_due(kStart + 15s, 10) == std::vector<std::uint32_t>{2});
  scheduler.on_complete(2);
  CHECK(scheduler.next_due() == kStart + 25s);
  CHECK(scheduler.take_due(kStart + 59s, 10).size() == 2);  // 2 (55 s) and 3 (35 s): not 1
  CHECK_FALSE(scheduler.is_in_flight(1));
  CHECK(scheduler.take_due(kStart + 60s, 10) == std::vector<std::uint32_t>{1});
  // A removed OID is forgotten; its late completion is ignored.
  scheduler.set_items({item(1, 60s)}, kStart + 61s);
  scheduler.on_complete(2);
  CHECK(scheduler.in_flight() == 1);
}
