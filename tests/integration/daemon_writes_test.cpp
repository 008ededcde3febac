// Writes end to end (docs/writes.md): commands published with mosquitto_pub to the real rct2mqtt,
// which validates, writes to the simulator and reads back; answers and states observed with
// mosquitto_sub; what reached the inverter checked in the simulator's record of received frames and
// by reading it with a client of our own. Every wait has a deadline; nothing sleeps.
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/command.h"
#include "core/value_codec.h"
#include "core/write_allowlist.h"
#include "tests/integration/client_harness.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using nlohmann::json;
using rct::EnumValue;
using rct::Value;
using rct::test::ChildProcess;
using namespace rct::test::e2e;

namespace {

std::uint32_t setting_oid(std::string_view key) {
  const rct::WritableEntry* e = rct::find_writable_key(key);
  REQUIRE(e != nullptr);
  return e->oid;
}

// The first answer on `topic` (from line `from` on) that `pred` accepts, parsed.
std::optional<json> wait_result(Subscriber& sub, const std::string& topic,
                                const std::function<bool(const json&)>& pred,
                                std::chrono::milliseconds timeout = 20s, std::size_t from = 0) {
  std::optional<json> found;
  sub.wait(
      [&](const Line& l) {
        if (l.topic != topic) return false;
        json j = json::parse(l.payload, nullptr, false);
        if (j.is_discarded() || !pred(j)) return false;
        found = std::move(j);
        return true;
      },
      timeout, from);
  return found;
}

// The fields of the contract, each of its JSON type.
void check_contract(const json& r, const std::string& key) {
  INFO(r.dump());
  REQUIRE(r.is_object());
  CHECK(r.size() == 7);
  CHECK(r.at("key") == key);
  CHECK((r.at("id").is_null() || r.at("id").is_string() || r.at("id").is_number()));
  const std::string outcome = r.at("outcome").get<std::string>();
  CHECK((outcome == "verified" || outcome == "rejected" || outcome == "unverified" ||
         outcome == "dry_run"));
  CHECK((r.at("reason").is_null() || r.at("reason").is_string()));
  CHECK(r.at("message").is_string());
  CHECK_FALSE(r.at("message").get<std::string>().empty());
  CHECK(std::regex_match(r.at("ts").get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

// WRITE frames the simulator received for `oid`.
std::size_t writes_received(World& w, std::uint32_t oid) {
  return w.sim->received().frames(rct::Command::kWrite, oid).size();
}

// WRITE frames for any allowlisted setting.
std::size_t setting_writes_received(World& w) {
  std::size_t n = 0;
  for (const rct::WritableEntry& e : rct::writable_entries()) n += writes_received(w, e.oid);
  return n;
}

// A client of the test's own on the simulator: reads values independently of the daemon, and
// writes what no allowlist permits (the simulator stores bat_status like a setting). The
// simulator copies every reply to every client, and replies are matched by OID: make a new one
// for reads after a while, or it may take a queued copy of an older reply for its answer.
struct Probe {
  explicit Probe(World& w) : h(rct::test::shared_link_options(w.sim->port())) { h.client->start(); }
  Value read(std::uint32_t oid) {
    auto r = h.read(oid);
    REQUIRE(r.has_value());
    REQUIRE(r->ok());
    return (*r)->value;
  }
  void write(std::uint32_t oid, rct::DataType type, const Value& v) {
    auto payload = rct::encode_value(type, v);
    REQUIRE(payload.ok());
    bool sent = false;
    h.client->write(oid, *payload,
                    [&](rct::Result<void, rct::client::ClientError> r) { sent = r.ok(); });
    REQUIRE(h.run_until([&] { return sent; }));
    REQUIRE(h.run_until([&] { return read(oid) == v; }));
  }
  rct::test::ClientHarness h;
};

struct Topics {
  Topics(std::string base_, std::string serial_)
      : base(std::move(base_)), serial(std::move(serial_)) {}
  std::string set(std::string_view key) const { return state(key) + "/set"; }
  std::string result(std::string_view key) const { return state(key) + "/set/result"; }
  std::string state(std::string_view key) const {
    return base + "/" + serial + "/settings/" + std::string(key);
  }
  std::string device_config() const {
    return "homeassistant/device/rct2mqtt_" + serial + "/config";
  }
  std::string base;
  std::string serial;
};

DaemonSetup writes(std::string section) {
  DaemonSetup s;
  s.writes = std::move(section);
  return s;
}

std::size_t count_in(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = text.find(needle, p)) != std::string::npos; ++p) ++n;
  return n;
}

// The device discovery payload last published, parsed.
json last_device_config(Subscriber& sub, const Topics& t) {
  json out;
  for (const Line& l : sub.lines()) {
    if (l.topic == t.device_config() && !l.payload.empty()) out = discovery_json(l.payload);
  }
  return out;
}

// Takes the battery into strategy External at `power` W, both writes verified; the answer to the
// power command.
json hold_external(World& w, const Topics& t, int power) {
  REQUIRE(w.sub->wait_line(t.state("soc_strategy"), "Internal", 15s));
  publish_command(w, t.set("soc_strategy"), R"({"value": "External", "id": "ext"})");
  auto ext = wait_answer_id(*w.sub, t.result("soc_strategy"), "ext");
  REQUIRE(ext);
  REQUIRE(ext->at("outcome") == "verified");
  publish_command(w, t.set("battery_power_extern"),
                  R"({"value": )" + std::to_string(power) + R"(, "id": "power"})");
  auto answer = wait_answer_id(*w.sub, t.result("battery_power_extern"), "power");
  REQUIRE(answer);
  REQUIRE(answer->at("outcome") == "verified");
  return *answer;
}

// The bridge's own revert, answered on both result topics: id null, reason dead_man, verified,
// 0 W and Internal.
void check_dead_man_answers(World& w, const Topics& t, std::chrono::milliseconds timeout) {
  const auto dead_man = [](const json& j) { return j.at("reason") == "dead_man"; };
  auto power = wait_result(*w.sub, t.result("battery_power_extern"), dead_man, timeout);
  auto strategy = wait_result(*w.sub, t.result("soc_strategy"), dead_man, timeout);
  REQUIRE(power);
  REQUIRE(strategy);
  check_contract(*power, "battery_power_extern");
  check_contract(*strategy, "soc_strategy");
  CHECK(power->at("id").is_null());
  CHECK(power->at("outcome") == "verified");
  CHECK(power->at("value") == 0);
  CHECK(strategy->at("id").is_null());
  CHECK(strategy->at("outcome") == "verified");
  CHECK(strategy->at("value") == "Internal");
}

}  // namespace

TEST_CASE(
    "writes are off by default: a set is rejected and nothing reaches the inverter; a "
    "reload turns them on and off",
    "[daemon][e2e][writes]") {
  World w;
  auto daemon = w.start();
  const Topics t("rct2mqtt", serial_of(*w.sub));
  REQUIRE(w.sub->wait_suffix("/battery/soc", 15s));
  REQUIRE(w.sub->wait_line_topic(t.device_config(), 15s));

  publish_command(w, t.set("soc_target"), R"({"value": 50, "id": "d1"})");
  auto r = wait_answer_id(*w.sub, t.result("soc_target"), "d1");
  REQUIRE(r);
  check_contract(*r, "soc_target");
  CHECK(r->at("outcome") == "rejected");
  CHECK(r->at("reason") == "writes_disabled");
  CHECK(r->at("value").is_null());

  // A plain payload too, and an inverter this bridge does not know.
  publish_command(w, t.set("grid_charging"), "ON");
  auto plain = wait_result(*w.sub, t.result("grid_charging"), [](const json&) { return true; });
  REQUIRE(plain);
  CHECK(plain->at("id").is_null());
  CHECK(plain->at("reason") == "writes_disabled");
  const Topics stranger("rct2mqtt", "NOSUCHSERIAL");
  publish_command(w, stranger.set("soc_target"), R"({"value": 50, "id": 7})");
  auto unknown = wait_result(*w.sub, stranger.result("soc_target"),
                             [](const json& j) { return j.at("id") == 7; });
  REQUIRE(unknown);
  check_contract(*unknown, "soc_target");
  CHECK(unknown->at("reason") == "unknown_inverter");

  // Writes off: no settings topics, no setting entities, and not one WRITE.
  for (const Line& l : w.sub->lines()) {
    INFO(l.topic);
    CHECK((l.topic.find("/settings/") == std::string::npos ||
           l.topic.find("/set") != std::string::npos));
  }
  CHECK_FALSE(last_device_config(*w.sub, t).at("components").contains("settings_soc_target"));
  CHECK(setting_writes(w.sim).empty());

  // Reload with writes on: the settings are announced, polled, and writable.
  w.write(writes("enabled = true\n"));
  daemon->signal(SIGHUP);
  REQUIRE(w.sub->wait_line(t.state("soc_target"), "50", 15s));
  REQUIRE(w.sub->wait(
      [&](const Line& l) {
        return l.topic == t.device_config() &&
               discovery_json(l.payload).at("components").contains("settings_soc_target");
      },
      10s));
  publish_command(w, t.set("soc_target"), R"({"value": 42, "id": "d2"})");
  auto on = wait_answer_id(*w.sub, t.result("soc_target"), "d2");
  REQUIRE(on);
  CHECK(on->at("outcome") == "verified");
  CHECK(writes_received(w, setting_oid("soc_target")) == 1);

  // And off again: the entities go (platform-only stubs), commands are refused again.
  w.write(DaemonSetup{});
  daemon->signal(SIGHUP);
  REQUIRE(w.sub->wait(
      [&](const Line& l) {
        if (l.topic != t.device_config()) return false;
        const json c = discovery_json(l.payload).at("components");
        return c.contains("settings_soc_target") &&
               c.at("settings_soc_target") == json{{"platform", "number"}};
      },
      10s));
  // Their retained states are cleared (mosquitto_sub shows an empty payload as "(null)").
  CHECK(w.sub->wait_line(t.state("soc_target"), "(null)", 5s));
  CHECK(w.sub->wait_line(t.state("soc_strategy"), "(null)", 5s));
  publish_command(w, t.set("soc_target"), R"({"value": 43, "id": "d3"})");
  auto off = wait_answer_id(*w.sub, t.result("soc_target"), "d3");
  REQUIRE(off);
  CHECK(off->at("reason") == "writes_disabled");
  CHECK(writes_received(w, setting_oid("soc_target")) == 1);
  stop_daemon(*daemon);
  // The audit trail: every command and every outcome at info.
  INFO(daemon->err());
  CHECK(count_in(daemon->err(), "soc_target: command") == 4);  // d1, unknown inverter, d2, d3
  CHECK(count_in(daemon->err(), "soc_target: rejected (writes_disabled)") == 2);
  CHECK(count_in(daemon->err(), "soc_target: verified, read back 42") == 1);
}

TEST_CASE(
    "an enabled write is verified, shown on the state topic and taken by the simulator; "
    "discovery passes the checker",
    "[daemon][e2e][writes]") {
  World w(writes("enabled = true\n"));
  auto daemon = w.start();
  const Topics t("rct2mqtt", serial_of(*w.sub));
  // Polled settings in the user unit: the simulator's defaults.
  REQUIRE(w.sub->wait_line(t.state("soc_target"), "50", 15s));
  REQUIRE(w.sub->wait_line(t.state("soc_strategy"), "Internal", 15s));
  REQUIRE(w.sub->wait_line(t.state("grid_charging"), "OFF", 15s));

  publish_command(w, t.set("soc_target"), R"({"value": 42, "id": "req-1"})");
  auto r = wait_answer_id(*w.sub, t.result("soc_target"), "req-1");
  REQUIRE(r);
  check_contract(*r, "soc_target");
  CHECK(r->at("outcome") == "verified");
  CHECK(r->at("reason").is_null());
  CHECK(r->at("value") == 42);
  CHECK(w.sub->wait_line(t.state("soc_target"), "42", 5s));

  publish_command(w, t.set("grid_charging"), "ON");
  auto sw = wait_result(*w.sub, t.result("grid_charging"), [](const json&) { return true; });
  REQUIRE(sw);
  CHECK(sw->at("outcome") == "verified");
  CHECK(sw->at("value") == "ON");
  CHECK(w.sub->wait_line(t.state("grid_charging"), "ON", 5s));

  // The same setting again within min_interval (10 s): refused, not sent.
  publish_command(w, t.set("soc_target"), R"({"value": 43, "id": "req-2"})");
  auto limited = wait_answer_id(*w.sub, t.result("soc_target"), "req-2");
  REQUIRE(limited);
  CHECK(limited->at("outcome") == "rejected");
  CHECK(limited->at("reason") == "rate_limited");

  // The inverter holds the new values; exactly one WRITE each.
  Probe probe(w);
  CHECK(probe.read(setting_oid("soc_target")) == Value(0.42f));
  CHECK(probe.read(setting_oid("grid_charging")) == Value(true));
  const auto frames = w.sim->received().frames(rct::Command::kWrite, setting_oid("soc_target"));
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == rct::encode_value(rct::DataType::kFloat, Value(0.42f)).value());
  CHECK(writes_received(w, setting_oid("grid_charging")) == 1);

