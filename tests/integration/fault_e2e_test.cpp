// Faults end to end (docs/mqtt.md §2.9, docs/protocol.md §14.1): the simulator raises and clears a
// fault of fault[0..3].flt at run time; the real rct2mqtt shows it in words on inverter/faults,
// publishes one event per change on inverter/fault_event, and each new entry of the inverter's
// event table once on inverter/event_log, not again after a restart. Observed with mosquitto_sub;
// every wait has a deadline; nothing sleeps.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/fault_words.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using nlohmann::json;
using namespace rct::test::e2e;

namespace {

// Waits, with a deadline, until the simulator's sent log satisfies `pred`.
bool wait_simulator(World& w, const std::function<bool()>& pred, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    w.sub->pump(100ms);
  }
  return true;
}

std::size_t fault_word_replies(World& w) {
  const auto sent = w.sim->sent();
  return static_cast<std::size_t>(
      std::count_if(sent.begin(), sent.end(), [](const rct::sim::SentReply& r) {
        return r.intact && r.requested_oid == rct::kFaultWordOids[3];
      }));
}

// The fault events on `topic` as "raised 90".
std::vector<std::string> fault_events(const std::vector<Line>& lines, const std::string& topic) {
  std::vector<std::string> out;
  for (const Line& l : lines) {
    if (l.topic != topic) continue;
    CHECK_FALSE(l.retained);
    const json j = json::parse(l.payload);
    out.push_back(j.at("event_type").get<std::string>() + " " +
                  std::to_string(j.at("fault").get<unsigned>()));
  }
  return out;
}

std::vector<json> event_log_entries(const std::vector<Line>& lines, const std::string& topic) {
  std::vector<json> out;
  for (const Line& l : lines) {
    if (l.topic == topic) out.push_back(json::parse(l.payload));
  }
  return out;
}

bool is_event(const Line& l, const std::string& topic, const std::string& type, unsigned fault) {
  if (l.topic != topic) return false;
  const json j = json::parse(l.payload, nullptr, false);
  return !j.is_discarded() && j.value("event_type", "") == type && j.value("fault", 0u) == fault;
}

bool is_entry(const Line& l, const std::string& topic, const std::string& name) {
  if (l.topic != topic) return false;
  const json j = json::parse(l.payload, nullptr, false);
  return !j.is_discarded() && j.value("name", "") == name;
}

// Raises and clears `fault` and waits for its words, its two events and its event-table entry.
void raise_and_clear(World& w, const std::string& base, unsigned fault,
                     const std::string& entry_name) {
  const std::string faults = base + "faults";
  const std::string events = base + "fault_event";
  std::size_t from = w.sub->lines().size();
  SwitchableSimulator::apply(w.sim->set_device_fault(fault, true));
  REQUIRE(w.sub->wait_line(faults, rct::fault_name(fault), 20s, from));
  REQUIRE(
      w.sub->wait([&](const Line& l) { return is_event(l, events, "raised", fault); }, 20s, from));

  from = w.sub->lines().size();
  SwitchableSimulator::apply(w.sim->set_device_fault(fault, false));
  REQUIRE(w.sub->wait_line(faults, "none", 20s, from));
  REQUIRE(
      w.sub->wait([&](const Line& l) { return is_event(l, events, "cleared", fault); }, 20s, from));
  REQUIRE(w.sub->wait([&](const Line& l) { return is_entry(l, base + "event_log", entry_name); },
                      20s, from));
  // A few more complete readings of the words, which must not repeat an event.
  const std::size_t replies = fault_word_replies(w);
  REQUIRE(wait_simulator(
      w, [&] { return fault_word_replies(w) >= replies + 3; }, 20s));
}

}  // namespace

TEST_CASE(
    "a fault raised and cleared gives one event each and one event table entry, "
    "not repeated after a restart",
    "[e2e][faults]") {
  World w(intervals("1", "1"));
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string base = "rct2mqtt/" + serial + "/inverter/";
  const std::string events = base + "fault_event";
  const std::string log = base + "event_log";

  REQUIRE(w.sub->wait_line(base + "faults", "none", 20s));
  const std::string device_topic = "homeassistant/device/rct2mqtt_" + serial + "/config";
  const auto discovery = w.sub->wait(
      [&](const Line& l) {
        return l.topic == device_topic &&
               l.payload.find("\"inverter_fault_event\"") != std::string::npos &&
               l.payload.find("\"inverter_fault_raised\"") != std::string::npos;
      },
      20s);
  REQUIRE(discovery);

  raise_and_clear(w, base, 90, "NO_GRID");
  auto lines = w.sub->lines();
  CHECK(fault_events(lines, events) == std::vector<std::string>{"raised 90", "cleared 90"});
  const auto no_grid = [](const json& e) { return e.value("name", "") == "NO_GRID"; };
  std::vector<json> entries = event_log_entries(lines, log);
  // The simulator's own history has grid losses too: the one of this fault is the newest.
  REQUIRE_FALSE(entries.empty());
  CHECK(no_grid(entries.back()));
  CHECK(entries.back().contains("end"));
  const std::size_t published_before_restart = entries.size();

  // A restart reads the table again and publishes nothing it published before.
  stop_daemon(*daemon);
  const std::size_t restart = w.sub->lines().size();
  daemon = w.start();
  REQUIRE(w.sub->wait_line("rct2mqtt/" + serial + "/status", "online", 20s, restart));
  raise_and_clear(w, base, 107, "CAN_TIMEOUT");

  lines = w.sub->lines();
  CHECK(fault_events(lines, events) ==
        std::vector<std::string>{"raised 90", "cleared 90", "raised 107", "cleared 107"});
  entries = event_log_entries(lines, log);
  REQUIRE(entries.size() == published_before_restart + 1);
  CHECK(entries.back().value("name", "") == "CAN_TIMEOUT");
  std::set<std::string> distinct;
  for (const json& e : entries) distinct.insert(e.dump());
  CHECK(distinct.size() == entries.size());

  require_every_state(*w.sub);
  check_home_assistant_view(w.sub->lines(), w.dir.path());
  stop_daemon(*daemon);
}
