#include "daemon/battery_discovery.h"

#include <nlohmann/json.hpp>
#include <string>

#include "core/value.h"
#include "daemon/battery_modules.h"
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

}  // namespace

TEST_CASE("a battery tower with a filled slot is a device via the inverter",
          "[battery_discovery]") {
  DiscoverySettings s;
  const auto messages = battery_tower_discovery(s, inventory_with_slots(), {});
  REQUIRE(messages.size() == 1);  // tower 1 has no filled slot
  CHECK(messages[0].topic == "homeassistant/device/rct2mqtt_0050KC123456_battery_tower_2/config");
  const json j = json::parse(messages[0].payload);
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
  const auto messages = battery_tower_discovery(s, inventory_with_slots(), {});
  REQUIRE(messages.size() == 12);
  for (const auto& m : messages) {
    INFO(m.topic);
    CHECK(m.topic.rfind("homeassistant/sensor/rct2mqtt_0050KC123456_battery_tower_2_", 0) == 0);
    const json j = json::parse(m.payload);
    CHECK(j["device"]["identifiers"][0] == "rct2mqtt_0050KC123456_battery_tower_2");
    CHECK(j["availability"].size() == 2);
  }
}

TEST_CASE("no tower device without a filled slot or a serial", "[battery_discovery]") {
  DiscoverySettings s;
  Inventory inv;
  inv.serial = "1";
  CHECK(battery_tower_discovery(s, inv, {}).empty());
  CHECK(battery_tower_discovery(s, Inventory{}, {}).empty());
}
