// Battery modes end to end (docs/battery-modes.md): mode commands published with mosquitto_pub
// to the real rct2mqtt, which reads the inverter (the simulator), writes, reads back and then
// watches the power flow for a short effect window; answers and the mode topic observed with
// mosquitto_sub, the device's settings read with a client of the test's own. Every wait has a
// deadline; nothing sleeps.
#include <chrono>
#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/client/client_error.h"
#include "core/command.h"
#include "core/value_codec.h"
#include "core/write_allowlist.h"
#include "tests/integration/client_harness.h"
#include "tests/integration/daemon_harness.h"
#include "tests/integration/simulator_harness.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using nlohmann::json;
using namespace rct::test::e2e;

namespace {

// The answer's fields as the contract has them.
void check_mode_contract(const json& r) {
  INFO(r.dump());
  REQUIRE(r.is_object());
  CHECK(r.size() == 8);
  CHECK(r.at("key") == "battery_mode");
  CHECK(r.at("mode").is_string());
  CHECK(r.at("outcome").is_string());
  CHECK((r.at("reason").is_null() || r.at("reason").is_string()));
  CHECK(r.at("message").is_string());
  CHECK((r.at("effect").is_null() || r.at("effect").is_object()));
  CHECK(r.at("ts").is_string());
}

using ReadResult = rct::Result<rct::client::Reading, rct::client::ClientError>;

// One read by the test's own client, waited for as long as its retries can take.
ReadResult read_once(rct::test::ClientHarness& h, std::uint32_t oid) {
  std::optional<ReadResult> r;
  h.client->read(oid, [&](ReadResult got) { r = std::move(got); });
  REQUIRE(h.run_until([&] { return r.has_value(); }, 15s));
  return std::move(*r);
}

// A client of the test's own on the simulator (a new one per read: replies go to every client).
double read_fraction(World& w, std::uint32_t oid) {
  rct::test::ClientHarness h(rct::test::shared_link_options(w.sim->port()));
  h.client->start();
  const ReadResult r = read_once(h, oid);
  INFO((r.ok() ? std::string("read") : std::string(rct::client::client_error_name(r.error()))));
  REQUIRE(r.ok());
  const float* f = std::get_if<float>(&r->value);
  REQUIRE(f != nullptr);
  return *f;
}

// Writes `value` to a FLOAT OID of the simulator directly (no allowlist: the test's own client),
// and waits until it reads back.
void write_float(World& w, std::uint32_t oid, float value) {
  rct::test::ClientHarness h(rct::test::shared_link_options(w.sim->port()));
  h.client->start();
  auto payload = rct::encode_value(rct::DataType::kFloat, rct::Value(value));
  REQUIRE(payload.ok());
  bool sent = false;
  h.client->write(oid, *payload,
                  [&](rct::Result<void, rct::client::ClientError> r) { sent = r.ok(); });
  REQUIRE(h.run_until([&] { return sent; }, 15s));
  // The device applies a write a moment after taking it (the simulator's write delay).
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  bool applied = false;
  while (!applied && std::chrono::steady_clock::now() < deadline) {
    const ReadResult r = read_once(h, oid);
    applied = r.ok() && r->value == rct::Value(value);
  }
  REQUIRE(applied);
}

DaemonSetup modes_setup() {
  DaemonSetup s;
  // [battery_modes] follows [writes], the last section of the file.
  s.writes =
      "enabled = true\nallow = [\"battery_mode\"]\nmin_interval = 1\nreadback_delay = 0.2\n"
      "readback_interval = 0.2\nreadback_attempts = 3\n"
      "[battery_modes]\neffect_window = 5\nsample_interval = 0.5\ntolerance = 300\n";
  return s;
}

// The daemon polls the link at its full rate, and the test's own reads share it: with the
// simulator cutting a reply whenever another request arrives (docs/protocol.md §17.2), the two
// cut each other's replies in lockstep. Cut replies are the client tests' subject; here the link
// serves each request whole, so the test reads what the device holds.
struct ModesWorld : World {
  ModesWorld() : World(modes_setup()) { sim->set_truncation(false).get(); }
};

struct ModeTopics {
  explicit ModeTopics(const std::string& serial)
      : mode("rct2mqtt/" + serial + "/battery/mode"),
        attributes(mode + "/attributes"),
        set(mode + "/set"),
        result(mode + "/set/result"),
        device_config("homeassistant/device/rct2mqtt_" + serial + "/config") {}
  std::string mode;
  std::string attributes;
  std::string set;
  std::string result;
  std::string device_config;
};

}  // namespace

