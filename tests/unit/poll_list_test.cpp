#include "daemon/poll_list.h"

#include <algorithm>
#include <chrono>
#include <set>

#include "core/inventory.h"
#include "core/registry.h"
#include "core/write_allowlist.h"
#include "daemon/battery_modules.h"
#include "daemon/value_catalog.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::Inventory;
using rct::daemon::PollClass;
using rct::daemon::PollItem;
using rct::daemon::SensorSpec;

namespace {

const PollItem* item_of(const std::vector<PollItem>& items, std::uint32_t oid) {
  auto it =
      std::find_if(items.begin(), items.end(), [&](const PollItem& i) { return i.oid == oid; });
  return it == items.end() ? nullptr : &*it;
}

const SensorSpec* sensor_of(const std::vector<PollItem>& items, std::string_view key) {
  for (const PollItem& i : items) {
    for (const SensorSpec& s : i.sensors) {
      if (s.key == key) return &s;
    }
  }
  return nullptr;
}

Inventory full_inventory() {
  Inventory inv;
  inv.pv_input_a = true;
  inv.pv_input_b = true;
  inv.power_switch = true;
  inv.battery_type = 3;
  inv.battery_count = 1;
  inv.serial = "0123456789";
  return inv;
}

rct::PollValue by_name(std::string name) {
  rct::PollValue v;
  v.value.name = std::move(name);
  return v;
}

// Every slot's cells are read to learn which slots hold a module: 7 slots × 2 towers.
constexpr std::size_t kModuleCellOids = 14;

}  // namespace

TEST_CASE("the default poll list holds the inventory first, then the catalog, conflict-free",
          "[poll_list]") {
  const rct::Registry registry;
  const rct::Config config;
  const auto items = rct::daemon::build_poll_list(config, registry, full_inventory());
  const auto inventory = rct::inventory_oids();
  REQUIRE(items.size() >= inventory.size());
  for (std::size_t i = 0; i < inventory.size(); ++i) {
    INFO(i);
    CHECK(items[i].oid == inventory[i].id);
    CHECK(items[i].inventory);
    CHECK(items[i].poll_class == PollClass::kStatic);
    CHECK(items[i].interval == config.poll.static_interval);
  }
  // Every catalog row is polled when all hardware is present, and the cells of the 14 battery
  // module slots (docs/mqtt.md §2.8).
  CHECK(items.size() == rct::daemon::catalog().size() + kModuleCellOids);
  std::set<std::uint32_t> oids;
  for (const PollItem& i : items) CHECK(oids.insert(i.oid).second);
  CHECK(rct::daemon::poll_list_conflicts(items).empty());

  const PollItem* soc = item_of(items, 0x959930BF);
  REQUIRE(soc != nullptr);
  CHECK(soc->poll_class == PollClass::kFast);
  CHECK(soc->interval == config.poll.fast_interval);
  CHECK(soc->type == rct::DataType::kFloat);
  const PollItem* total = item_of(items, 0xB1EF67CE);
  REQUIRE(total != nullptr);
  CHECK(total->interval == config.poll.slow_interval);

  // Derived split sensors ride on their source item.
  const PollItem* grid = item_of(items, 0x91617C58);
  REQUIRE(grid != nullptr);
  REQUIRE(grid->sensors.size() == 3);
  CHECK(grid->sensors[0].key == "grid/power");
  CHECK(grid->sensors[1].key == "grid/import_power");
  CHECK(grid->sensors[2].key == "grid/export_power");
  CHECK(sensor_of(items, "battery/charge_power") != nullptr);
  CHECK(sensor_of(items, "battery/discharge_power") != nullptr);
}

