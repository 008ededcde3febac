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
#include <sstream>
#include <string>
#include <vector>

#include "core/command.h"
#include "core/value_codec.h"
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

// A function node that publishes what it receives, as JSON built by `body`, to `topic`.
json observer(const std::string& id, const std::string& topic, const std::string& body) {
  return {{"id", id},
          {"type", "function"},
          {"z", kTab},
          {"name", "test: observe"},
          {"func", "msg.payload = JSON.stringify(" + body + ");\nmsg.topic = '" + topic +
                       "';\nreturn msg;"},
          {"outputs", 1},
          {"x", 0},
          {"y", 0},
          {"wires", json::array({json::array({"test_observation_out"})})}};
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
