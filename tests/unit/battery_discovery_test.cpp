#include "daemon/battery_discovery.h"

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/value.h"
#include "daemon/battery_modules.h"
#include "daemon/discovery_abbreviations.h"
#include "daemon/persistent_state.h"
#include "tests/support/catch.h"

using nlohmann::json;
using namespace rct::daemon;

namespace {

Inventory inventory_with_slots() {
  Inventory inv;
  inv.serial = "0050KC123456";
  inv.device_name = "PS 6.0";
  rct::BatteryModuleStatus cells;
  cells.cells[0].voltage_mv = 3300;
  inv.apply(battery_tower_oids()[1].cells[2], rct::Value(cells));  // tower 2, module 3
  return inv;
}

// `inv` with tower `tower`'s (from 0) module `slot` (from 0) filled (a cell above 0 V) or empty.
Inventory with_module(Inventory inv, std::size_t tower, std::size_t slot, bool filled) {
  rct::BatteryModuleStatus cells;
  cells.cells[0].voltage_mv = filled ? 3300 : 0;
  inv.apply(battery_tower_oids()[tower].cells[slot], rct::Value(cells));
  return inv;
}

// The payload build_discovery publishes on `topic`, keys expanded; null when none.
json payload_on(const DiscoveryBuild& build, const std::string& topic) {
  for (const auto& m : build.messages) {
    if (m.topic == topic)
      return m.payload.empty() ? json() : expand_discovery(json::parse(m.payload));
  }
  return json();
}

// The messages build_discovery publishes whose topic starts with `prefix`, keys expanded.
std::vector<std::pair<std::string, json>> published(const DiscoverySettings& s,
                                                    const std::string& prefix) {
  std::vector<std::pair<std::string, json>> out;
  for (const auto& m : build_discovery(s, inventory_with_slots(), {}, nullptr).messages) {
    if (m.topic.rfind(prefix, 0) == 0) {
      out.emplace_back(m.topic, expand_discovery(json::parse(m.payload)));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a battery tower with a filled slot is a device via the inverter",
          "[battery_discovery]") {
  DiscoverySettings s;
  // Tower 1 has no filled slot.
  CHECK(published(s, "homeassistant/device/rct2mqtt_0050KC123456_battery_tower_1").empty());
  const auto messages = published(s, "homeassistant/device/rct2mqtt_0050KC123456_battery_tower");
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].first == "homeassistant/device/rct2mqtt_0050KC123456_battery_tower_2/config");
  const json& j = messages[0].second;
  CHECK(j["device"]["via_device"] == "rct2mqtt_0050KC123456");
  CHECK(j["device"]["name"] == "PS 6.0 battery tower 2");
  const json& c = j["components"];
  // 3 tower figures and the 9 figures of module 3.
  CHECK(c.size() == 12);
  CHECK(c["battery_tower_2_soh"]["unit_of_measurement"] == "%");
  CHECK(c["battery_tower_2_module_3_cell_voltage_spread"]["unit_of_measurement"] == "mV");
  CHECK_FALSE(c["battery_tower_2_module_3_cell_voltage_spread"].contains("enabled_by_default"));
  CHECK(c["battery_tower_2_module_3_cell_resistance_max"]["enabled_by_default"] == false);
  CHECK(c["battery_tower_2_module_3_cycles"]["state_class"] == "total_increasing");
  CHECK(c["battery_tower_2_module_3_cell_voltage_min"]["state_topic"] ==
        "rct2mqtt/0050KC123456/battery/tower_2/module_3/cell_voltage_min");
  CHECK_FALSE(c.contains("battery_tower_2_module_1_cell_voltage_min"));
}

TEST_CASE("entity mode announces each tower entity with the tower's device block",
          "[battery_discovery]") {
  DiscoverySettings s;
  s.mode = rct::DiscoveryMode::kEntity;
  const auto messages = published(s, "homeassistant/sensor/rct2mqtt_0050KC123456_battery_tower_2_");
  REQUIRE(messages.size() == 12);
  for (const auto& [topic, j] : messages) {
    INFO(topic);
    CHECK(j["device"]["identifiers"][0] == "rct2mqtt_0050KC123456_battery_tower_2");
    CHECK(j["availability"].size() == 2);
  }
}

TEST_CASE("no tower device without a filled slot or a serial", "[battery_discovery]") {
  DiscoverySettings s;
  Inventory inv;
  inv.serial = "1";
  CHECK(battery_tower_devices(s, inv, {}).empty());
  CHECK(battery_tower_devices(s, Inventory{}, {}).empty());
  CHECK(battery_tower_devices(s, inventory_with_slots(), {}).size() == 1);
}

TEST_CASE(
    "a module leaving a tower that stays has its entities removed by stubs, across a "
    "restart too",
    "[battery_discovery]") {
  const Inventory both = with_module(inventory_with_slots(), 1, 0, true);  // modules 1 and 3
  const Inventory one = with_module(both, 1, 2, false);                    // module 3 gone
  const std::string tower = "homeassistant/device/rct2mqtt_0050KC123456_battery_tower_2/config";
  const std::string m3 = "battery_tower_2_module_3_";

  for (const auto mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    INFO("mode " << rct::discovery_mode_name(mode));
    DiscoverySettings s;
    s.mode = mode;
    const DiscoveryBuild before = build_discovery(s, both, {}, nullptr);
    const DiscoveryBuild after = build_discovery(s, one, {}, &before.announced);
    std::map<std::string, std::string> gone;
    for (const auto& [id, platform] : live_components(before.announced)) {
      if (live_components(after.announced).count(id) == 0) gone.emplace(id, platform);
    }
    REQUIRE(gone.size() == 9);  // the module's nine figures
    for (const auto& [id, platform] : gone) CHECK(id.rfind(m3, 0) == 0);
    CHECK(live_components(after.announced).count("battery_tower_2_module_1_cycles") == 1);

    // What the removal looks like: a stub in the tower's message (device mode), an empty config
    // per entity (entity mode); the tower itself stays.
    if (mode == rct::DiscoveryMode::kDevice) {
      const json payload = payload_on(after, tower);
      REQUIRE(payload.is_object());
      CHECK(payload["device"]["identifiers"][0] == "rct2mqtt_0050KC123456_battery_tower_2");
      for (const auto& [id, platform] : gone) {
        INFO(id);
        CHECK(payload["components"][id] == json{{"platform", platform}});
      }
      CHECK(payload["components"].contains("battery_tower_2_module_1_cycles"));
    } else {
      for (const auto& [id, platform] : gone) {
        const std::string topic =
            "homeassistant/" + platform + "/rct2mqtt_0050KC123456_" + id + "/config";
        INFO(topic);
        bool emptied = false;
        for (const auto& m : after.messages)
          emptied = emptied || (m.topic == topic && m.payload.empty());
        CHECK(emptied);
      }
    }
    // Entity mode has no tower message at all.
    CHECK(payload_on(after, tower).is_null() == (mode == rct::DiscoveryMode::kEntity));

    // The state file keeps the record: after a restart the stubs are still sent (device mode)
    // and no entity is removed twice (entity mode).
    PersistentState state;
    state.inverters["0050KC123456"].discovery = after.announced;
    const auto loaded = state_from_json(state_to_json(state));
    REQUIRE(loaded.ok());
    const AnnouncedDiscovery& restored = *loaded.value().inverters.at("0050KC123456").discovery;
    const DiscoveryBuild restart = build_discovery(s, one, {}, &restored);
    if (mode == rct::DiscoveryMode::kDevice) CHECK(restart.messages == after.messages);
    for (const auto& m : restart.messages) CHECK_FALSE(m.payload.empty());

    // The module coming back is announced again, without its stubs.
    const DiscoveryBuild back = build_discovery(s, both, {}, &after.announced);
    CHECK(live_components(back.announced) == live_components(before.announced));
    if (mode == rct::DiscoveryMode::kDevice) {
      CHECK(payload_on(back, tower)["components"][m3 + "cycles"].contains("state_topic"));
    }
  }
}

TEST_CASE(
    "a module leaving while the mode switches to entity gets its stubs under the tower's "
    "device, before the hand-over",
    "[battery_discovery]") {
  const Inventory both = with_module(inventory_with_slots(), 1, 0, true);
  const Inventory one = with_module(both, 1, 2, false);
  const std::string tower = "homeassistant/device/rct2mqtt_0050KC123456_battery_tower_2/config";
  DiscoverySettings device_mode;
  DiscoverySettings entity_mode;
  entity_mode.mode = rct::DiscoveryMode::kEntity;
  const DiscoveryBuild before = build_discovery(device_mode, both, {}, nullptr);
  const DiscoveryBuild after = build_discovery(entity_mode, one, {}, &before.announced);

  std::vector<std::string> on_tower;
  for (const auto& m : after.messages) {
    if (m.topic == tower) on_tower.push_back(m.payload);
  }
  // The stubs, the hand-over, the topic cleared.
  REQUIRE(on_tower.size() == 3);
  const json stubs = expand_discovery(json::parse(on_tower[0]));
  CHECK(stubs["device"]["identifiers"][0] == "rct2mqtt_0050KC123456_battery_tower_2");
  CHECK(stubs["components"].size() == 9);
  for (const auto& [id, c] : stubs["components"].items()) {
    INFO(id);
    CHECK(id.rfind("battery_tower_2_module_3_", 0) == 0);
    CHECK(c == json{{"platform", "sensor"}});
  }
  CHECK(on_tower[1] == rct::daemon::kMigratePayload);
  CHECK(on_tower[2].empty());
}
