#include "daemon/battery_state_sensor.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/registry.h"
#include "daemon/discovery.h"
#include "daemon/discovery_abbreviations.h"
#include "daemon/poll_list.h"
#include "daemon/value_policy.h"
#include "tests/support/catch.h"
#include "tests/support/inventories.h"

using namespace std::chrono_literals;
using nlohmann::json;
using rct::Value;
using rct::daemon::Instant;
using rct::daemon::PollItem;
using rct::daemon::Publication;
using rct::test::complete_inventory;

namespace {

const Instant kBatteryT0 = Instant{} + 7000h;

std::vector<PollItem> battery_items(const rct::Config& config = {}) {
  return rct::daemon::build_poll_list(config, rct::Registry{}, complete_inventory());
}

const PollItem* battery_item(const std::vector<PollItem>& items, std::uint32_t oid) {
  for (const PollItem& i : items) {
    if (i.oid == oid) return &i;
  }
  return nullptr;
}

std::optional<std::string> battery_payload(const std::vector<Publication>& pubs,
                                           std::string_view key) {
  for (const Publication& p : pubs) {
    if (p.key == key) return p.payload;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("a status2 reading pairs only with a bat_status reading taken since the previous one",
          "[battery_state_sensor]") {
  rct::daemon::BatteryStatePairing pairing;
  CHECK_FALSE(pairing.on_status2(8).has_value());  // no bat_status yet
  pairing.on_bat_status(2048);
  const auto first = pairing.on_status2(256);
  REQUIRE(first);
  CHECK(first->bat_status == 2048);
  CHECK(first->status2 == 256);
  CHECK(first->summary == rct::BatterySummary::kBalancing);
  // bat_status not read again (a timeout): the old word is not reused.
  CHECK_FALSE(pairing.on_status2(256).has_value());
  // A bat_status that was no integer clears the word.
  pairing.on_bat_status(std::nullopt);
  CHECK_FALSE(pairing.on_status2(0).has_value());
  // A status2 that was no integer yields nothing and uses up the pairing.
  pairing.on_bat_status(0);
  CHECK_FALSE(pairing.on_status2(std::nullopt).has_value());
  CHECK_FALSE(pairing.on_status2(0).has_value());
  pairing.on_bat_status(1032);
  const auto normal = pairing.on_status2(0);
  REQUIRE(normal);
  CHECK(normal->summary == rct::BatterySummary::kNormal);
}

TEST_CASE("the attributes list each bit name once and the unknown bits by word and bit",
          "[battery_state_sensor]") {
  CHECK(json::parse(rct::daemon::battery_state_attributes(rct::decode_battery_state(2048, 256))) ==
        json::parse(R"({"bat_status": 2048, "status2": 256, "bits": ["balancing"],
                        "unknown_bits": []})"));
  const std::string odd = rct::daemon::battery_state_attributes(
      rct::decode_battery_state(1032, 8 | 32 | static_cast<std::int32_t>(1u << 31)));
  CHECK(odd == R"j({"bat_status":1032,"status2":-2147483608,"bits":["bms_flag_8","bms_flag_1024",)j"
               R"j("calibrating_charge"],"unknown_bits":["battery.status2 bit 5 (32)",)j"
               R"j("battery.status2 bit 31 (2147483648)"]})j");
}

TEST_CASE("the battery state sensor hangs on status2 and needs bat_status polled",
          "[battery_state_sensor]") {
  const auto items = battery_items();
  const PollItem* status2 = battery_item(items, rct::kOidBatteryStatus2);
  REQUIRE(status2 != nullptr);
  REQUIRE(battery_item(items, rct::kOidBatteryStatus) != nullptr);
  const rct::daemon::SensorSpec* state = nullptr;
  for (const auto& s : status2->sensors) {
    if (s.key == "battery/state") state = &s;
  }
  REQUIRE(state != nullptr);
  CHECK(state->name == "Battery state");
  CHECK(state->enabled_by_default);
  CHECK(state->entity_category.empty());
  CHECK(state->unit.empty());
  CHECK(state->json_attributes_key == "battery/state/attributes");
  CHECK(status2->poll_class == rct::daemon::PollClass::kSlow);
  // The raw word stays beside it.
  CHECK(status2->sensors.front().key == "battery/status2_bits");

  // bat_status excluded: no state (it could never have a value).
  rct::Config config;
  config.poll.exclude.push_back(rct::ValueRef{"battery.bat_status", std::nullopt});
  const auto without = battery_items(config);
  const PollItem* lone = battery_item(without, rct::kOidBatteryStatus2);
  REQUIRE(lone != nullptr);
  for (const auto& s : lone->sensors) CHECK(s.key != "battery/state");
  CHECK(rct::daemon::poll_list_conflicts(items).empty());
}

TEST_CASE("the value policy publishes the battery state and its attributes from both words",
          "[battery_state_sensor]") {
  const auto items = battery_items();
  const PollItem& bat_status = *battery_item(items, rct::kOidBatteryStatus);
  const PollItem& status2 = *battery_item(items, rct::kOidBatteryStatus2);
  rct::daemon::ValuePolicy policy;
  // status2 first: nothing to pair with, only its raw word.
  auto pubs = policy.on_reading(status2, Value(std::int32_t{8}), kBatteryT0);
  CHECK(battery_payload(pubs, "battery/status2_bits") == "8");
  CHECK_FALSE(battery_payload(pubs, "battery/state"));
  pubs = policy.on_reading(bat_status, Value(std::int32_t{2048}), kBatteryT0 + 1s);
  CHECK(battery_payload(pubs, "battery/status_bits") == "2048");
  pubs = policy.on_reading(status2, Value(std::int32_t{8}), kBatteryT0 + 2s);
  CHECK(battery_payload(pubs, "battery/state") == "calibrating (charge)");
  const auto attributes = battery_payload(pubs, "battery/state/attributes");
  REQUIRE(attributes);
  CHECK(json::parse(*attributes) == json::parse(R"({"bat_status": 2048, "status2": 8,
                        "bits": ["balancing", "calibrating_charge"], "unknown_bits": []})"));
  // Unchanged: nothing until the heartbeat; a garbage status2 publishes nothing either.
  policy.on_reading(bat_status, Value(std::int32_t{2048}), kBatteryT0 + 3s);
  pubs = policy.on_reading(status2, Value(std::int32_t{8}), kBatteryT0 + 4s);
  CHECK_FALSE(battery_payload(pubs, "battery/state"));
  policy.on_reading(bat_status, Value(std::int32_t{2048}), kBatteryT0 + 5s);
  pubs = policy.on_reading(status2, Value(std::string("x")), kBatteryT0 + 6s);
  CHECK(pubs.empty());
  CHECK(policy.rejected(rct::daemon::Rejection::kWrongType) == 1);
  // The calibration over: balancing.
  policy.on_reading(bat_status, Value(std::int32_t{2048}), kBatteryT0 + 7s);
  pubs = policy.on_reading(status2, Value(std::int32_t{0}), kBatteryT0 + 8s);
  CHECK(battery_payload(pubs, "battery/state") == "balancing");
  // Both are republished after an MQTT reconnect.
  int republished = 0;
  for (const Publication& p : policy.current()) {
    if (p.key == "battery/state" || p.key == "battery/state/attributes") ++republished;
  }
  CHECK(republished == 2);
}

TEST_CASE("the battery state entity announces its attributes topic", "[battery_state_sensor]") {
  rct::daemon::DiscoverySettings settings;
  settings.sw_version = "0.1.0";
  const auto build =
      rct::daemon::build_discovery(settings, complete_inventory(), battery_items(), nullptr);
  REQUIRE_FALSE(build.messages.empty());
  const json device = rct::daemon::expand_discovery(json::parse(build.messages.back().payload));
  const json& c = device.at("components").at("battery_state");
  CHECK(c.at("platform") == "sensor");
  CHECK(c.at("name") == "Battery state");
  CHECK(c.at("state_topic") == "rct2mqtt/0123456789/battery/state");
  CHECK(c.at("json_attributes_topic") == "rct2mqtt/0123456789/battery/state/attributes");
  CHECK(c.at("icon") == "mdi:battery-heart-variant");
  CHECK_FALSE(c.contains("unit_of_measurement"));
  CHECK_FALSE(c.contains("device_class"));
  CHECK_FALSE(c.contains("state_class"));
  CHECK_FALSE(c.contains("entity_category"));
  CHECK_FALSE(c.contains("enabled_by_default"));
  CHECK(c.contains("expire_after"));
}