TEST_CASE("values whose hardware the inventory says is absent are not polled", "[poll_list]") {
  const rct::Registry registry;
  const rct::Config config;
  Inventory inv = full_inventory();
  inv.battery_type = 5;  // "No battery"
  inv.pv_input_b = false;
  inv.power_switch = false;
  const auto items = rct::daemon::build_poll_list(config, registry, inv);
  CHECK(sensor_of(items, "battery/soc") == nullptr);
  CHECK(sensor_of(items, "battery/charge_power") == nullptr);
  CHECK(sensor_of(items, "energy/battery_charge_total") == nullptr);
  CHECK(sensor_of(items, "pv/b/power") == nullptr);
  CHECK(sensor_of(items, "energy/pv_b_total") == nullptr);
  CHECK(sensor_of(items, "power_switch/l1/voltage") == nullptr);
  CHECK(sensor_of(items, "pv/a/power") != nullptr);
  CHECK(sensor_of(items, "battery/type") != nullptr);  // says "No battery"
  CHECK(sensor_of(items, "grid/power") != nullptr);

  // Unknown hardware counts as present: a missing inventory answer never hides data.
  Inventory unknown;
  unknown.serial = "1";
  const auto all = rct::daemon::build_poll_list(config, registry, unknown);
  CHECK(sensor_of(all, "battery/soc") != nullptr);
  CHECK(sensor_of(all, "pv/b/power") != nullptr);
  CHECK(all.size() == rct::daemon::catalog().size() + kModuleCellOids);
  // No battery: no module OIDs either.
  CHECK(item_of(items, rct::daemon::battery_tower_oids()[0].cells[0]) == nullptr);
}

TEST_CASE("filled battery module slots add their resistances, cycles and tower SOH",
          "[poll_list]") {
  const rct::Registry registry;
  rct::Config config;
  config.poll.module_interval = std::chrono::seconds{120};
  Inventory inv = full_inventory();
  const auto& tower2 = rct::daemon::battery_tower_oids()[1];
  rct::BatteryModuleStatus cells;
  cells.cells[0].voltage_mv = 3300;
  REQUIRE(inv.apply(tower2.cells[2], rct::Value(cells)));
  const auto items = rct::daemon::build_poll_list(config, registry, inv);
  CHECK(items.size() == rct::daemon::catalog().size() + kModuleCellOids + 3);
  for (std::uint32_t oid :
       {tower2.cells[0], tower2.cells[2], tower2.resist[2], tower2.cycles[2], tower2.soh}) {
    const PollItem* item = item_of(items, oid);
    REQUIRE(item != nullptr);
    CHECK(item->interval == config.poll.module_interval);
    CHECK(item->sensors.empty());
  }
  CHECK(item_of(items, tower2.resist[1]) == nullptr);
  // The type the registry gives; the reading decodes with the module layout
  // (core/layout_override.h).
  CHECK(item_of(items, tower2.cells[2])->type == rct::DataType::kString);
  CHECK(rct::daemon::poll_list_conflicts(items).empty());
}

TEST_CASE("poll.exclude removes a value and its derived sensors; the inventory stays",
          "[poll_list]") {
  const rct::Registry registry;
  rct::Config config;
  config.poll.exclude.push_back(rct::ValueRef{"g_sync.p_ac_grid_sum_lp", std::nullopt});
  config.poll.exclude.push_back(rct::ValueRef{"", 0x959930BF});
  config.poll.exclude.push_back(rct::ValueRef{"inverter_sn", std::nullopt});
  const auto items = rct::daemon::build_poll_list(config, registry, full_inventory());
  CHECK(item_of(items, 0x91617C58) == nullptr);
  CHECK(sensor_of(items, "grid/import_power") == nullptr);
  CHECK(item_of(items, 0x959930BF) == nullptr);
  const PollItem* sn = item_of(items, 0x7924ABD9);
  REQUIRE(sn != nullptr);  // still read for the device identity
  CHECK(sn->inventory);
  CHECK(sn->sensors.empty());
}

TEST_CASE("poll.defaults = false polls only the inventory and the configured values",
          "[poll_list]") {
  const rct::Registry registry;
  rct::Config config;
  config.poll.defaults = false;
  config.poll.values.push_back(by_name("battery.soc"));
  const auto items = rct::daemon::build_poll_list(config, registry, full_inventory());
  CHECK(items.size() == rct::inventory_oids().size() + 1);
  const SensorSpec* soc = sensor_of(items, "battery/soc");
  REQUIRE(soc != nullptr);  // the catalog's description is used for a catalog OID
  CHECK(soc->scale == 100);
  CHECK(sensor_of(items, "inverter/firmware") == nullptr);
}

