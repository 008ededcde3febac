#include "daemon/battery_cells.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "core/registry.h"
#include "daemon/battery_figures.h"
#include "daemon/battery_module_state.h"
#include "daemon/battery_modules.h"
#include "tests/support/catch.h"

using rct::BatteryModuleResistance;
using rct::BatteryModuleStatus;
using namespace rct::daemon;

namespace {

// A module of 24 cells at `base_mv` (+ index % 3 mV) and 20 °C, resistance 2 mΩ (512/256).
BatteryModuleStatus cells_at(int base_mv) {
  BatteryModuleStatus s;
  for (std::size_t i = 0; i < s.cells.size(); ++i) {
    s.cells[i].voltage_mv = static_cast<std::uint16_t>(base_mv + static_cast<int>(i % 3));
    s.cells[i].temperature_c = 20;
  }
  return s;
}

BatteryModuleResistance resistance_of(std::uint16_t raw) {
  BatteryModuleResistance r;
  r.raw.fill(raw);
  return r;
}

std::string module_topic_payload(const std::vector<BatteryModuleState::Topic>& topics,
                                 const std::string& key) {
  for (const auto& t : topics) {
    if (t.key == key) return t.payload;
  }
  return "(none)";
}

}  // namespace

TEST_CASE("module figures are the min, max, mean and spread of the cells present",
          "[battery_cells]") {
  BatteryModuleStatus s = cells_at(3300);
  s.cells[5].voltage_mv = 3250;  // the weak cell
  s.cells[6].temperature_c = -10;
  s.cells[7].temperature_c = 24;
  s.cells[23].voltage_mv = 0;  // an empty cell slot
  s.cells[23].temperature_c = -100;
  BatteryModuleResistance r = resistance_of(512);
  r.raw[5] = 1024;  // 4 mΩ
  r.raw[23] = 0;

  const auto cells = module_cells(s, &r);
  REQUIRE(cells.size() == 23);
  const auto f = module_figures(cells);
  REQUIRE(f);
  CHECK(f->cell_count == 23);
  CHECK(f->voltage_min_mv == 3250);
  CHECK(f->voltage_max_mv == 3302);
  CHECK(f->voltage_spread_mv == 52);
  // Cells 0..22 minus cell 5: (3300 + i % 3); cell 5 at 3250.
  double sum = 3250;
  for (int i = 0; i < 23; ++i) {
    if (i != 5) sum += 3300 + i % 3;
  }
  CHECK(f->voltage_mean_mv == Approx(sum / 23));
  CHECK(f->temperature_min_c == -10);
  CHECK(f->temperature_max_c == 24);
  REQUIRE(f->resistance_max_mohm);
  CHECK(*f->resistance_max_mohm == 4.0);
  REQUIRE(f->resistance_mean_mohm);
  CHECK(*f->resistance_mean_mohm == Approx((22 * 2.0 + 4.0) / 23));
}

TEST_CASE("a module whose cells all read 0 V has no figures", "[battery_cells]") {
  const BatteryModuleStatus empty;
  CHECK(module_cells(empty, nullptr).empty());
  CHECK_FALSE(module_figures(module_cells(empty, nullptr)));
  CHECK_FALSE(tower_figures(std::vector<std::vector<CellReading>>{{}, {}}));
}

TEST_CASE("without resistances a module has voltage figures only", "[battery_cells]") {
  const auto f = module_figures(module_cells(cells_at(3300), nullptr));
  REQUIRE(f);
  CHECK_FALSE(f->resistance_max_mohm);
  CHECK_FALSE(f->resistance_mean_mohm);
}

TEST_CASE("the median is the middle value, or the mean of the two middle ones", "[battery_cells]") {
  std::vector<double> odd{5, 1, 3};
  CHECK(median_of(odd) == 3);
  std::vector<double> even{4, 1, 3, 2};
  CHECK(median_of(even) == 2.5);
  std::vector<double> none;
  CHECK(median_of(none) == 0);
}

TEST_CASE("the tower figures compare the weakest cell and the worst resistance with the median",
          "[battery_cells]") {
  // Two modules: 48 cells; voltages 3300..3302, one at 3260; resistances 2 mΩ, one at 3 mΩ.
  BatteryModuleStatus a = cells_at(3300);
  BatteryModuleStatus b = cells_at(3300);
  b.cells[10].voltage_mv = 3260;
  const BatteryModuleResistance ra = resistance_of(512);
  BatteryModuleResistance rb = resistance_of(512);
  rb.raw[3] = 768;
  const std::vector<std::vector<CellReading>> modules{module_cells(a, &ra), module_cells(b, &rb)};
  const auto f = tower_figures(modules);
  REQUIRE(f);
  // 47 cells at 3300/3301/3302 (16 + 16 + 15 less the weak one) and one at 3260: median 3301.
  CHECK(f->weakest_cell_below_median_mv == 41);
  REQUIRE(f->worst_resistance_above_median_pct);
  CHECK(*f->worst_resistance_above_median_pct == Approx(50.0));
}

