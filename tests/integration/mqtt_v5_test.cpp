// MQTT 5 request/response end to end (docs/mqtt.md §7.4), without Node-RED: Mosquitto's own
// request/response client (mosquitto_rr) against the real rct2mqtt, the simulator and a real
// Mosquitto; and the [mqtt] protocol = "3.1.1" fallback. Every wait has a deadline; nothing
// sleeps.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using nlohmann::json;
using namespace rct::test::e2e;

namespace {

DaemonSetup v5_writes_setup(const std::string& protocol) {
  DaemonSetup s;
  s.writes = "enabled = true\n";
  if (!protocol.empty()) s.extra_mqtt = "protocol = \"" + protocol + "\"\n";
  return s;
}

// mosquitto_pub at MQTT 5, QoS 1, with `properties` as -D publish <name> <value> pairs.
void publish_v5(World& w, const std::string& topic, const std::string& payload,
                const std::vector<std::pair<std::string, std::string>>& properties) {
  static const auto path = rct::test::find_executable("mosquitto_pub");
  REQUIRE(path);
  std::vector<std::string> argv{*path, "-h", "127.0.0.1", "-p", std::to_string(w.broker.port()),
                                "-V",  "5",  "-q",        "1",  "-t",
                                topic, "-m", payload};
  for (const auto& [name, value] : properties)
    argv.insert(argv.end(), {"-D", "publish", name, value});
  const auto r = rct::test::run_process(argv, {}, 10s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

std::optional<std::size_t> wait_answer(Subscriber& sub, const std::string& topic,
                                       const std::string& id) {
  return sub.wait(
      [&](const Line& l) {
        if (l.topic != topic) return false;
        const json j = json::parse(l.payload, nullptr, false);
        return !j.is_discarded() && j.value("id", "") == id;
      },
      30s);
}

}  // namespace

TEST_CASE("mosquitto_rr's request gets the verified answer with its correlation data",
          "[mqtt][e2e]") {
  World w(v5_writes_setup(""));
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const auto rr = rct::test::find_executable("mosquitto_rr");
  REQUIRE(rr);
  // mosquitto_rr subscribes to the response topic, publishes the request with it and prints the
  // first answer: correlation data, then the payload.
  const auto answered = rct::test::run_process({*rr,
                                                "-h",
                                                "127.0.0.1",
                                                "-p",
                                                std::to_string(w.broker.port()),
                                                "-V",
                                                "5",
                                                "-q",
                                                "1",
                                                "-t",
                                                "rct2mqtt/" + serial + "/settings/soc_target/set",
                                                "-e",
                                                "replies/rr",
                                                "-m",
                                                R"({"value": 65, "id": "rr"})",
                                                "-D",
                                                "publish",
                                                "correlation-data",
                                                "rr-7",
                                                "-F",
                                                "%D|%p",
                                                "-W",
                                                "30"},
                                               {}, 40s);
  INFO("mosquitto_rr: " << answered.out << answered.err);
  daemon->wait_for_output("\x01never\x01", 0ms, true);
  INFO("daemon log:\n" << daemon->err());
  REQUIRE(answered.exit_code == 0);
  const auto bar = answered.out.find('|');
  REQUIRE(bar != std::string::npos);
  CHECK(answered.out.substr(0, bar) == "rr-7");
  const json answer = json::parse(answered.out.substr(bar + 1), nullptr, false);
  REQUIRE(answer.is_object());
  CHECK(answer["id"] == "rr");
  CHECK(answer["outcome"] == "verified");
  CHECK(answer["value"] == 65);
  CHECK(w.broker.log().find("rct2mqtt-e2e (p5") != std::string::npos);  // the bridge at MQTT 5
  stop_daemon(*daemon);
}

TEST_CASE("with protocol 3.1.1 the bridge answers commands on their result topic only",
          "[mqtt][e2e]") {
  World w(v5_writes_setup("3.1.1"));
  Subscriber replies(w.broker.port(), {{"replies/#", "rct2mqtt/+/settings/+/set/result"}, 1});
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string command = "rct2mqtt/" + serial + "/settings/soc_target/set";
  publish_v5(w, command, R"({"value": 70, "id": "old-broker"})",
             {{"response-topic", "replies/old"}, {"correlation-data", "c1"}});
  REQUIRE(wait_answer(replies, command + "/result", "old-broker"));
  // A later command's answer: an answer to replies/old would have come before it.
  publish_v5(w, command, R"({"value": 75, "id": "later"})", {});
  REQUIRE(wait_answer(replies, command + "/result", "later"));
  for (const Line& l : replies.lines()) CHECK(l.topic.rfind("replies/", 0) != 0);
  CHECK(w.broker.log().find("rct2mqtt-e2e (p2") != std::string::npos);  // MQTT 3.1.1
  stop_daemon(*daemon);
}

// The answer of a mode command comes after its effect window (a reading, a tick), not with a
// write outcome: the response topic travels with the command through the machines
// (docs/battery-modes.md §5.3).
TEST_CASE("a battery mode command with an MQTT 5 response topic gets its answer there too",
          "[mqtt][e2e][battery_mode]") {
  DaemonSetup setup;
  // [battery_modes] follows [writes], the last section of the file; the window's second half
  // starts after the simulator's 2 s model step.
  setup.writes =
      "enabled = true\nallow = [\"battery_mode\"]\nmin_interval = 1\nreadback_delay = 0.2\n"
      "readback_interval = 0.2\nreadback_attempts = 3\n"
      "[battery_modes]\neffect_window = 5\nsample_interval = 0.5\ntolerance = 300\n";
  World w(setup);
  Subscriber replies(w.broker.port(), {{"replies/#", "rct2mqtt/+/battery/mode/set/result"}, 1});
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string command = "rct2mqtt/" + serial + "/battery/mode/set";
  REQUIRE(w.sub->wait_line("rct2mqtt/" + serial + "/battery/mode", "normal", 20s));
  publish_v5(w, command, R"({"mode": "hold", "id": "v5-hold"})",
             {{"response-topic", "replies/nodered/rct2mqtt/battery"}, {"correlation-data", "c9"}});
  const auto on_result = wait_answer(replies, command + "/result", "v5-hold");
  REQUIRE(on_result);
  INFO("answer: " << replies.lines()[*on_result].payload);
  CHECK(json::parse(replies.lines()[*on_result].payload).at("outcome") == "verified");
  // Published together with the answer on .../set/result: it has had its time.
  const auto on_reply = replies.wait_line_topic("replies/nodered/rct2mqtt/battery", 10s);
  CHECK(daemon->wait_for_output("(id \"v5-hold\")", 10s, true));
  INFO("daemon log:\n" << daemon->err());
  REQUIRE(on_reply);
  CHECK(replies.lines()[*on_reply].payload == replies.lines()[*on_result].payload);
  stop_daemon(*daemon);
}