TEST_CASE("hold and charge are verified on the simulator by their read-backs and their effect",
          "[daemon][e2e][battery_mode]") {
  ModesWorld w;
  auto daemon = w.start();
  const ModeTopics t(serial_of(*w.sub));
  REQUIRE(w.sub->wait_line(t.mode, "normal", 20s));

  // Home Assistant: a select with the five modes, and the whole view passes the checker.
  REQUIRE(w.sub->wait(
      [&](const Line& l) {
        if (l.topic != t.device_config) return false;
        const json c = discovery_json(l.payload);
        return !c.is_discarded() && c.at("components").contains("battery_mode");
      },
      20s));
  json select;
  for (const Line& l : w.sub->lines()) {
    if (l.topic == t.device_config)
      select = discovery_json(l.payload).at("components")["battery_mode"];
  }
  CHECK(select.at("platform") == "select");
  CHECK(select.at("command_topic") == t.set);
  CHECK(select.at("state_topic") == t.mode);
  CHECK(select.at("options") ==
        json::array({"normal", "hold", "charge", "discharge_lock", "external"}));
  CHECK(select.at("entity_category") == "config");
  // "other" is no option: Home Assistant gets None (unknown) for it instead of an invalid option.
  CHECK(select.at("value_template") ==
        "{{ value if value in ['normal', 'hold', 'charge', 'discharge_lock', 'external'] else "
        "'None' }}");

  publish_command(w, t.set, R"({"mode":"hold","id":"h1"})");
  auto hold = wait_answer_id(*w.sub, t.result, "h1", 40s);
  REQUIRE(hold);
  check_mode_contract(*hold);
  CHECK(hold->at("mode") == "hold");
  CHECK(hold->at("outcome") == "verified");
  REQUIRE(hold->at("effect").is_object());
  CHECK(hold->at("effect").at("window") == 5.0);
  CHECK(hold->at("effect").at("battery_power").is_number());
  REQUIRE(w.sub->wait_line(t.mode, "hold", 10s));
  // Never above the SOC.
  const double soc = read_fraction(w, rct::kOidBatterySoc);
  const double soc_min = read_fraction(w, rct::kOidSocMin);
  CHECK(soc_min <= soc);
  CHECK(soc_min > 0.07);

  // A restart reads the mode from the device (with the hold minimum from the state file).
  stop_daemon(*daemon);
  const std::size_t before = w.sub->lines().size();
  daemon = w.start();
  REQUIRE(w.sub->wait_line(t.mode, "hold", 20s, before));

  publish_command(w, t.set, R"({"mode":"charge","power":3000,"soc":96,"id":"c1"})");
  auto charge = wait_answer_id(*w.sub, t.result, "c1", 40s);
  REQUIRE(charge);
  check_mode_contract(*charge);
  INFO(charge->dump());
  CHECK(charge->at("outcome") == "verified");
  // The power flow seen in the window: charging at the requested power.
  CHECK(std::abs(charge->at("effect").at("battery_power").get<double>() + 3000) <= 600);
  REQUIRE(w.sub->wait_line(t.mode, "charge", 10s));
  REQUIRE(w.sub->wait(
      [&](const Line& l) {
        if (l.topic != t.attributes) return false;
        const json a = json::parse(l.payload, nullptr, false);
        return !a.is_discarded() && a.value("mode", "") == "charge" &&
               a.value("power", 0.0) == 3000 && a.value("soc", 0.0) == 96;
      },
      10s));

  publish_command(w, t.set, R"({"mode":"normal","id":"n1"})");
  auto normal = wait_answer_id(*w.sub, t.result, "n1", 40s);
  REQUIRE(normal);
  CHECK(normal->at("outcome") == "verified");
  REQUIRE(w.sub->wait_line(t.mode, "normal", 10s));
  CHECK(read_fraction(w, rct::kOidSocMin) == Approx(0.07));

  require_every_state(*w.sub);
  check_home_assistant_view(w.sub->lines(), w.dir.path());
  stop_daemon(*daemon);
}

TEST_CASE("the grid-charge trap makes hold revert to normal on its effect, with the figures",
          "[daemon][e2e][battery_mode]") {
  ModesWorld w;
  auto daemon = w.start();
  const ModeTopics t(serial_of(*w.sub));
  REQUIRE(w.sub->wait_line(t.mode, "normal", 20s));
  // The field's trap: a minimum within 2 % below the SOC makes the inverter charge from the grid.
  // PV curtailed to 0, so that the grid, not a PV surplus, carries that charge at noon.
  w.sim->set_grid_charge_trap(0.02).get();
  write_float(w, 0xFE1AA500, 0.0f);  // buf_v_control.power_reduction

  publish_command(w, t.set, R"({"mode":"hold","id":"trap"})");
  auto r = wait_answer_id(*w.sub, t.result, "trap", 40s);
  REQUIRE(r);
  check_mode_contract(*r);
  INFO(r->dump());
  CHECK(r->at("outcome") == "reverted");
  CHECK(r->at("reason") == "effect");
  REQUIRE(r->at("effect").is_object());
  CHECK(r->at("effect").at("battery_power").get<double>() < -300);
  CHECK(r->at("effect").at("grid_power").get<double>() > 300);
  CHECK(r->at("effect").at("soc").is_number());
  // Read back correctly, and still reverted: back to normal, soc_min the user's again.
  // The mode is published before the answer: it never showed hold.
  for (const Line& l : w.sub->lines()) CHECK_FALSE((l.topic == t.mode && l.payload == "hold"));
  CHECK(read_fraction(w, rct::kOidSocMin) == Approx(0.07));
  CHECK(w.sim->received().frames(rct::Command::kWrite, rct::kOidSocMin).size() >= 2);
  stop_daemon(*daemon);
  CHECK(daemon->err().find("reverting to normal") != std::string::npos);
}