  // Discovery: number, select and switch entities for every allowlisted setting.
  const json device = last_device_config(*w.sub, t);
  for (const rct::WritableEntry& e : rct::writable_entries()) {
    INFO(e.key);
    const std::string id = "settings_" + std::string(e.key);
    REQUIRE(device.at("components").contains(id));
    CHECK(device.at("components").at(id).at("command_topic") == t.set(e.key));
  }
  require_every_state(*w.sub);
  stop_daemon(*daemon);

  check_home_assistant_view(w.sub->lines(), w.dir.path());
}

TEST_CASE("every rejection path answers rejected with its reason and sends no WRITE",
          "[daemon][e2e][writes]") {
  // Everything allowed but the PV limit.
  World w(writes(
      "enabled = true\nallow = [\"soc_target\", \"soc_strategy\", \"battery_power_extern\"]\n"));
  auto daemon = w.start();
  const Topics t("rct2mqtt", serial_of(*w.sub));
  REQUIRE(w.sub->wait_line(t.state("soc_strategy"), "Internal", 15s));
  // The battery calibrates (charge phase): a strategy change must wait.
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kCharge));

  struct Row {
    int line;
    std::string key;
    std::string value;  // sent as {"value": ..., "id": ...}; empty: {"id": ...} alone
    std::string reason;
    std::string message;  // a substring
  };
  const std::vector<Row> rows{
      {__LINE__, "com_service", "5", "not_allowlisted", "'com_service' is not a writable setting"},
      {__LINE__, "pv_power_reduction", "50", "not_allowlisted", "not among the values allowed"},
      {__LINE__, "soc_target", "150", "out_of_range", "outside 5..100 %"},
      {__LINE__, "soc_target", "42.5", "bad_step", "not a multiple of 1 %"},
      {__LINE__, "soc_target", "abc", "unparseable", "not a number"},
      {__LINE__, "soc_target", "", "unparseable", "no \"value\""},
      {__LINE__, "soc_strategy", "Bogus", "bad_enum", "is not one of"},
      {__LINE__, "soc_strategy", "External", "interlock",
       "refused while the battery is calibrating (charge phase): battery.status2 bit 3 (8) is set"},
      {__LINE__, "battery_power_extern", "500", "interlock", "battery.status2 bit 3 (8) is set"},
  };
  int n = 0;
  for (const Row& row : rows) {
    INFO("row at " << __FILE__ << ":" << row.line << ": " << row.key << " = " << row.value);
    const std::string id = "rej-" + std::to_string(++n);
    json command{{"id", id}};
    if (!row.value.empty()) command["value"] = row.value;
    publish_command(w, t.set(row.key), command.dump());
    auto r = wait_answer_id(*w.sub, t.result(row.key), id);
    REQUIRE(r);
    check_contract(*r, row.key);
    CHECK(r->at("outcome") == "rejected");
    CHECK(r->at("reason") == row.reason);
    CHECK_THAT(r->at("message").get<std::string>(), Catch::Contains(row.message));
    CHECK(r->at("value").is_null());
  }
  // The calibration over, a battery power still needs strategy External.
  SwitchableSimulator::apply(w.sim->set_calibration(rct::sim::Calibration::kNone));
  publish_command(w, t.set("battery_power_extern"), R"({"value": 500, "id": "rej-strategy"})");
  auto strategy = wait_answer_id(*w.sub, t.result("battery_power_extern"), "rej-strategy");
  REQUIRE(strategy);
  CHECK(strategy->at("reason") == "interlock");
  CHECK_THAT(strategy->at("message").get<std::string>(),
             Catch::Contains("needs power_mng.soc_strategy"));
  CHECK(setting_writes_received(w) == 0);
  CHECK(Probe(w).read(rct::kOidSocStrategy) == Value(EnumValue{4}));
  stop_daemon(*daemon);
}

