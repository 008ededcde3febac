#include "daemon/battery_discovery.h"

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/value.h"
#include "daemon/battery_modules.h"
#include "daemon/discovery_abbreviations.h"
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
