#include "daemon/event_log_reader.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "daemon/persistent_state.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::EventEntry;
using rct::EventTable;
using rct::daemon::EventLogPosition;
using rct::daemon::EventLogReader;
using rct::daemon::Instant;
using rct::daemon::WallTime;

namespace {

const Instant kLogT0 = Instant{} + 500h;
// 2026-12-05 00:00:00 UTC.
const WallTime kLogWall = WallTime{} + std::chrono::seconds{1796428800};
constexpr std::uint32_t kLogWallSeconds = 1796428800;

EventEntry log_entry(std::uint32_t type, std::uint32_t time, std::uint32_t e2 = 0,
                     std::uint32_t e3 = 0, std::uint32_t e4 = 0) {
  return EventEntry{type, time, e2, e3, e4};
}

}  // namespace

TEST_CASE("the first event table read takes the newest page and publishes each entry once",
          "[event_log]") {
  EventLogReader reader(std::nullopt);
  CHECK_FALSE(reader.next_due().has_value());
  CHECK_FALSE(reader.take_due(kLogT0, kLogWall).has_value());  // not wanted yet

  reader.want(kLogT0);
  CHECK(reader.next_due() == kLogT0);
  const auto q = reader.take_due(kLogT0, kLogWall);
  REQUIRE(q);
  CHECK(q->single_page);
  CHECK(q->from == 0);
  CHECK(q->to == kLogWallSeconds + 86400);
  CHECK(reader.querying());
  CHECK_FALSE(reader.take_due(kLogT0, kLogWall).has_value());  // one at a time

  // Every entry of the page is new, each once.
  EventTable table;
  table.entries = {log_entry(0x5A, kLogWallSeconds - 90000, kLogWallSeconds - 89900, 3),
                   log_entry(0x76, kLogWallSeconds - 3600, kLogWallSeconds - 3500),
                   log_entry(0x5A, kLogWallSeconds - 600, kLogWallSeconds - 500, 3),
                   log_entry(0x5A, kLogWallSeconds - 600, kLogWallSeconds - 500, 3)};
  const auto fresh = reader.on_answer(table, kLogT0 + 1s);
  REQUIRE(fresh.size() == 3);
  CHECK(fresh[0].timestamp == kLogWallSeconds - 90000);
  CHECK(fresh[1].type == 0x76);
  CHECK(fresh[2].type == 0x5A);
  REQUIRE(reader.position());
  CHECK(reader.position()->time == kLogWallSeconds - 600);
  CHECK(reader.position()->at_time.size() == 1);

  // The same table again (a reconnect): nothing new; an entry at the same second that was not
  // there before is new.
  reader.want(kLogT0 + 10s);
  const auto again = reader.take_due(kLogT0 + 10s, kLogWall + 10s);
  REQUIRE(again);
  CHECK_FALSE(again->single_page);
  CHECK(again->from == kLogWallSeconds - 600);
  CHECK(reader.on_answer(table, kLogT0 + 11s).empty());
  table.entries.push_back(log_entry(0x73, kLogWallSeconds - 600, 0x8FC89B10, 0, 5));
  table.entries.push_back(log_entry(0x59, kLogWallSeconds - 60, kLogWallSeconds - 30));
  reader.want(kLogT0 + 20s);
  REQUIRE(reader.take_due(kLogT0 + 20s, kLogWall + 20s));
  const auto more = reader.on_answer(table, kLogT0 + 21s);
  REQUIRE(more.size() == 2);
  CHECK(more[0].type == 0x73);
  CHECK(more[1].type == 0x59);
  CHECK(reader.position()->time == kLogWallSeconds - 60);
}