TEST_CASE("a retained command is ignored, and a dry run validates without sending",
          "[daemon][e2e][writes]") {
  World w(writes("enabled = true\ndry_run = true\n"));
  // A stale command left retained on the broker before the bridge starts.
  Probe probe(w);
  const Value sn = probe.read(kSerialOid);
  const Topics t("rct2mqtt", trim_nul(std::get<std::string>(sn)));
  publish_command(w, t.set("soc_target"), R"({"value": 33, "id": "stale"})", true);

  auto daemon = w.start();
  REQUIRE(serial_of(*w.sub) == t.serial);
  REQUIRE(w.sub->wait_line(t.state("soc_target"), "50", 15s));
  publish_command(w, t.set("soc_target"), R"({"value": 60, "id": "dry"})");
  auto r = wait_answer_id(*w.sub, t.result("soc_target"), "dry");
  REQUIRE(r);
  check_contract(*r, "soc_target");
  CHECK(r->at("outcome") == "dry_run");
  CHECK(r->at("reason").is_null());
  CHECK(r->at("value").is_null());
  // An interlocked setting in a dry run reads its interlocks and still sends nothing.
  publish_command(w, t.set("soc_max"), R"({"value": 90, "id": "dry-max"})");
  auto max = wait_answer_id(*w.sub, t.result("soc_max"), "dry-max");
  REQUIRE(max);
  CHECK(max->at("outcome") == "dry_run");

  CHECK_FALSE(wait_answer_id(*w.sub, t.result("soc_target"), "stale", 0ms));
  CHECK(setting_writes_received(w) == 0);
  CHECK(Probe(w).read(setting_oid("soc_target")) == Value(0.5f));
  stop_daemon(*daemon);
  INFO(daemon->err());
  CHECK(count_in(daemon->err(), "ignoring the retained command on " + t.set("soc_target")) == 1);
  CHECK(count_in(daemon->err(), "soc_target: dry_run") == 1);
}

