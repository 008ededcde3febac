// The Node-RED example flow (examples/node-red/rct2mqtt-flow.json) in a real Node-RED 4, against
// the real rct2mqtt, the simulator and Mosquitto (daemon_harness.h). The test adds observer nodes
// to the flow that publish what the example's nodes emit to test/node-red/..., so the assertions
// see Node-RED's own messages. Node-RED is installed by scripts/node-red.sh (called by
// scripts/test.sh); $RCT_NODE_RED or the CMake cache variable RCT_NODE_RED name its launcher.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/command.h"
#include "core/value_codec.h"
#include "core/write_allowlist.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono_literals;
using namespace rct::test::e2e;
using nlohmann::json;
using rct::test::ChildProcess;

namespace {

constexpr std::uint32_t kSocTargetSetOid = 0xD1DFC969;  // power_mng.soc_target_set, 0..1

// Stable node ids of the example flow (examples/node-red/README.md lists them).
constexpr const char* kBrokerNode = "rct2mqtt_broker";
constexpr const char* kValueNode = "rct2mqtt_value_number";
constexpr const char* kSetInjectNode = "rct2mqtt_set_soc_target";
constexpr const char* kOutcomeNode = "rct2mqtt_result_outcome";
constexpr const char* kTab = "rct2mqtt_tab";
// The switch's outputs, in order.
const std::vector<std::string> kBranches = {"verified", "rejected", "unverified", "dry_run",
                                            "other"};

constexpr const char* kValueTopic = "test/node-red/value";
constexpr const char* kResultTopic = "test/node-red/result";

std::filesystem::path node_red_launcher() {
  if (const char* env = std::getenv("RCT_NODE_RED"); env != nullptr && *env != '\0') return env;
  return RCT_NODE_RED_PATH;
}

// Whether Node-RED can run; false (with a warning) only where scripts/node-red.sh left
// build/node-red/unavailable because the npm registry could not be reached at all (then the test
// is skipped, and scripts/test.sh says so at the end). Any other absence fails the test.
bool node_red_installed(const std::filesystem::path& launcher) {
  if (::access(launcher.c_str(), X_OK) == 0) return true;
  const auto unavailable = launcher.parent_path().parent_path().parent_path() / "unavailable";
  if (std::ifstream in(unavailable); in) {
    std::string reason;
    std::getline(in, reason);
    WARN("SKIPPED: Node-RED could not be installed on this machine: " << reason);
    return false;
  }
  FAIL("node-red not installed: run scripts/test.sh (or bash scripts/node-red.sh); looked for "
       << launcher.string());
  return false;
}

json read_json(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  return json::parse(in);
}

json& node(json& flow, const std::string& id) {
  for (json& n : flow) {
    if (n.value("id", "") == id) return n;
  }
  FAIL("node " << id << " is not in the example flow");
  throw std::logic_error("unreachable");
}

// A function node on `tab` that publishes what it receives, as JSON built by `body`, to `topic`
// through the mqtt out node `out`.
json observer(const std::string& id, const std::string& topic, const std::string& body,
              const std::string& tab = kTab, const std::string& out = "test_observation_out") {
  return {{"id", id},
          {"type", "function"},
          {"z", tab},
          {"name", "test: observe"},
          {"func", "msg.payload = JSON.stringify(" + body + ");\nmsg.topic = '" + topic +
                       "';\nreturn msg;"},
          {"outputs", 1},
          {"x", 0},
          {"y", 0},
          {"wires", json::array({json::array({out})})}};
}

// The example flow, pointed at the test's broker, plus observers: every number from "value as
// number" and every switch branch's result go to test/node-red/... over the same broker node.
json instrumented_flow(std::uint16_t broker_port) {
  json flow =
      read_json(std::filesystem::path(RCT_SOURCE_DIR) / "examples/node-red/rct2mqtt-flow.json");
  REQUIRE(flow.is_array());
  json& broker = node(flow, kBrokerNode);
  broker["broker"] = "127.0.0.1";
  broker["port"] = std::to_string(broker_port);

  // Wired first, appended last: appending to `flow` invalidates references into it.
  std::vector<json> added;
  node(flow, kValueNode)["wires"][0].push_back("test_value_observer");
  added.push_back(observer("test_value_observer", kValueTopic,
                           "{type: typeof msg.payload, value: msg.payload, key: msg.key, "
                           "serial: msg.serial}"));
  json& outcome = node(flow, kOutcomeNode);
  REQUIRE(outcome["wires"].size() == kBranches.size());
  for (std::size_t i = 0; i < kBranches.size(); ++i) {
    const std::string id = "test_result_observer_" + kBranches[i];
    outcome["wires"][i].push_back(id);
    added.push_back(
        observer(id, kResultTopic,
                 "{branch: '" + kBranches[i] + "', result: msg.payload, request: msg.request}"));
  }
  added.push_back({{"id", "test_observation_out"},
                   {"type", "mqtt out"},
                   {"z", kTab},
                   {"name", "test: observations"},
                   {"topic", ""},
                   {"qos", "1"},
                   {"retain", "false"},
                   {"broker", kBrokerNode},
                   {"x", 0},
                   {"y", 0},
                   {"wires", json::array()}});
  for (json& n : added) flow.push_back(std::move(n));
  return flow;
}

// A real Node-RED in its own process group with a temporary user directory: no credential
// secret, no projects, no telemetry, admin API on a free loopback port.
class NodeRed {
 public:
  NodeRed(const std::filesystem::path& launcher, const json& flow)
      : port_(free_port_below_ephemeral()) {
    write_file(dir_.path() / "flows.json", flow.dump(2));
    std::ostringstream settings;
    settings << "module.exports = {\n"
             << "  flowFile: 'flows.json',\n"
             << "  credentialSecret: false,\n"
             << "  uiHost: '127.0.0.1',\n"
             << "  uiPort: " << port_ << ",\n"
             << "  httpAdminRoot: '/',\n"
             << "  editorTheme: { projects: { enabled: false }, tours: false },\n"
             << "  telemetry: { enabled: false, updateNotification: false },\n"
             << "  diagnostics: { enabled: false, ui: false },\n"
             << "  logging: { console: { level: 'info', metrics: false, audit: false } },\n"
             << "};\n";
    write_file(dir_.path() / "settings.js", settings.str());
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{launcher.string(), "--userDir", dir_.path().string(), "--settings",
                                 (dir_.path() / "settings.js").string(), "-p",
                                 std::to_string(port_)},
        std::vector<std::string>{}, ChildProcess::Group::kOwn);
  }
  ~NodeRed() { stop(); }
  NodeRed(const NodeRed&) = delete;
  NodeRed& operator=(const NodeRed&) = delete;