TEST_CASE("a persisted event table position means a restart publishes nothing already seen",
          "[event_log]") {
  const EventLogPosition seen{1000, {{0x5A, 1100, 3, 0}}};
  EventLogReader reader(seen);
  reader.want(kLogT0);
  const auto q = reader.take_due(kLogT0, kLogWall);
  REQUIRE(q);
  CHECK(q->from == 1000);
  EventTable table;
  table.entries = {log_entry(0x76, 900, 950), log_entry(0x5A, 1000, 1100, 3),
                   log_entry(0x6B, 2000, 2100)};
  const auto fresh = reader.on_answer(table, kLogT0);
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0].type == 0x6B);
  CHECK(reader.position() == EventLogPosition{2000, {{0x6B, 2100, 0, 0}}});
}

TEST_CASE("a failed event table read is retried a minute later, a want while out after the answer",
          "[event_log]") {
  EventLogReader reader(std::nullopt);
  reader.want(kLogT0);
  REQUIRE(reader.take_due(kLogT0, kLogWall));
  reader.on_failed(kLogT0 + 2s);
  CHECK_FALSE(reader.querying());
  CHECK(reader.next_due() == kLogT0 + 2s + EventLogReader::kRetryAfter);
  CHECK_FALSE(reader.take_due(kLogT0 + 30s, kLogWall).has_value());
  REQUIRE(reader.take_due(kLogT0 + 62s, kLogWall + 62s));

  // Wanted again while the query is out: read again right after the answer.
  reader.want(kLogT0 + 63s);
  CHECK_FALSE(reader.next_due().has_value());
  CHECK(reader.on_answer(EventTable{}, kLogT0 + 64s).empty());
  CHECK(reader.next_due() == kLogT0 + 64s);
  // An empty first read fixes no position: the next read is the newest page again.
  CHECK_FALSE(reader.position().has_value());
  const auto next = reader.take_due(kLogT0 + 64s, kLogWall + 64s);
  REQUIRE(next);
  CHECK(next->single_page);
}

TEST_CASE("an event table entry is published as JSON with times, code, name and elements",
          "[event_log]") {
  // The documented grid loss from 1699980000 to 1699980100, case 3.
  const auto j = nlohmann::json::parse(
      rct::daemon::event_log_entry_payload(log_entry(0x5A, 1699980000, 1699980100, 3)));
  CHECK(j == nlohmann::json{{"time", "2023-11-14T16:40:00"},
                            {"timestamp", 1699980000},
                            {"type", 90},
                            {"code", "0x5A"},
                            {"name", "NO_GRID"},
                            {"text", "grid lost"},
                            {"end", "2023-11-14T16:41:40"},
                            {"elements", {1699980100, 3, 0}}});
  // A point event has no end; an unknown type no name.
  const auto change = nlohmann::json::parse(
      rct::daemon::event_log_entry_payload(log_entry(0x73, 1699979760, 0x8FC89B10, 0, 5)));
  CHECK_FALSE(change.contains("end"));
  CHECK(change.at("name") == "PRM_CHANGE");
  const auto unknown =
      nlohmann::json::parse(rct::daemon::event_log_entry_payload(log_entry(0x145, 1000, 0)));
  CHECK(unknown.at("type") == 0x45);
  CHECK(unknown.at("code") == "0x45");
  CHECK_FALSE(unknown.contains("name"));
}

TEST_CASE("the state file keeps the last fault words and the event table position",
          "[event_log][state_file]") {
  rct::daemon::PersistentState state;
  rct::daemon::InverterRecord& rec = state.inverters["sn1"];
  rec.fault_words = rct::FaultWords{1u << 25, 0, 1u << 26, 0};
  rec.event_log = EventLogPosition{1699980000, {{0x5A, 1699980100, 3, 0}, {0x73, 1, 2, 3}}};
  state.inverters["sn2"];  // neither known
  const std::string text = rct::daemon::state_to_json(state);
  const auto back = rct::daemon::state_from_json(text);
  REQUIRE(back.ok());
  CHECK(back.value() == state);
  CHECK(nlohmann::json::parse(text).at("inverters").at("sn1").at("fault_words") ==
        nlohmann::json::array({1u << 25, 0, 1u << 26, 0}));
  CHECK_FALSE(nlohmann::json::parse(text).at("inverters").at("sn2").contains("event_log"));
}