TEST_CASE("a write the busy inverter does not take is unverified and the mode reverted",
          "[daemon][e2e][battery_mode]") {
  ModesWorld w;
  auto daemon = w.start();
  const ModeTopics t(serial_of(*w.sub));
  REQUIRE(w.sub->wait_line(t.mode, "normal", 20s));
  // Both WRITEs of soc_min (the first and its resend) are ignored, the revert is taken.
  w.sim->script_busy(2).get();
  publish_command(w, t.set, R"({"mode":"hold","id":"busy"})");
  auto r = wait_answer_id(*w.sub, t.result, "busy", 40s);
  REQUIRE(r);
  check_mode_contract(*r);
  INFO(r->dump());
  CHECK(r->at("outcome") == "unverified");
  CHECK(r->at("reason") == "mismatch");
  CHECK(r->at("message").get<std::string>().find("reverted to normal") != std::string::npos);
  CHECK(read_fraction(w, rct::kOidSocMin) == Approx(0.07));
  REQUIRE(w.sub->wait_line(t.mode, "normal", 10s));
  stop_daemon(*daemon);
}

TEST_CASE("rctclient battery-mode runs the daemon's mode machine against the simulator",
          "[battery_mode][rctclient]") {
  rct::test::RunningSimulator sim(rct::test::test_registry());
  auto run = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {RCTCLIENT_PATH, "battery-mode", "--host",
                                     "127.0.0.1",    "--port",       std::to_string(sim->port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return rct::test::run_process(argv, {}, 60s);
  };
  // Without --yes nothing is sent, not even a connection.
  const auto unconfirmed = run({"hold"});
  CHECK(unconfirmed.exit_code == 2);
  CHECK(sim->received().size() == 0);

  const auto charge = run({"charge", "--power", "2500", "--soc", "95", "--yes", "--window", "1",
                           "--sample-interval", "0.5"});
  INFO(charge.err);
  REQUIRE(charge.exit_code == 0);
  const json answer = json::parse(charge.out);
  CHECK(answer.at("mode") == "charge");
  CHECK(answer.at("outcome") == "verified");
  CHECK(std::abs(answer.at("effect").at("battery_power").get<double>() + 2500) <= 500);
  CHECK(sim->received().frames(rct::Command::kWrite, rct::kOidBatteryPowerExtern).size() == 1);

  const auto normal = run({"normal", "--yes", "--window", "1", "--sample-interval", "0.5"});
  INFO(normal.err);
  CHECK(normal.exit_code == 0);
  CHECK(json::parse(normal.out).at("outcome") == "verified");

  // With the simulator ignoring writes: unverified, exit 4.
  sim->set_busy(true).get();
  const auto busy = run({"discharge_lock", "--yes", "--window", "1", "--sample-interval", "0.5"});
  CHECK(busy.exit_code == 4);
  CHECK(json::parse(busy.out).at("outcome") == "unverified");
}

TEST_CASE(
    "with bat_status 2048 (balancing) a charge is verified; while the battery calibrates it is "
    "refused naming the bit, and nothing is written",
    "[daemon][e2e][battery_mode][battery]") {
  ModesWorld w;
  SwitchableSimulator::apply(w.sim->set_bat_status(2048));
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kDischarge));
  auto daemon = w.start();
  const ModeTopics t(serial_of(*w.sub));
  REQUIRE(w.sub->wait_line(t.mode, "normal", 20s));

  publish_command(w, t.set, R"({"mode":"charge","power":2000,"soc":96,"id":"cal"})");
  auto refused = wait_answer_id(*w.sub, t.result, "cal", 40s);
  REQUIRE(refused);
  check_mode_contract(*refused);
  INFO(refused->dump());
  CHECK(refused->at("outcome") == "rejected");
  CHECK(refused->at("reason") == "interlock");
  CHECK(refused->at("message").get<std::string>().find(
            "refused while the battery is calibrating (discharge phase): battery.status2 bit 10 "
            "(1024) is set") != std::string::npos);
  CHECK(setting_writes(w.sim).empty());
  CHECK(read_fraction(w, rct::kOidBatteryPowerExtern) == 0.0f);

  // The calibration over, balancing goes on (2048): routine, the same charge goes through.
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kNone));
  publish_command(w, t.set, R"({"mode":"charge","power":2000,"soc":96,"id":"bal"})");
  auto charged = wait_answer_id(*w.sub, t.result, "bal", 40s);
  REQUIRE(charged);
  INFO(charged->dump());
  CHECK(charged->at("outcome") == "verified");
  CHECK(std::abs(charged->at("effect").at("battery_power").get<double>() + 2000) <= 400);
  REQUIRE(w.sub->wait_line(t.mode, "charge", 10s));
  stop_daemon(*daemon);
}