  std::uint16_t port() const { return port_; }
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
    return process_->wait_for_output(needle, timeout);
  }
  // Drains Node-RED's output for `d`, so that its log never fills the pipe.
  void pump(std::chrono::milliseconds d) { process_->wait_for_output("\x01never\x01", d); }
  std::string log() const { return process_->out() + process_->err(); }
  // SIGTERM to the process group; the exit code, or nullopt when it is still running after 10 s.
  std::optional<int> stop() {
    process_->signal(SIGTERM);
    return process_->wait(10s);
  }

 private:
  rct::test::TempDir dir_{"rct2mqtt-node-red"};
  std::uint16_t port_;
  std::unique_ptr<ChildProcess> process_;
};

// Waits for an observation on `topic` whose JSON satisfies `pred`, draining the logs of Node-RED
// and the daemon meanwhile (a full pipe would stall them); the parsed JSON, or nullopt at the
// deadline.
template <typename Pred>
std::optional<json> observe(Subscriber& sub, NodeRed& node_red, ChildProcess& daemon,
                            const std::string& topic, Pred pred,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t from = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto lines = sub.lines();
    for (; from < lines.size(); ++from) {
      if (lines[from].topic != topic) continue;
      json j = json::parse(lines[from].payload, nullptr, false);
      if (!j.is_discarded() && pred(j)) return j;
    }
    sub.pump(40ms);
    node_red.pump(30ms);
    daemon.wait_for_output("\x01never\x01", 30ms);
  }
  return std::nullopt;
}