TEST_CASE("poll.value settings override the catalog for the value's own sensor", "[poll_list]") {
  const rct::Registry registry;
  rct::Config config;
  rct::PollValue grid = by_name("g_sync.p_ac_grid_sum_lp");
  grid.interval = 30s;
  grid.friendly_name = "Netz";
  grid.topic = "meter/power";
  grid.scale = 0.001;
  grid.deadband = 0.05;
  grid.homeassistant.unit = "kW";
  grid.homeassistant.icon = "mdi:transmission-tower";
  grid.homeassistant.enabled_by_default = false;
  grid.homeassistant.suggested_display_precision = 2;
  grid.homeassistant.entity_category = "";
  config.poll.values.push_back(grid);
  rct::PollValue soc = by_name("battery.soc");
  soc.homeassistant.device_class = "";  // removes the field
  config.poll.values.push_back(soc);

  const auto items = rct::daemon::build_poll_list(config, registry, full_inventory());
  const PollItem* item = item_of(items, 0x91617C58);
  REQUIRE(item != nullptr);
  CHECK(item->interval == 30s);
  const SensorSpec& s = item->sensors.front();
  CHECK(s.name == "Netz");
  CHECK(s.key == "meter/power");
  CHECK(s.object_id == "meter_power");
  CHECK(s.scale == 0.001);
  CHECK(s.deadband == 0.05);
  CHECK(s.unit == "kW");
  CHECK(s.icon == "mdi:transmission-tower");
  CHECK_FALSE(s.enabled_by_default);
  CHECK(s.display_precision == 2);
  CHECK(s.device_class == "power");  // not overridden
  // The derived sensors keep the catalog's description.
  const SensorSpec* import = sensor_of(items, "grid/import_power");
  REQUIRE(import != nullptr);
  CHECK(import->scale == 1);
  CHECK(import->unit == "W");
  CHECK(sensor_of(items, "battery/soc")->device_class.empty());
  CHECK(rct::daemon::poll_list_conflicts(items).empty());
}

TEST_CASE("values outside the catalog are added by registry name or by 0xID and type",
          "[poll_list]") {
  const rct::Registry registry;
  rct::Config config;
  config.poll.values.push_back(by_name("g_sync.p_ac_sc_sum"));  // W, not in the catalog
  config.poll.values.push_back(by_name("energy.e_grid_feed_total_sum"));
  config.poll.values.push_back(by_name("display_struct.brightness"));
  rct::PollValue raw;
  raw.value.id = 0x12345678;
  raw.type = rct::DataType::kFloat;
  raw.interval = 15s;
  config.poll.values.push_back(raw);
  Inventory inv = full_inventory();
  inv.battery_type = 5;
  rct::PollValue soc = by_name("battery.soc");  // explicitly wanted despite "no battery"
  config.poll.values.push_back(soc);

  const auto items = rct::daemon::build_poll_list(config, registry, inv);
  const SensorSpec* sc = sensor_of(items, "g_sync/p_ac_sc_sum");
  REQUIRE(sc != nullptr);
  CHECK(sc->device_class == "power");
  CHECK(sc->unit == "W");
  CHECK(sc->enabled_by_default);
  CHECK(sc->name == "g_sync.p_ac_sc_sum");

  const SensorSpec* feed = sensor_of(items, "energy/e_grid_feed_total_sum");  // no unit
  REQUIRE(feed != nullptr);
  CHECK(feed->quantity == rct::daemon::Quantity::kNumber);
  CHECK(feed->counter == rct::daemon::CounterKind::kNone);
  CHECK(feed->unit.empty());

  const SensorSpec* brightness = sensor_of(items, "display_struct/brightness");
  REQUIRE(brightness != nullptr);
  CHECK(brightness->quantity == rct::daemon::Quantity::kNumber);

  const PollItem* unknown = item_of(items, 0x12345678);
  REQUIRE(unknown != nullptr);
  CHECK(unknown->name == "0x12345678");
  CHECK(unknown->type == rct::DataType::kFloat);
  CHECK(unknown->interval == 15s);
  REQUIRE(unknown->sensors.size() == 1);
  CHECK(unknown->sensors[0].key == "oid/0x12345678");
  CHECK(unknown->sensors[0].object_id == "oid_0x12345678");

  CHECK(sensor_of(items, "battery/soc") != nullptr);
  CHECK(sensor_of(items, "battery/voltage") == nullptr);
  CHECK(rct::daemon::poll_list_conflicts(items).empty());
}