TEST_CASE("read-backs survive dropped replies; with no answer at all the write is unverified",
          "[daemon][e2e][writes]") {
  DaemonSetup setup = writes(
      "enabled = true\nreadback_delay = 0.2\nreadback_interval = 0.2\nreadback_attempts = 2\n");
  // Few polls, so that the dropped replies are those of the read-backs.
  setup.fast_interval = "30";
  setup.slow_interval = "30";
  World w(setup);
  auto daemon = w.start();
  const Topics t("rct2mqtt", serial_of(*w.sub));
  REQUIRE(w.sub->wait_line(t.state("grid_charging"), "OFF", 15s));

  rct::test::e2e::SwitchableSimulator::apply(w.sim->script_fault(rct::sim::FaultKind::kDrop, 2));
  publish_command(w, t.set("grid_charging"), R"({"value": "ON", "id": "drop-2"})");
  auto r = wait_answer_id(*w.sub, t.result("grid_charging"), "drop-2");
  REQUIRE(r);
  INFO(r->dump());
  CHECK(r->at("outcome") == "verified");
  CHECK(r->at("value") == "ON");

  // Nothing answers: the WRITE goes out (twice), no read-back confirms it.
  rct::test::e2e::SwitchableSimulator::apply(
      w.sim->set_fault_probability(rct::sim::FaultKind::kDrop, 1.0));
  publish_command(w, t.set("soc_target"), R"({"value": 45, "id": "drop-all"})");
  auto u = wait_answer_id(*w.sub, t.result("soc_target"), "drop-all", 30s);
  rct::test::e2e::SwitchableSimulator::apply(
      w.sim->set_fault_probability(rct::sim::FaultKind::kDrop, 0.0));
  REQUIRE(u);
  INFO(u->dump());
  check_contract(*u, "soc_target");
  CHECK(u->at("outcome") == "unverified");
  CHECK(u->at("reason") == "no_answer");
  CHECK(u->at("value").is_null());
  // Sent, and once more when the read-backs were spent, unless the client had given the
  // silent link up by then (it reconnects after a run of timeouts).
  const std::size_t sent = writes_received(w, setting_oid("soc_target"));
  CHECK(sent >= 1);
  CHECK(sent <= 2);
  // The device did take it; only the confirmation was missing.
  Probe probe(w);
  CHECK(probe.read(setting_oid("soc_target")) == Value(0.45f));
  stop_daemon(*daemon);
}