// Stable node ids of examples/node-red/battery-flows.json (examples/node-red/README.md).
constexpr const char* kBatteryTab = "rct2mqtt_battery_tab";
constexpr const char* kBatteryStateNode = "rct2mqtt_battery_state";
constexpr const char* kBatteryOutcomeNode = "rct2mqtt_battery_outcome";
constexpr const char* kBatteryObservationOut = "test_battery_observation_out";
// The outcome switch's outputs, in order.
const std::vector<std::string> kBatteryBranches = {"verified", "rejected", "unverified",
                                                   "reverted", "dry_run",  "other"};
constexpr const char* kBatteryStateTopic = "test/node-red/battery/state";
constexpr const char* kBatteryResultTopic = "test/node-red/battery/result";

// The battery flow, pointed at the test's broker, plus observers (the flow's own outputs are
// debug nodes): what "inverter and mode" emits (the serial and mode the flow has learned) and
// each branch of the outcome switch (the answer as matched to its command, with msg.request and
// msg.via) go to test/node-red/battery/... through an mqtt out node on the flow's broker node.
json instrumented_battery_flow(std::uint16_t broker_port) {
  json flow =
      read_json(std::filesystem::path(RCT_SOURCE_DIR) / "examples/node-red/battery-flows.json");
  REQUIRE(flow.is_array());
  json& broker = node(flow, kBrokerNode);
  broker["broker"] = "127.0.0.1";
  broker["port"] = std::to_string(broker_port);

  // Wired first, appended last: appending to `flow` invalidates references into it.
  std::vector<json> added;
  node(flow, kBatteryStateNode)["wires"][0].push_back("test_battery_state_observer");
  added.push_back(observer("test_battery_state_observer", kBatteryStateTopic,
                           "{text: msg.payload, serial: msg.serial}", kBatteryTab,
                           kBatteryObservationOut));
  json& outcome = node(flow, kBatteryOutcomeNode);
  REQUIRE(outcome["wires"].size() == kBatteryBranches.size());
  for (std::size_t i = 0; i < kBatteryBranches.size(); ++i) {
    const std::string id = "test_battery_result_observer_" + kBatteryBranches[i];
    outcome["wires"][i].push_back(id);
    added.push_back(observer(id, kBatteryResultTopic,
                             "{branch: '" + kBatteryBranches[i] +
                                 "', answer: msg.payload, request: msg.request, via: msg.via}",
                             kBatteryTab, kBatteryObservationOut));
  }
  added.push_back({{"id", kBatteryObservationOut},
                   {"type", "mqtt out"},
                   {"z", kBatteryTab},
                   {"name", "test: observations"},
                   {"topic", ""},
                   {"qos", "1"},
                   {"retain", "false"},
                   {"broker", kBrokerNode},
                   {"x", 0},
                   {"y", 0},
                   {"wires", json::array()}});
  for (json& n : added) flow.push_back(std::move(n));
  return flow;
}