TEST_CASE("registry names become topic keys", "[poll_list]") {
  CHECK(rct::daemon::key_from_registry_name("battery.soc") == "battery/soc");
  CHECK(rct::daemon::key_from_registry_name("g_sync.p_ac[0]") == "g_sync/p_ac_0");
  CHECK(rct::daemon::key_from_registry_name("battery.cells_stat[3].u_min.value") ==
        "battery/cells_stat_3/u_min/value");
  CHECK(rct::daemon::key_from_registry_name("iso_struct.Riso") == "iso_struct/Riso");
  CHECK(rct::daemon::key_from_registry_name("0x0000ABCD") == "oid/0x0000ABCD");
}

TEST_CASE("conflicting keys are reported", "[poll_list]") {
  const rct::Registry registry;
  const auto conflicts_with_topic = [&](std::string topic) {
    rct::Config config;
    rct::PollValue v = by_name("battery.soc");
    v.topic = std::move(topic);
    config.poll.values.push_back(v);
    return rct::daemon::poll_list_conflicts(
        rct::daemon::build_poll_list(config, registry, full_inventory()));
  };
  CHECK(conflicts_with_topic("grid/power").size() == 1);       // used by the grid power
  CHECK(conflicts_with_topic("grid_power").size() == 1);       // same HA id as grid/power
  CHECK(conflicts_with_topic("status").size() == 1);           // availability topic
  CHECK(conflicts_with_topic("state").size() == 1);            // JSON aggregate
  CHECK(conflicts_with_topic("ts").size() == 1);               // aggregate timestamp
  CHECK(conflicts_with_topic("bridge/soc").size() == 1);       // bridge diagnostics
  CHECK(conflicts_with_topic("battery/soc/set").size() == 1);  // command topic
  CHECK(conflicts_with_topic("settings/soc").size() == 1);     // writable settings
  CHECK(conflicts_with_topic("settings").size() == 1);
  CHECK(conflicts_with_topic("pv/a").size() == 1);  // a level of pv/a/power
  CHECK(conflicts_with_topic("battery/charge").empty());

  rct::Config config;
  rct::PollValue v = by_name("battery.soc");
  v.homeassistant.entity_category = "config";
  config.poll.values.push_back(v);
  CHECK(rct::daemon::poll_list_conflicts(
            rct::daemon::build_poll_list(config, registry, full_inventory()))
            .size() == 1);
}

TEST_CASE("with writes enabled the allowed settings are polled slowly, without sensors",
          "[poll_list][writes]") {
  const rct::Registry registry;
  rct::Config config;
  // soc_target and battery_power_extern are not in the default set; soc_strategy is.
  config.writes.allow =
      std::vector<std::string>{"soc_target", "battery_power_extern", "soc_strategy"};
  const std::uint32_t target = rct::find_writable_key("soc_target")->oid;
  const auto off = rct::daemon::build_poll_list(config, registry, full_inventory());
  CHECK(item_of(off, target) == nullptr);
  CHECK(item_of(off, rct::kOidBatteryPowerExtern) == nullptr);
  const PollItem* strategy_off = item_of(off, rct::kOidSocStrategy);
  REQUIRE(strategy_off != nullptr);

  config.writes.enabled = true;
  const auto on = rct::daemon::build_poll_list(config, registry, full_inventory());
  CHECK(on.size() == off.size() + 2);
  for (const std::uint32_t oid : {target, rct::kOidBatteryPowerExtern}) {
    const PollItem* item = item_of(on, oid);
    REQUIRE(item != nullptr);
    CHECK(item->sensors.empty());  // published under settings/ by the session
    CHECK(item->interval == config.poll.slow_interval);
    CHECK(item->type == registry.find(oid)->response_type);
  }
  // Polled already: the item stays as it was, sensor included.
  REQUIRE(item_of(on, rct::kOidSocStrategy) != nullptr);
  CHECK(*item_of(on, rct::kOidSocStrategy) == *strategy_off);
  CHECK(item_of(on, rct::find_writable_key("pv_power_reduction")->oid) == nullptr);  // not allowed
  CHECK(rct::daemon::poll_list_conflicts(on).empty());
}