TEST_CASE(
    "the dead-man timer writes battery_power_extern 0 and strategy Internal when not "
    "refreshed",
    "[daemon][e2e][writes]") {
  World w(writes("enabled = true\ndead_man_timeout = 2\n"));
  auto daemon = w.start();
  const Topics t("rct2mqtt", serial_of(*w.sub));
  const json charge = hold_external(w, t, -1000);
  CHECK(charge.at("value") == -1000);
  const auto refreshed = Clock::now();
  Probe probe(w);
  CHECK(probe.read(rct::kOidBatteryPowerExtern) == Value(-1000.0f));

  // Nobody refreshes: the bridge reverts, answering on both result topics with id null.
  check_dead_man_answers(w, t, 15s);
  CHECK(Clock::now() - refreshed >= 1500ms);
  CHECK(w.sub->wait_line(t.state("battery_power_extern"), "0", 5s));
  CHECK(w.sub->wait_line(t.state("soc_strategy"), "Internal", 5s));
  // A fresh client: the first one has the simulator's copies of every reply since queued up
  // (unread), and would take an old one of them for its answer.
  Probe after(w);
  CHECK(after.read(rct::kOidBatteryPowerExtern) == Value(0.0f));
  CHECK(after.read(rct::kOidSocStrategy) == Value(EnumValue{4}));
  stop_daemon(*daemon);
  INFO(daemon->err());
  // Logged at warn, once.
  const std::string& log = daemon->err();
  const auto at = log.find("dead-man: battery_power_extern was not refreshed within 2 s");
  REQUIRE(at != std::string::npos);
  CHECK(log.substr(log.rfind('\n', at) + 1, at - log.rfind('\n', at)).find("warning") !=
        std::string::npos);
  CHECK(count_in(log, "dead-man: battery_power_extern was not refreshed") == 1);
}

