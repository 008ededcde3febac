// The battery's status bits end to end (docs/writes.md §3, docs/mqtt.md): the real rct2mqtt
// between the simulator and a real Mosquitto. The simulator's battery words and reboot options
// set the traps of the field (docs/protocol.md §14.2): bat_status 2048 in normal operation,
// calibration in status2, a PV power reduction that survives a reboot.
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/command.h"
#include "core/value.h"
#include "core/write_allowlist.h"
#include "tests/integration/client_harness.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/poll.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using nlohmann::json;
using rct::test::ChildProcess;
using namespace rct::test::e2e;

namespace {

constexpr std::uint32_t kPowerReduction = 0xFE1AA500;  // buf_v_control.power_reduction

// Sends {"value": value, "id": id} to settings/<key>/set and returns the answer.
json battery_test_command(World& w, const std::string& base, const std::string& key,
                          const json& value, const std::string& id) {
  const std::string topic = base + "/settings/" + key + "/set";
  publish_command(w, topic, json{{"value", value}, {"id", id}}.dump());
  auto r = wait_answer_id(*w.sub, topic + "/result", id);
  REQUIRE(r);
  return *r;
}

// The attributes JSON published last after line `from`, once `pred` accepts one.
json battery_test_attributes(Subscriber& sub, const std::string& topic, std::size_t from,
                             const std::function<bool(const json&)>& pred) {
  json found;
  const auto idx = sub.wait(
      [&](const Line& l) {
        if (l.topic != topic) return false;
        json j = json::parse(l.payload, nullptr, false);
        if (j.is_discarded() || !pred(j)) return false;
        found = std::move(j);
        return true;
      },
      20s, from);
  REQUIRE(idx);
  return found;
}

}  // namespace

TEST_CASE(
    "balancing (bat_status 2048) lets a strategy change through; a calibration refuses it "
    "naming the bit, and the battery state shows both",
    "[daemon][e2e][writes][battery]") {
  World w([] {
    DaemonSetup s;
    s.writes = "enabled = true\nallow = [\"soc_strategy\", \"battery_power_extern\"]\n";
    return s;
  }());
  // Current firmware: 2048 while the cells are balanced, which is routine; and the battery
  // calibrates (charge phase: status2 bit 3).
  SwitchableSimulator::apply(w.sim->set_bat_status(2048));
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kCharge));
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string base = "rct2mqtt/" + serial;
  const std::string state = base + "/battery/state";
  const std::string attributes = state + "/attributes";

  REQUIRE(w.sub->wait_line(state, "calibrating (charge)", 20s));
  const json calibrating = battery_test_attributes(
      *w.sub, attributes, 0, [](const json& j) { return j.value("status2", -1) == 8; });
  CHECK(calibrating == json::parse(R"({"bat_status": 2048, "status2": 8,
                                       "bits": ["balancing", "calibrating_charge"],
                                       "unknown_bits": []})"));
  REQUIRE(w.sub->wait_line(base + "/settings/soc_strategy", "Internal", 15s));
  const json refused = battery_test_command(w, base, "soc_strategy", "External", "ext-calibrating");
  INFO(refused.dump());
  CHECK(refused.at("outcome") == "rejected");
  CHECK(refused.at("reason") == "interlock");
  CHECK(refused.at("message") ==
        "power_mng.soc_strategy: refused while the battery is calibrating (charge phase): "
        "battery.status2 bit 3 (8) is set");
  CHECK(setting_writes(w.sim).empty());

  // The calibration over, the cells still balancing: the same write goes through.
  std::size_t from = w.sub->lines().size();
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kNone));
  REQUIRE(w.sub->wait_line(state, "balancing", 20s, from));
  const json balancing = battery_test_attributes(
      *w.sub, attributes, from, [](const json& j) { return j.value("status2", -1) == 0; });
  CHECK(balancing == json::parse(R"({"bat_status": 2048, "status2": 0, "bits": ["balancing"],
                                     "unknown_bits": []})"));
  const json external = battery_test_command(w, base, "soc_strategy", "External", "ext-balancing");
  INFO(external.dump());
  CHECK(external.at("outcome") == "verified");

  // Calibrating again (discharge phase): a battery power is refused too, naming the bit.
  from = w.sub->lines().size();
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kDischarge));
  REQUIRE(w.sub->wait_line(state, "calibrating (discharge)", 20s, from));
  const json power =
      battery_test_command(w, base, "battery_power_extern", -1000, "power-calibrating");
  INFO(power.dump());
  CHECK(power.at("outcome") == "rejected");
  CHECK(power.at("reason") == "interlock");
  CHECK(power.at("message") ==
        "power_mng.battery_power_extern: refused while the battery is calibrating (discharge "
        "phase): battery.status2 bit 10 (1024) is set");
  CHECK(w.sim->received().frames(rct::Command::kWrite, 0xBD008E29).empty());

  // Normal operation on older systems: bat_status 0, status2 0.
  from = w.sub->lines().size();
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kNone));
  SwitchableSimulator::apply(w.sim->set_bat_status(0));
  REQUIRE(w.sub->wait_line(state, "normal", 20s, from));
  require_every_state(*w.sub);  // for Home Assistant's view below
  // Stopping hands the battery back (Internal, 0 W): reverts are never blocked.
  stop_daemon(*daemon);
  rct::test::ClientHarness reader(rct::test::shared_link_options(w.sim->port()));
  reader.client->start();
  const auto strategy = reader.read(rct::kOidSocStrategy);
  REQUIRE(strategy.has_value());
  REQUIRE(strategy->ok());
  CHECK((*strategy)->value == rct::Value(rct::EnumValue{4}));

  // Home Assistant's view: a text sensor with its attributes topic, enabled by default.
  json device;
  for (const Line& l : w.sub->lines()) {
    if (l.topic == "homeassistant/device/rct2mqtt_" + serial + "/config" && l.payload != "(null)")
      device = discovery_json(l.payload);
  }
  REQUIRE(device.at("components").contains("battery_state"));
  const json& entity = device.at("components").at("battery_state");
  CHECK(entity.at("name") == "Battery state");
  CHECK(entity.at("state_topic") == state);
  CHECK(entity.at("json_attributes_topic") == attributes);
  CHECK_FALSE(entity.contains("unit_of_measurement"));
  CHECK_FALSE(entity.contains("state_class"));
  CHECK_FALSE(entity.contains("device_class"));
  CHECK_FALSE(entity.contains("enabled_by_default"));
  CHECK(entity.at("icon").get<std::string>().rfind("mdi:", 0) == 0);
  check_home_assistant_view(w.sub->lines(), w.dir.path());
}

