#include "core/fault_words.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/registry.h"
#include "daemon/discovery.h"
#include "daemon/discovery_abbreviations.h"
#include "daemon/fault_sensor.h"
#include "daemon/poll_list.h"
#include "daemon/value_policy.h"
#include "tests/support/catch.h"
#include "tests/support/inventories.h"

using namespace std::chrono_literals;
using nlohmann::json;
using rct::FaultChange;
using rct::FaultWords;
using rct::daemon::Instant;
using rct::daemon::PollItem;
using rct::daemon::Publication;
using rct::test::complete_inventory;

namespace {

const Instant kFaultT0 = Instant{} + 9000h;

std::vector<PollItem> fault_items() {
  return rct::daemon::build_poll_list(rct::Config{}, rct::Registry{}, complete_inventory());
}

const PollItem& fault_item(const std::vector<PollItem>& items, std::size_t word) {
  for (const PollItem& i : items) {
    if (i.oid == rct::kFaultWordOids.at(word)) return i;
  }
  FAIL("fault word " << word << " is not polled");
  return items.front();
}

std::optional<std::string> fault_payload(const std::vector<Publication>& pubs,
                                         std::string_view key) {
  for (const Publication& p : pubs) {
    if (p.key == key) return p.payload;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("every one of the 128 fault numbers has a distinct name at word 32k + bit b",
          "[fault_words]") {
  std::set<std::string> names;
  for (unsigned n = 0; n < rct::kFaultNumberCount; ++n) {
    INFO("fault " << n);
    REQUIRE(rct::fault_text(n).has_value());
    CHECK_FALSE(rct::fault_text(n)->empty());
    names.insert(rct::fault_name(n));
  }
  CHECK(names.size() == 128);
  CHECK_FALSE(rct::fault_text(128).has_value());
  CHECK(rct::fault_name(129) == "unknown fault 129");
  CHECK(rct::fault_name(0) == "CPU trap");
  CHECK(rct::fault_name(25) == "insulation too low or implausible");
  CHECK(rct::fault_name(90) == "inverter disconnected from household grid");
  CHECK(rct::fault_name(127) == "neutral fault");

  CHECK(rct::active_faults(FaultWords{0, 0, 0, 0}).empty());
  CHECK(rct::active_faults(FaultWords{1u << 25, 1u << 0, 1u << 26, 1u << 31}) ==
        std::vector<unsigned>{25, 32, 90, 127});
  CHECK(rct::fault_word_index(0x3B7FCD47) == 2u);
  CHECK_FALSE(rct::fault_word_index(0x959930BF).has_value());
}

TEST_CASE("the fault summary joins the active names or says none", "[fault_words]") {
  CHECK(rct::fault_summary(FaultWords{}) == "none");
  CHECK(rct::fault_summary(FaultWords{1u << 25, 0, 1u << 26, 0}) ==
        "insulation too low or implausible, inverter disconnected from household grid");
  // Many faults: what fits in Home Assistant's 255 characters, then how many more.
  for (const FaultWords& many : {FaultWords{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF},
                                 FaultWords{0xFF, 0, 0, 0}, FaultWords{0x1FF, 0, 0, 0}}) {
    const std::string s = rct::fault_summary(many);
    INFO(s);
    CHECK(s.size() <= rct::kMaxFaultSummary);
    CHECK(s.starts_with("CPU trap, RTC cannot be configured"));
  }
  CHECK(rct::fault_summary(FaultWords{0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF})
            .ends_with(" more"));
}

TEST_CASE("fault changes list each cleared and each raised fault once", "[fault_words]") {
  CHECK(rct::fault_changes(FaultWords{}, FaultWords{}).empty());
  const FaultWords before{1u << 25, 0, 0, 0};
  const FaultWords after{0, 0, 1u << 26 | 1u << 0, 0};
  CHECK(rct::fault_changes(before, after) ==
        std::vector<FaultChange>{{25, false}, {64, true}, {90, true}});
  CHECK(rct::fault_changes(after, after).empty());
}

TEST_CASE("a fault[3] reading completes the set only with the three others read since the last",
          "[fault_sensor]") {
  rct::daemon::FaultPairing pairing;
  CHECK_FALSE(pairing.on_last_word(0).has_value());  // nothing else read yet
  pairing.on_word(0, 1);
  pairing.on_word(1, 2);
  CHECK_FALSE(pairing.on_last_word(4).has_value());  // word 2 missing
  pairing.on_word(0, 1);
  pairing.on_word(1, 2);
  pairing.on_word(2, 3);
  CHECK(pairing.on_last_word(4) == FaultWords{1, 2, 3, 4});
  // Used up: the next fault[3] reading needs fresh readings of the others.
  CHECK_FALSE(pairing.on_last_word(4).has_value());
  pairing.on_word(0, 1);
  pairing.on_word(1, std::nullopt);  // no integer: that word is not known
  pairing.on_word(2, 3);
  CHECK_FALSE(pairing.on_last_word(4).has_value());
  pairing.on_word(0, 1);
  pairing.on_word(1, 2);
  pairing.on_word(2, 3);
  CHECK_FALSE(pairing.on_last_word(std::nullopt).has_value());
}

TEST_CASE("the fault sensor publishes names and words only from four valid words",
          "[fault_sensor][value_policy]") {
  const auto items = fault_items();
  rct::daemon::ValuePolicy policy;
  const PollItem& last = fault_item(items, 3);
  // The sensor hangs on fault[3].
  REQUIRE(std::any_of(last.sensors.begin(), last.sensors.end(), [](const auto& s) {
    return s.key == rct::daemon::kFaultsKey &&
           s.json_attributes_key == "inverter/faults/attributes";
  }));

  // fault[3] alone: no state, no words to take.
  CHECK_FALSE(
      fault_payload(policy.on_reading(last, std::uint32_t{0}, kFaultT0), "inverter/faults"));
  CHECK_FALSE(policy.take_fault_words().has_value());

  // A word that is no integer keeps the set incomplete.
  policy.on_reading(fault_item(items, 0), std::uint32_t{0}, kFaultT0);
  policy.on_reading(fault_item(items, 1), 0.5f, kFaultT0);
  policy.on_reading(fault_item(items, 2), std::uint32_t{0}, kFaultT0);
  CHECK_FALSE(
      fault_payload(policy.on_reading(last, std::uint32_t{0}, kFaultT0), "inverter/faults"));

  policy.on_reading(fault_item(items, 0), std::uint32_t{1u << 25}, kFaultT0 + 60s);
  policy.on_reading(fault_item(items, 1), std::uint32_t{0}, kFaultT0 + 60s);
  policy.on_reading(fault_item(items, 2), std::uint32_t{1u << 26}, kFaultT0 + 60s);
  const auto pubs = policy.on_reading(last, std::uint32_t{0}, kFaultT0 + 60s);
  CHECK(fault_payload(pubs, "inverter/faults") ==
        "insulation too low or implausible, inverter disconnected from household grid");
  const auto attributes = fault_payload(pubs, "inverter/faults/attributes");
  REQUIRE(attributes);
  const json a = json::parse(*attributes);
  CHECK(a.at("words") == json::array({1u << 25, 0, 1u << 26, 0}));
  CHECK(a.at("faults") == json::array({25, 90}));
  CHECK(a.at("names").size() == 2);
  CHECK(a.at("unknown_faults") == json::array());
  CHECK(policy.take_fault_words() == FaultWords{1u << 25, 0, 1u << 26, 0});
  CHECK_FALSE(policy.take_fault_words().has_value());

  for (std::size_t k = 0; k < 3; ++k) {
    policy.on_reading(fault_item(items, k), std::uint32_t{0}, kFaultT0 + 120s);
  }
  CHECK(fault_payload(policy.on_reading(last, std::uint32_t{0}, kFaultT0 + 120s),
                      "inverter/faults") == "none");
}

TEST_CASE("fault events carry a listed type, the number, the name and the time", "[fault_sensor]") {
  const json raised = json::parse(
      rct::daemon::fault_event_payload(FaultChange{25, true}, "2026-12-05T00:00:00.000Z"));
  CHECK(raised == json{{"event_type", "raised"},
                       {"fault", 25},
                       {"name", "insulation too low or implausible"},
                       {"time", "2026-12-05T00:00:00.000Z"}});
  const json cleared = json::parse(rct::daemon::fault_event_payload(FaultChange{25, false}, "t"));
  CHECK(cleared.at("event_type") == "cleared");
  for (const json& e : {raised, cleared}) {
    const auto type = e.at("event_type").get<std::string>();
    CHECK(std::find(rct::daemon::kFaultEventTypes.begin(), rct::daemon::kFaultEventTypes.end(),
                    type) != rct::daemon::kFaultEventTypes.end());
  }
}

TEST_CASE("discovery announces the fault sensor, the event entity and two device triggers",
          "[fault_sensor][discovery]") {
  rct::daemon::DiscoverySettings settings;
  settings.base_topic = "rct2mqtt";
  const auto items = fault_items();
  const auto build = rct::daemon::build_discovery(settings, complete_inventory(), items, nullptr);
  REQUIRE(build.messages.size() == 1);
  const json payload = rct::daemon::expand_discovery(json::parse(build.messages.front().payload));
  const json& c = payload.at("components");
  const std::string topic = "rct2mqtt/0123456789/inverter/fault_event";

  REQUIRE(c.contains("inverter_faults"));
  CHECK(c.at("inverter_faults").at("state_topic") == "rct2mqtt/0123456789/inverter/faults");
  CHECK(c.at("inverter_faults").at("json_attributes_topic") ==
        "rct2mqtt/0123456789/inverter/faults/attributes");

  REQUIRE(c.contains("inverter_fault_event"));
  const json& event = c.at("inverter_fault_event");
  CHECK(event.at("platform") == "event");
  CHECK(event.at("state_topic") == topic);
  CHECK(event.at("event_types") == json::array({"raised", "cleared"}));

  for (const std::string type : {"raised", "cleared"}) {
    INFO(type);
    const std::string id = "inverter_fault_" + type;
    REQUIRE(c.contains(id));
    const json& t = c.at(id);
    CHECK(t.at("platform") == "device_automation");
    CHECK(t.at("automation_type") == "trigger");
    CHECK(t.at("topic") == topic);
    CHECK(t.at("type") == "fault_" + type);
    CHECK(t.at("payload") == type);
    CHECK(t.at("value_template") == "{{ value_json.event_type }}");
  }

  // Entity mode: the triggers get their own topics and no availability.
  settings.mode = rct::DiscoveryMode::kEntity;
  const auto entity = rct::daemon::build_discovery(settings, complete_inventory(), items, nullptr);
  int triggers = 0;
  for (const auto& m : entity.messages) {
    if (m.topic.starts_with("homeassistant/device_automation/")) {
      ++triggers;
      CHECK_FALSE(json::parse(m.payload).contains("availability"));
    }
  }
  CHECK(triggers == 2);

  // Without all four fault words polled: no fault sensor, no events.
  rct::Config config;
  config.poll.exclude.push_back(rct::ValueRef{"fault[1].flt", std::nullopt});
  const auto without = rct::daemon::build_poll_list(config, rct::Registry{}, complete_inventory());
  settings.mode = rct::DiscoveryMode::kDevice;
  const json less = rct::daemon::expand_discovery(
      json::parse(rct::daemon::build_discovery(settings, complete_inventory(), without, nullptr)
                      .messages.front()
                      .payload));
  CHECK(less.at("components").contains("inverter_fault_0"));
  CHECK_FALSE(less.at("components").contains("inverter_faults"));
  CHECK_FALSE(less.at("components").contains("inverter_fault_event"));
  CHECK_FALSE(less.at("components").contains("inverter_fault_raised"));
}