TEST_CASE("a daemon stopping while it holds the battery in External reverts it before it exits",
          "[daemon][e2e][writes]") {
  // A timeout far beyond the test: only the stop can revert.
  World w(writes("enabled = true\ndead_man_timeout = 3600\n"));
  auto daemon = w.start();
  const Topics t("rct2mqtt", serial_of(*w.sub));
  const json discharge = hold_external(w, t, 2500);
  CHECK(discharge.at("value") == 2500);
  const std::size_t power_writes = writes_received(w, rct::kOidBatteryPowerExtern);

  stop_daemon(*daemon);
  INFO(daemon->err());
  // Both reverts went out before the exit and were answered like any dead-man revert.
  check_dead_man_answers(w, t, 5s);
  CHECK(writes_received(w, rct::kOidBatteryPowerExtern) == power_writes + 1);
  Probe probe(w);
  CHECK(probe.read(rct::kOidBatteryPowerExtern) == Value(0.0f));
  CHECK(probe.read(rct::kOidSocStrategy) == Value(EnumValue{4}));
  const std::string& log = daemon->err();
  CHECK(count_in(log, "writing battery_power_extern 0 W and soc_strategy Internal first") == 1);
  // Reverted, so the stop has nothing left to warn about.
  CHECK(count_in(log, "nothing will revert") == 0);
  // The bridge still said offline on the way out.
  CHECK(w.sub->wait_line("rct2mqtt/bridge/status", "offline", 5s));
}

TEST_CASE("a daemon stopping with no External session of its own writes nothing on the way out",
          "[daemon][e2e][writes]") {
  World w(writes("enabled = true\n"));
  auto daemon = w.start();
  const Topics t("rct2mqtt", serial_of(*w.sub));
  REQUIRE(w.sub->wait_line_topic(t.state("soc_target"), 15s));
  publish_command(w, t.set("soc_target"), R"({"value": 80, "id": "target"})");
  auto target = wait_answer_id(*w.sub, t.result("soc_target"), "target");
  REQUIRE(target);
  REQUIRE(target->at("outcome") == "verified");
  const std::size_t before = setting_writes_received(w);
  stop_daemon(*daemon);
  INFO(daemon->err());
  CHECK(setting_writes_received(w) == before);
  CHECK(count_in(daemon->err(), "dead-man") == 0);
}