TEST_CASE(
    "after an inverter reboot the PV power reduction setting shows what the device kept, "
    "never an assumed 100 %",
    "[daemon][e2e][writes][battery]") {
  World w([] {
    DaemonSetup s;
    s.writes = "enabled = true\nallow = [\"pv_power_reduction\"]\n";
    return s;
  }());
  // The claim of the field: the reduction survives a reboot.
  SwitchableSimulator::apply(w.sim->set_reboot_keeps_power_reduction(true));
  auto daemon = w.start();
  const std::string base = "rct2mqtt/" + serial_of(*w.sub);
  const std::string topic = base + "/settings/pv_power_reduction";
  REQUIRE(w.sub->wait_line(topic, "100", 20s));
  const json written = battery_test_command(w, base, "pv_power_reduction", 60, "reduce");
  INFO(written.dump());
  CHECK(written.at("outcome") == "verified");
  REQUIRE(w.sub->wait_line(topic, "60", 15s));

  std::size_t from = w.sub->lines().size();
  const auto reduction_reads = [&] {
    return w.sim->received().frames(rct::Command::kRead, kPowerReduction).size();
  };
  const std::size_t reads_before = reduction_reads();
  SwitchableSimulator::apply(w.sim->reboot());
  // Two reads of the setting after the reboot (at most one more may have come before it): the
  // first one's answer is handled before the daemon asks again. An unchanged value then comes
  // again with the next heartbeat (10 s), which must still say 60.
  REQUIRE(rct::test::poll_until_true([&] { return reduction_reads() >= reads_before + 3; }, 30s));
  const auto after = w.sub->wait_line(topic, "60", 30s, w.sub->lines().size());
  REQUIRE(after);
  const std::vector<Line> lines = w.sub->lines();
  for (std::size_t i = from; i <= *after; ++i) {
    INFO(lines[i].topic << " " << lines[i].payload);
    CHECK_FALSE((lines[i].topic == topic && lines[i].payload != "60"));
  }

  // Volatile (the simulator's default): the next reboot brings 100 % back, and the topic
  // follows the device.
  SwitchableSimulator::apply(w.sim->set_reboot_keeps_power_reduction(false));
  from = w.sub->lines().size();
  SwitchableSimulator::apply(w.sim->reboot());
  REQUIRE(w.sub->wait_line(topic, "100", 20s, from));
  CHECK(w.sim->received().frames(rct::Command::kWrite, kPowerReduction).size() == 1);
  stop_daemon(*daemon);
}

TEST_CASE("the blocked battery bits come from the writes section and follow a reload",
          "[daemon][e2e][writes][battery]") {
  World w([] {
    DaemonSetup s;
    s.writes = "enabled = true\nallow = [\"soc_strategy\"]\nblock_battery_bits = [\"balancing\"]\n";
    return s;
  }());
  SwitchableSimulator::apply(w.sim->set_bat_status(2048));
  auto daemon = w.start();
  const std::string base = "rct2mqtt/" + serial_of(*w.sub);
  REQUIRE(w.sub->wait_line(base + "/settings/soc_strategy", "Internal", 20s));
  const json refused = battery_test_command(w, base, "soc_strategy", "External", "balancing");
  INFO(refused.dump());
  CHECK(refused.at("reason") == "interlock");
  CHECK(refused.at("message") ==
        "power_mng.soc_strategy: refused while the battery is balancing its cells: "
        "battery.bat_status bit 11 (2048) is set");

  // Nothing blocked any more after the reload.
  DaemonSetup open;
  open.writes = "enabled = true\nallow = [\"soc_strategy\"]\nblock_battery_bits = []\n";
  w.write(open);
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_output("configuration reloaded", 15s, true));
  const json verified = battery_test_command(w, base, "soc_strategy", "External", "open");
  INFO(verified.dump());
  CHECK(verified.at("outcome") == "verified");
  stop_daemon(*daemon);
}
