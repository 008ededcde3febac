// Battery modules and cells end to end (docs/mqtt.md §2.8): the real rct2mqtt reads the
// simulator's two battery towers (a weak cell, an empty slot, a cold second tower) and publishes
// module and tower figures, a cell JSON per module and a Home Assistant device per tower; the
// test checks every figure against the cells the simulator sent. Every wait has a deadline.
#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/value.h"
#include "core/value_codec.h"
#include "tests/integration/daemon_harness.h"
#include "tests/integration/simulator_harness.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using nlohmann::json;
using namespace rct::test::e2e;

namespace {

struct SimulatedModule {
  int tower;          // from 1
  int module;         // from 1
  std::string cells;  // registry name of its BATTERY_MODULE_STATUS OID
};

// The simulator's filled slots (tools/simulator/battery_towers.h).
const std::vector<SimulatedModule> kFilledModules = {
    {1, 1, "battery.cells[0]"},
    {1, 2, "battery.cells[1]"},
    {1, 3, "battery.cells[2]"},
    {2, 1, "battery_placeholder[0].cells[0]"},
    {2, 3, "battery_placeholder[0].cells[2]"},
};

double median_value(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

TEST_CASE("battery module figures equal what the simulated cells imply, per module and tower",
          "[e2e][battery_modules]") {
  World w;
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string base = "rct2mqtt/" + serial + "/battery/";

  // Every filled module's cycles and resistances (read after its cells), both towers' SOH and
  // tower 2's device message.
  std::vector<std::string> awaited = {base + "tower_1/soh", base + "tower_2/soh"};
  for (const auto& m : kFilledModules) {
    const std::string prefix =
        base + "tower_" + std::to_string(m.tower) + "/module_" + std::to_string(m.module) + "/";
    awaited.push_back(prefix + "cycles");
    awaited.push_back(prefix + "cell_resistance_mean");
  }
  const std::string tower2_device =
      "homeassistant/device/rct2mqtt_" + serial + "_battery_tower_2/config";
  awaited.push_back(tower2_device);
  std::map<std::string, std::string> last;  // topic → last payload
  const auto done = w.sub->wait(
      [&](const Line& l) {
        last[l.topic] = l.payload;
        return std::all_of(awaited.begin(), awaited.end(),
                           [&](const std::string& t) { return last.count(t) == 1; });
      },
      60s);
  std::string missing;
  for (const std::string& t : awaited) {
    if (last.count(t) == 0) missing += t + " ";
  }
  INFO("missing: " << missing);
  INFO(daemon->err());
  REQUIRE(done);
  // The figures of the last resistance reading may follow in the same batch: read them all.
  w.sub->pump(500ms);
  last.clear();
  for (const Line& l : w.sub->lines()) last[l.topic] = l.payload;

  std::map<int, std::vector<double>> tower_voltages;     // mV
  std::map<int, std::vector<double>> tower_resistances;  // mΩ
  for (const auto& m : kFilledModules) {
    const std::string prefix =
        base + "tower_" + std::to_string(m.tower) + "/module_" + std::to_string(m.module) + "/";
    INFO(prefix);
    REQUIRE(last.count(prefix + "cells") == 1);
    const json j = json::parse(last[prefix + "cells"]);
    CHECK(j["tower"] == m.tower);
    CHECK(j["module"] == m.module);
    REQUIRE(j["cells"].size() == 24);

    // The cells are those the simulator sent for the module's OID.
    const auto sent = sent_values(*w.sim.operator->(), rct::test::oid_of(m.cells),
                                  rct::DataType::kBatteryModuleStatus);
    REQUIRE_FALSE(sent.empty());
    const auto& status = std::get<rct::BatteryModuleStatus>(sent.back());
    double vmin = 1e9, vmax = -1e9, vsum = 0, rmax = 0, rsum = 0;
    int tmin = 1000, tmax = -1000;
    for (std::size_t i = 0; i < 24; ++i) {
      const json& c = j["cells"][i];
      CHECK(c["cell"] == i + 1);
      CHECK(c["voltage"].get<double>() * 1000 == Approx(status.cells[i].voltage_mv));
      CHECK(c["temperature"] == status.cells[i].temperature_c);
      const double mv = status.cells[i].voltage_mv;
      const double r = c["resistance"].get<double>();
      vmin = std::min(vmin, mv);
      vmax = std::max(vmax, mv);
      vsum += mv;
      rmax = std::max(rmax, r);
      rsum += r;
      tmin = std::min<int>(tmin, status.cells[i].temperature_c);
      tmax = std::max<int>(tmax, status.cells[i].temperature_c);
      tower_voltages[m.tower].push_back(mv);
      tower_resistances[m.tower].push_back(r);
    }
    auto figure = [&](const std::string& leaf) {
      INFO(leaf);
      REQUIRE(last.count(prefix + leaf) == 1);
      return std::stod(last[prefix + leaf]);
    };
    CHECK(figure("cell_voltage_min") == Approx(vmin / 1000).margin(5e-4));
    CHECK(figure("cell_voltage_max") == Approx(vmax / 1000).margin(5e-4));
    CHECK(figure("cell_voltage_mean") == Approx(vsum / 24 / 1000).margin(5e-4));
    CHECK(figure("cell_voltage_spread") == vmax - vmin);
    CHECK(figure("cell_temperature_min") == tmin);
    CHECK(figure("cell_temperature_max") == tmax);
    CHECK(figure("cell_resistance_max") == Approx(rmax).margin(5e-4));
    CHECK(figure("cell_resistance_mean") == Approx(rsum / 24).margin(5e-4));
    CHECK(figure("cycles") >= 0);
    if (m.tower == 2) CHECK(figure("cell_temperature_min") < 0);  // the cold garage
  }

  // Per tower: the weakest cell below the median, the worst resistance above it.
  for (int tower : {1, 2}) {
    INFO("tower " << tower);
    const std::string prefix = base + "tower_" + std::to_string(tower) + "/";
    const auto& v = tower_voltages[tower];
    const auto& r = tower_resistances[tower];
    const double weakest = median_value(v) - *std::min_element(v.begin(), v.end());
    const double worst =
        (*std::max_element(r.begin(), r.end()) - median_value(r)) / median_value(r) * 100;
    CHECK(std::stod(last[prefix + "weakest_cell_below_median"]) == Approx(weakest).margin(0.05));
    CHECK(std::stod(last[prefix + "worst_resistance_above_median"]) == Approx(worst).margin(0.05));
  }
  // Tower 1's weak cell stands out by tens of mV; the simulator's spread is ±8 mV.
  CHECK(std::stod(last[base + "tower_1/weakest_cell_below_median"]) > 30);
  CHECK(std::stod(last[base + "tower_1/soh"]) == Approx(97.0));
  CHECK(std::stod(last[base + "tower_2/soh"]) == Approx(95.0));

  // Empty slots (0 V) publish nothing.
  for (const Line& l : w.sub->lines()) {
    INFO(l.topic);
    CHECK(l.topic.rfind(base + "tower_2/module_2/", 0) != 0);
    CHECK(l.topic.rfind(base + "tower_1/module_4/", 0) != 0);
  }

  // Tower 2 is a Home Assistant device of its own, via the inverter.
  const json device_msg = discovery_json(last[tower2_device]);
  CHECK(device_msg["device"]["via_device"] == "rct2mqtt_" + serial);
  CHECK(device_msg["device"]["identifiers"][0] == "rct2mqtt_" + serial + "_battery_tower_2");
  const json& components = device_msg["components"];
  const std::string t2m1 = "battery_tower_2_module_1_";
  REQUIRE(components.contains(t2m1 + "cell_temperature_min"));
  CHECK(components[t2m1 + "cell_temperature_min"]["device_class"] == "temperature");
  CHECK(components[t2m1 + "cell_temperature_min"]["unit_of_measurement"] == "°C");
  CHECK(components[t2m1 + "cell_voltage_min"]["device_class"] == "voltage");
  CHECK(components[t2m1 + "cell_voltage_mean"]["enabled_by_default"] == false);
  CHECK(components.contains("battery_tower_2_module_3_cycles"));
  for (const auto& [id, c] : components.items()) {
    INFO(id);
    CHECK(id.rfind("battery_tower_2_module_2_", 0) != 0);
  }
  require_every_state(*w.sub);
  check_home_assistant_view(w.sub->lines(), w.dir.path());
  stop_daemon(*daemon);
}

TEST_CASE("a module taken out of a tower that stays has its entities removed, the tower kept",
          "[e2e][battery_modules]") {
  DaemonSetup setup;
  setup.poll = "module_interval = 2\n";  // the cells are read again soon after the change
  World w(setup);
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string tower1 = "homeassistant/device/rct2mqtt_" + serial + "_battery_tower_1/config";
  const std::string module3 = "battery_tower_1_module_3_";
  const auto tower_message = [&](std::size_t from, const auto& pred) {
    return w.sub->wait(
        [&](const Line& l) {
          if (l.topic != tower1) return false;
          const json j = discovery_json(l.payload);
          return j.is_object() && j.contains("components") && pred(j["components"]);
        },
        60s, from);
  };
  REQUIRE(tower_message(0, [&](const json& c) {
    return c.contains(module3 + "cycles") && c[module3 + "cycles"].contains("state_topic");
  }));

  // Module 3 of tower 1 leaves (its cells read 0 V from now on).
  const std::size_t from = w.sub->lines().size();
  SwitchableSimulator::apply(w.sim->set_module_installed(0, 2, false));
  const auto stubbed = tower_message(from, [&](const json& c) {
    return c.contains(module3 + "cycles") && c[module3 + "cycles"] == json{{"platform", "sensor"}};
  });
  INFO(daemon->err());
  REQUIRE(stubbed);
  const json components = discovery_json(w.sub->lines()[*stubbed].payload)["components"];
  std::size_t stubs = 0;
  for (const auto& [id, c] : components.items()) {
    INFO(id);
    if (id.rfind(module3, 0) == 0) {
      CHECK(c == json{{"platform", "sensor"}});
      ++stubs;
    } else {
      CHECK(c.contains("state_topic"));  // the tower and its other modules stay
    }
  }
  CHECK(stubs == 9);
  CHECK(components.contains("battery_tower_1_module_1_cycles"));
  // The tower's device was never removed as a whole.
  for (const Line& l : w.sub->lines()) CHECK_FALSE((l.topic == tower1 && l.payload == "(null)"));

  require_every_state(*w.sub);
  check_home_assistant_view(w.sub->lines(), w.dir.path());
  stop_daemon(*daemon);
}