// What a wallbox integration or a price feed publishes: retained, so that the flow's mqtt in
// node gets it whenever its subscription is in place.
void publish_to_flow(std::uint16_t port, const std::string& topic, const std::string& payload) {
  static const auto path = rct::test::find_executable("mosquitto_pub");
  REQUIRE(path);
  const auto r = rct::test::run_process({*path, "-h", "127.0.0.1", "-p", std::to_string(port), "-q",
                                         "1", "-r", "-t", topic, "-m", payload},
                                        {}, 10s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

// The next battery mode command the flow publishes (from line `from` on), parsed, with its line.
std::optional<std::pair<json, Line>> next_mode_command(Subscriber& sub, const std::string& topic,
                                                       std::size_t from) {
  const auto at = sub.wait_line_topic(topic, 20s, from);
  if (!at) return std::nullopt;
  const Line line = sub.lines()[*at];
  json j = json::parse(line.payload, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return std::make_pair(std::move(j), line);
}

bool written_as(const rct::Frame& f, float expected) {
  auto v = rct::decode_value(rct::DataType::kFloat, f.payload);
  return v && std::get<float>(v.value()) == expected;
}

}  // namespace

TEST_CASE("the Node-RED example flow shows values as numbers and sets the SOC target, verified",
          "[node-red][e2e]") {
  const std::filesystem::path launcher = node_red_launcher();
  if (!node_red_installed(launcher)) return;
  DaemonSetup setup;
  setup.writes = "enabled = true\n";
  World w(setup);
  Subscriber observed(
      w.broker.port(),
      {{"test/node-red/#", "rct2mqtt/+/settings/+/set", "rct2mqtt/+/settings/+/set/result"}, 1});
  auto daemon = w.start();
  NodeRed node_red(launcher, instrumented_flow(w.broker.port()));
  // Startup takes a few seconds (more under load): loading the palette dominates.
  {
    const bool started = node_red.wait_for_log("Started flows", 60s) &&
                         node_red.wait_for_log("Connected to broker", 20s);
    INFO("Node-RED log:\n" << node_red.log());
    REQUIRE(started);
  }

  // A value arrives from the daemon and leaves "value as number" as a JavaScript number.
  const auto value = observe(
      observed, node_red, *daemon, kValueTopic,
      [](const json& j) { return j.value("key", "") == "battery/soc"; }, 30s);
  REQUIRE(value);
  INFO("observed value: " << value->dump());
  CHECK((*value)["type"] == "number");
  REQUIRE((*value)["value"].is_number());
  const double soc = (*value)["value"].get<double>();
  CHECK(soc >= 0.0);
  CHECK(soc <= 100.0);
  const std::string serial = serial_of(*w.sub);
  CHECK((*value)["serial"] == serial);
  // It is the number the daemon published as text.
  bool published = false;
  for (const Line& l : w.sub->lines()) {
    if (l.topic == "rct2mqtt/" + serial + "/battery/soc" && std::stod(l.payload) == soc) {
      published = true;
    }
  }
  CHECK(published);

  // The flow has learned the serial: the inject button sends the command.
  const auto injected =
      rct::test::http_request(node_red.port(), "POST", std::string("/inject/") + kSetInjectNode);
  REQUIRE(injected);
  CHECK(injected->status == 200);

  const std::string command_topic = "rct2mqtt/" + serial + "/settings/soc_target/set";
  const auto command = observed.wait_line_topic(command_topic, 10s);
  REQUIRE(command);
  const Line sent = observed.lines()[*command];
  INFO("command: " << sent.payload);
  CHECK(sent.qos == 1);
  CHECK_FALSE(sent.retained);
  const json request = json::parse(sent.payload, nullptr, false);
  REQUIRE(request.is_object());
  CHECK(request["value"] == 80);
  REQUIRE(request["id"].is_string());
  const std::string id = request["id"];

  // The daemon's result, matched to the request and routed by the switch.
  const auto result = observe(
      observed, node_red, *daemon, kResultTopic,
      [&](const json& j) { return j.contains("result") && j["result"].value("id", "") == id; },
      30s);
  INFO("daemon log:\n" << daemon->err());
  INFO("Node-RED log:\n" << node_red.log());
  REQUIRE(result);
  INFO("observed result: " << result->dump());
  CHECK((*result)["branch"] == "verified");
  CHECK((*result)["result"]["outcome"] == "verified");
  CHECK((*result)["result"]["key"] == "soc_target");
  REQUIRE((*result)["result"]["value"].is_number());
  CHECK(std::abs((*result)["result"]["value"].get<double>() - 80.0) < 1e-3);
  REQUIRE((*result)["request"].is_object());
  CHECK((*result)["request"]["id"] == id);
  // The daemon's own result message: QoS 1, not retained.
  const auto direct = observed.wait_line_topic(command_topic + "/result", 5s);
  REQUIRE(direct);
  CHECK(observed.lines()[*direct].qos == 1);
  CHECK_FALSE(observed.lines()[*direct].retained);

  // The inverter got 0.8 and reports it.
  std::size_t writes = 0;
  for (const rct::Frame& f : w.sim->received().frames(rct::Command::kWrite, kSocTargetSetOid)) {
    if (written_as(f, 0.8f)) ++writes;
  }
  CHECK(writes >= 1);
  auto encoded = rct::encode_value(rct::DataType::kFloat, rct::Value(0.8f));
  REQUIRE(encoded);
  CHECK(w.sim->truth(kSocTargetSetOid).count(encoded.value()) == 1);
  const auto read_back =
      rct::test::run_process({RCTCLIENT_PATH, "read-value", "--host", "127.0.0.1", "--port",
                              std::to_string(w.sim->port()), "--name", "power_mng.soc_target_set"},
                             {}, 10s);
  INFO(read_back.err);
  REQUIRE(read_back.exit_code == 0);
  CHECK(static_cast<float>(std::stod(read_back.out)) == 0.8f);

  const auto code = node_red.stop();
  CHECK(code);
  stop_daemon(*daemon);
}

// tests/node-red/reply-flow.json: an inject node sends {"value": 70, "id": "nr-v5"} to the
// soc_target command topic through an mqtt out node on a broker node at protocol version 5, with
// msg.responseTopic = replies/nodered/rct2mqtt and binary msg.correlationData 00 72 ff 35; an
// mqtt in node on the response topic reports each answer and its correlation data (as hex) to
// test/node-red/reply.
TEST_CASE("Node-RED's MQTT 5 request/response gets the verified answer on its response topic",
          "[node-red][e2e]") {
  const std::filesystem::path launcher = node_red_launcher();
  if (!node_red_installed(launcher)) return;
  DaemonSetup setup;
  setup.writes = "enabled = true\n";
  World w(setup);
  const std::string reply_topic = "replies/nodered/rct2mqtt";
  Subscriber observed(w.broker.port(),
                      {{"test/node-red/#", "rct2mqtt/+/settings/+/set/result", reply_topic}, 1});
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string command_topic = "rct2mqtt/" + serial + "/settings/soc_target/set";

  json flow = read_json(std::filesystem::path(RCT_SOURCE_DIR) / "tests/node-red/reply-flow.json");
  REQUIRE(flow.is_array());
  json& broker = node(flow, "reply_broker");
  REQUIRE(broker["protocolVersion"] == "5");
  broker["port"] = std::to_string(w.broker.port());
  node(flow, "reply_inject")["topic"] = command_topic;
  NodeRed node_red(launcher, flow);
  {
    const bool started = node_red.wait_for_log("Started flows", 60s) &&
                         node_red.wait_for_log("Connected to broker", 20s);
    INFO("Node-RED log:\n" << node_red.log());
    REQUIRE(started);
  }
  // Node-RED subscribes its mqtt in nodes as it connects, on the connection the command then
  // goes out on: the broker has the subscription before the command, and so before the answer.
  const auto injected =
      rct::test::http_request(node_red.port(), "POST", std::string("/inject/reply_inject"));
  REQUIRE(injected);
  REQUIRE(injected->status == 200);
  const auto reply = observe(
      observed, node_red, *daemon, "test/node-red/reply",
      [](const json& j) { return j.contains("answer") && j["answer"].is_object(); }, 30s);
  INFO("daemon log:\n" << daemon->err());
  INFO("Node-RED log:\n" << node_red.log());
  REQUIRE(reply);
  INFO("observed reply: " << reply->dump());
  CHECK((*reply)["topic"] == reply_topic);
  CHECK((*reply)["correlation"] == "0072ff35");
  const json& answer = (*reply)["answer"];
  CHECK(answer["id"] == "nr-v5");
  CHECK(answer["key"] == "soc_target");
  CHECK(answer["outcome"] == "verified");
  REQUIRE(answer["value"].is_number());
  CHECK(std::abs(answer["value"].get<double>() - 70.0) < 1e-3);

  // On the wire: the answer on the response topic, QoS 1, not retained, and the usual one on
  // .../set/result with the same JSON.
  const auto on_reply = observed.wait_line_topic(reply_topic, 5s);
  REQUIRE(on_reply);
  const Line replied = observed.lines()[*on_reply];
  CHECK(replied.qos == 1);
  CHECK_FALSE(replied.retained);
  const auto on_result = observed.wait_line_topic(command_topic + "/result", 5s);
  REQUIRE(on_result);
  CHECK(observed.lines()[*on_result].payload == replied.payload);

  std::size_t writes = 0;
  for (const rct::Frame& f : w.sim->received().frames(rct::Command::kWrite, kSocTargetSetOid)) {
    if (written_as(f, 0.7f)) ++writes;
  }
  CHECK(writes >= 1);

  const auto code = node_red.stop();
  CHECK(code);
  stop_daemon(*daemon);
}

// examples/node-red/battery-flows.json in a real Node-RED: the car starts charging (wallbox input)
// → hold; the price falls below the flow's threshold → charge 3000 W to 80 %; it rises again →
// normal. Each command is carried out by the daemon on the simulator (at noon, as in the battery
// mode tests of battery_mode_e2e_test.cpp), answered verified after a 5 s effect window, and the
// answer reaches the flow's outcome switch matched to its command.
TEST_CASE(
    "the Node-RED battery flow holds the battery while the car charges and charges it in a "
    "cheap hour, verified",
    "[node-red][e2e][battery_mode]") {
  const std::filesystem::path launcher = node_red_launcher();
  if (!node_red_installed(launcher)) return;
  DaemonSetup setup;
  // [battery_modes] follows [writes], the last section of the file. The simulator's house
  // model steps every 2 s of device time, so a new battery power shows up to 2 s after its
  // write: the effect window judges its second half, which must start after that step.
  setup.writes =
      "enabled = true\nallow = [\"battery_mode\"]\nmin_interval = 1\nreadback_delay = 0.2\n"
      "readback_interval = 0.2\nreadback_attempts = 3\n"
      "[battery_modes]\neffect_window = 5\nsample_interval = 0.5\ntolerance = 300\n";
  World w(setup);
  Subscriber observed(w.broker.port(), {{"test/node-red/#", "rct2mqtt/+/battery/mode/set",
                                         "rct2mqtt/+/battery/mode/set/result", "replies/nodered/#"},
                                        1});
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string mode_topic = "rct2mqtt/" + serial + "/battery/mode";
  const std::string command_topic = mode_topic + "/set";
  REQUIRE(w.sub->wait_line(mode_topic, "normal", 20s));

  NodeRed node_red(launcher, instrumented_battery_flow(w.broker.port()));
  {
    const bool started = node_red.wait_for_log("Started flows", 60s) &&
                         node_red.wait_for_log("Connected to broker", 20s);
    INFO("Node-RED log:\n" << node_red.log());
    REQUIRE(started);
  }
  // The flow learns the serial and the mode from the retained topics.
  const auto learned = observe(
      observed, node_red, *daemon, kBatteryStateTopic,
      [&](const json& j) {
        return j.value("serial", "") == serial && j.value("text", "") == "battery mode: normal";
      },
      30s);
  REQUIRE(learned);

  // The answer to the flow's command `id`, as the flow's outcome switch routed it.
  auto flow_answer = [&](const std::string& id) {
    return observe(
        observed, node_red, *daemon, kBatteryResultTopic,
        [&](const json& j) {
          return j.contains("answer") && j["answer"].is_object() &&
                 j["answer"].value("id", "") == id;
        },
        40s);
  };
  // Checks the command the flow sent and returns its id.
  auto check_command = [&](const std::optional<std::pair<json, Line>>& sent,
                           const std::string& mode) {
    REQUIRE(sent);
    INFO("command: " << sent->second.payload);
    CHECK(sent->second.qos == 1);
    CHECK_FALSE(sent->second.retained);
    CHECK(sent->first.value("mode", "") == mode);
    REQUIRE(sent->first["id"].is_string());
    return sent->first["id"].get<std::string>();
  };

  // The car starts charging: hold.
  std::size_t from = observed.lines().size();
  publish_to_flow(w.broker.port(), "wallbox/charging", "true");
  const std::string hold_id =
      check_command(next_mode_command(observed, command_topic, from), "hold");
  const auto hold = flow_answer(hold_id);
  INFO("daemon log:\n" << daemon->err());
  INFO("Node-RED log:\n" << node_red.log());
  REQUIRE(hold);
  INFO("observed answer: " << hold->dump());
  CHECK((*hold)["branch"] == "verified");
  CHECK((*hold)["answer"]["outcome"] == "verified");
  CHECK((*hold)["answer"]["mode"] == "hold");
  REQUIRE((*hold)["answer"]["effect"].is_object());
  CHECK((*hold)["answer"]["effect"]["window"] == 5.0);
  REQUIRE((*hold)["request"].is_object());
  CHECK((*hold)["request"]["id"] == hold_id);
  CHECK((*hold)["request"]["purpose"] == "car charges");
  CHECK((*hold)["via"].is_string());
  REQUIRE(w.sub->wait_line(mode_topic, "hold", 10s));
  REQUIRE(observe(
      observed, node_red, *daemon, kBatteryStateTopic,
      [](const json& j) { return j.value("text", "") == "battery mode: hold"; }, 10s));

  // The flow's cheap-hour charge targets 80 %: the simulated battery is below that at noon.
  double soc = -1;
  for (const Line& l : w.sub->lines()) {
    if (l.topic == "rct2mqtt/" + serial + "/battery/soc") soc = std::stod(l.payload);
  }
  INFO("SOC " << soc);
  REQUIRE(soc >= 0.0);
  REQUIRE(soc < 79.0);

  // The price falls below the flow's threshold (15): charge 3000 W to 80 %.
  from = observed.lines().size();
  publish_to_flow(w.broker.port(), "energy/price", "10");
  const auto charge_sent = next_mode_command(observed, command_topic, from);
  const std::string charge_id = check_command(charge_sent, "charge");
  CHECK(charge_sent->first["power"] == 3000);
  CHECK(charge_sent->first["soc"] == 80);
  const auto charge = flow_answer(charge_id);
  REQUIRE(charge);
  INFO("observed answer: " << charge->dump());
  CHECK((*charge)["branch"] == "verified");
  CHECK((*charge)["answer"]["outcome"] == "verified");
  CHECK((*charge)["answer"]["mode"] == "charge");
  REQUIRE((*charge)["answer"]["effect"].is_object());
  // Charging from the grid at about the requested power, as in battery_mode_e2e_test.cpp.
  CHECK(std::abs((*charge)["answer"]["effect"]["battery_power"].get<double>() + 3000) <= 600);
  REQUIRE((*charge)["request"].is_object());
  CHECK((*charge)["request"]["id"] == charge_id);
  CHECK((*charge)["request"]["purpose"] == "price 10");
  REQUIRE(w.sub->wait_line(mode_topic, "charge", 10s));
  bool charge_power_written = false;
  for (const rct::Frame& f :
       w.sim->received().frames(rct::Command::kWrite, rct::kOidBatteryPowerExtern)) {
    if (written_as(f, -3000.0f)) charge_power_written = true;
  }
  CHECK(charge_power_written);
  // The flow sends normal at the end of the cheap hour only while the mode is charge.
  REQUIRE(observe(
      observed, node_red, *daemon, kBatteryStateTopic,
      [](const json& j) { return j.value("text", "") == "battery mode: charge"; }, 10s));

  // The price rises again: back to normal.
  const std::size_t states_before_normal = w.sub->lines().size();
  from = observed.lines().size();
  publish_to_flow(w.broker.port(), "energy/price", "20");
  const std::string normal_id =
      check_command(next_mode_command(observed, command_topic, from), "normal");
  const auto normal = flow_answer(normal_id);
  REQUIRE(normal);
  INFO("observed answer: " << normal->dump());
  CHECK((*normal)["branch"] == "verified");
  CHECK((*normal)["answer"]["outcome"] == "verified");
  CHECK((*normal)["answer"]["mode"] == "normal");
  REQUIRE((*normal)["request"].is_object());
  CHECK((*normal)["request"]["purpose"] == "price 20");
  REQUIRE(w.sub->wait_line(mode_topic, "normal", 10s, states_before_normal));

  // Every answer the flow got was the daemon's own on .../battery/mode/set/result.
  for (const std::string& id : {hold_id, charge_id, normal_id}) {
    bool on_result_topic = false;
    for (const Line& l : observed.lines()) {
      if (l.topic == command_topic + "/result" && l.payload.find(id) != std::string::npos) {
        on_result_topic = true;
      }
    }
    CHECK(on_result_topic);
  }

  const auto code = node_red.stop();
  CHECK(code);
  stop_daemon(*daemon);
}