TEST_CASE("the module OID table names the registry's module objects", "[battery_cells]") {
  const rct::Registry registry;
  const auto towers = battery_tower_oids();
  for (std::size_t t = 0; t < kBatteryTowers; ++t) {
    const std::string prefix(towers[t].name_prefix);
    for (std::size_t s = 0; s < kModuleSlots; ++s) {
      const std::string i = "[" + std::to_string(s) + "]";
      const rct::OidInfo* cells = registry.find(towers[t].cells[s]);
      const rct::OidInfo* resist = registry.find(towers[t].resist[s]);
      const rct::OidInfo* cycles = registry.find(towers[t].cycles[s]);
      REQUIRE(cells != nullptr);
      REQUIRE(resist != nullptr);
      REQUIRE(cycles != nullptr);
      CHECK(cells->name == prefix + ".cells" + i);
      CHECK(resist->name == prefix + ".cells_resist" + i);
      CHECK(cycles->name == prefix + ".stack_cycles" + i);
      const auto where = find_module_oid(towers[t].resist[s]);
      REQUIRE(where);
      CHECK(where->tower == t);
      CHECK(where->slot == s);
      CHECK(where->field == ModuleField::kResistance);
    }
    const rct::OidInfo* soh = registry.find(towers[t].soh);
    REQUIRE(soh != nullptr);
    CHECK(soh->name == prefix + ".soh");
  }
  CHECK_FALSE(find_module_oid(0x959930BF));  // battery.soc
}

TEST_CASE("a slot is filled once a cell reading shows a cell above 0 V", "[battery_cells]") {
  BatterySlots slots;
  const std::uint32_t tower2_slot3 = battery_tower_oids()[1].cells[2];
  CHECK_FALSE(slots.apply(tower2_slot3, rct::Value(BatteryModuleStatus{})));
  CHECK_FALSE(slots.filled(1, 2));
  CHECK(slots.apply(tower2_slot3, rct::Value(cells_at(3300))));
  CHECK(slots.filled(1, 2));
  CHECK(slots.tower_filled(1));
  CHECK_FALSE(slots.tower_filled(0));
  CHECK_FALSE(slots.apply(tower2_slot3, rct::Value(cells_at(3310))));    // no change
  CHECK_FALSE(slots.apply(tower2_slot3, rct::Value(std::string("x"))));  // a string: ignored
  CHECK(slots.apply(tower2_slot3, rct::Value(BatteryModuleStatus{})));
  CHECK_FALSE(slots.filled(1, 2));
}

TEST_CASE("module readings become figure topics and a cell JSON per module", "[battery_cells]") {
  BatteryModuleState state;
  const auto& tower1 = battery_tower_oids()[0];
  BatteryModuleStatus s = cells_at(3300);
  s.cells[0].temperature_c = -3;
  auto topics = state.on_reading(tower1.cells[1], rct::Value(s));
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_voltage_min") == "3.3");
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_voltage_max") == "3.302");
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_voltage_spread") == "2");
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_temperature_min") == "-3");
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_resistance_max") == "(none)");
  CHECK(module_topic_payload(topics, "battery/tower_1/weakest_cell_below_median") == "1");
  const auto cells_json =
      nlohmann::json::parse(module_topic_payload(topics, "battery/tower_1/module_2/cells"));
  CHECK(cells_json["tower"] == 1);
  CHECK(cells_json["module"] == 2);
  REQUIRE(cells_json["cells"].size() == 24);
  CHECK(cells_json["cells"][0]["temperature"] == -3);
  CHECK(cells_json["cells"][0]["resistance"].is_null());

  topics = state.on_reading(tower1.resist[1], rct::Value(resistance_of(640)));
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_resistance_max") == "2.5");
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_resistance_mean") == "2.5");
  CHECK(module_topic_payload(topics, "battery/tower_1/worst_resistance_above_median") == "0");
  // Unchanged figures are not published again.
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cell_voltage_min") == "(none)");

  topics = state.on_reading(tower1.cycles[1], rct::Value(std::uint16_t{412}));
  CHECK(module_topic_payload(topics, "battery/tower_1/module_2/cycles") == "412");
  topics = state.on_reading(tower1.soh, rct::Value(0.953f));
  CHECK(module_topic_payload(topics, "battery/tower_1/soh") == "95.3");

  // An empty slot publishes nothing.
  CHECK(state.on_reading(tower1.cells[4], rct::Value(BatteryModuleStatus{})).empty());
  // Everything published so far, for a reconnect.
  CHECK(module_topic_payload(state.current(), "battery/tower_1/module_2/cycles") == "412");
  CHECK(module_topic_payload(state.current(), "battery/tower_1/module_5/cell_voltage_min") ==
        "(none)");
}

TEST_CASE(
    "a repeated module reading publishes nothing and an emptied slot leaves the reconnect set",
    "[battery_cells]") {
  BatteryModuleState state;
  const auto& tower1 = battery_tower_oids()[0];
  CHECK_FALSE(state.on_reading(tower1.cells[0], rct::Value(cells_at(3300))).empty());
  CHECK_FALSE(state.on_reading(tower1.cells[2], rct::Value(cells_at(3320))).empty());
  CHECK(state.on_reading(tower1.cells[0], rct::Value(cells_at(3300))).empty());
  CHECK(module_topic_payload(state.current(), "battery/tower_1/module_3/cell_voltage_min") ==
        "3.32");

  // Emptied, the slot publishes none of its module's topics (only the tower's figures change).
  for (const auto& t : state.on_reading(tower1.cells[2], rct::Value(BatteryModuleStatus{}))) {
    CHECK(t.key.starts_with("battery/tower_1/module_") == false);
  }
  CHECK(module_topic_payload(state.current(), "battery/tower_1/module_3/cell_voltage_min") ==
        "(none)");
  CHECK(module_topic_payload(state.current(), "battery/tower_1/module_1/cell_voltage_min") ==
        "3.3");
  // The module back in its slot is published again, though its figures did not change.
  CHECK(module_topic_payload(state.on_reading(tower1.cells[2], rct::Value(cells_at(3320))),
                             "battery/tower_1/module_3/cell_voltage_min") == "3.32");
}
