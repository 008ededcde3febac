// The App in process: a real inverter peer (the simulator, on the test's own loop and a loopback
// port), a recording MQTT client made through the App's factory and a recording notifier. The
// test drives the one io_context itself; every wait has a deadline.
#include "daemon/app/app.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "config/environment.h"
#include "tests/support/catch.h"
#include "tests/support/fake_mqtt_client.h"
#include "tests/support/recording_notifier.h"
#include "tests/support/run_loop.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"
#include "tools/simulator/simulator.h"

namespace {

using namespace std::chrono_literals;
using rct::MqttMessage;
using rct::test::FakeMqttRecord;

constexpr auto kWait = 20s;
// 2024-06-21 12:00 device time: PV is producing.
constexpr std::int64_t kNoon = 19895LL * 86400 + 12 * 3600;

struct Setup {
  std::string name = "roof";
  std::string fast_interval = "1";
  std::string base_topic = "rct2mqtt";
  std::string extra_inverter;  // more [[inverter]] keys
};

std::string config_text(const std::filesystem::path& state_dir, std::uint16_t inverter_port,
                        const Setup& s) {
  std::ostringstream c;
  c << "state_dir = \"" << state_dir.string() << "\"\n"
    << "[mqtt]\nuri = \"tcp://127.0.0.1:1883\"\nclient_id = \"rct2mqtt-app-test\"\n"
    << "base_topic = \"" << s.base_topic << "\"\n"
    << "[homeassistant]\nrepublish_delay_max = 0\n"
    << "[[inverter]]\nname = \"" << s.name << "\"\nhost = \"127.0.0.1\"\nport = " << inverter_port
    << "\nframes_per_second = 100\nrequest_timeout = 0.5\nreconnect_min = 0.2\n"
    << "reconnect_max = 0.5\noffline_after = 5\n"
    << s.extra_inverter << "[poll]\nfast_interval = " << s.fast_interval
    << "\nslow_interval = 2\nstatic_interval = 30\n";
  return c.str();
}

rct::sim::SimulatorOptions simulator_options() {
  rct::sim::SimulatorOptions o;
  o.port = 0;
  o.service_time = 5ms;
  o.start_time = kNoon;
  return o;
}

// RCT_APP_LOG=1 in the environment puts the daemon's log on stderr.
std::shared_ptr<spdlog::logger> test_logger() {
  auto log = std::make_shared<spdlog::logger>("rct2mqtt");
  if (std::getenv("RCT_APP_LOG") != nullptr) {
    log->sinks().push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    log->set_level(spdlog::level::debug);
  }
  return log;
}

// The index of the first message at or after `from` on `topic` (with `payload`, when given).
std::optional<std::size_t> find(const FakeMqttRecord& r, const std::string& topic,
                                const std::optional<std::string>& payload = std::nullopt,
                                std::size_t from = 0) {
  for (std::size_t i = from; i < r.published.size(); ++i) {
    const MqttMessage& m = r.published[i];
    if (m.topic == topic && (!payload || m.payload == *payload)) return i;
  }
  return std::nullopt;
}

std::set<std::string> discovery_topics(const FakeMqttRecord& r, std::size_t from = 0) {
  std::set<std::string> out;
  for (std::size_t i = from; i < r.published.size(); ++i) {
    if (r.published[i].topic.rfind("homeassistant/", 0) == 0) out.insert(r.published[i].topic);
  }
  return out;
}

// The TCP connections (simulator client ids) that sent requests.
std::set<std::uint64_t> connections(const rct::sim::Simulator& sim) {
  std::set<std::uint64_t> ids;
  for (const auto& f : sim.received().all()) ids.insert(f.client);
  return ids;
}

// One App on the test's loop with its inverter (the simulator), a config file in a temp dir,
// the fake MQTT clients and the notifier.
class AppRig {
 public:
  explicit AppRig(const Setup& setup = {}) {
    sim.start();
    write_config(setup);
    auto loaded = rct::load_config(config_path, rct::Environment::from_process(),
                                   rct::daemon::App::value_catalog(rct::test::test_registry()));
    REQUIRE(loaded);
    app = std::make_unique<rct::daemon::App>(io, std::move(loaded.value()), config_path,
                                             test_logger(), mqtt.factory(), notifier);
  }
  ~AppRig() {
    if (app && !app->stopped()) {
      app->request_stop();
      run_until([&] { return app->stopped(); });
    }
  }
  AppRig(const AppRig&) = delete;
  AppRig& operator=(const AppRig&) = delete;

  void write_config(const Setup& setup, std::uint16_t port = 0) {
    dir.write("rct2mqtt.toml",
              config_text(dir.path() / "state", port != 0 ? port : sim.port(), setup));
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = kWait) {
    return rct::test::run_until(io, done, timeout);
  }
  const FakeMqttRecord& record(std::size_t i = 0) const { return mqtt.record(i); }
  bool notified(const std::string& call) const {
    return std::find(notifier.calls.begin(), notifier.calls.end(), call) != notifier.calls.end();
  }
  // Starts the App, lets the broker accept the first client and waits until the inverter is
  // online with discovery and a battery SOC published; returns the inverter's serial topic id.
  std::string start_online(const std::string& base = "rct2mqtt") {
    app->start();
    REQUIRE(mqtt.made() == 1);
    mqtt.last().accept();
    return wait_online(0, base);
  }
  std::string wait_online(std::size_t client, const std::string& base, std::size_t from = 0) {
    std::string serial;
    REQUIRE(run_until([&] {
      const auto& r = record(client);
      for (std::size_t i = from; i < r.published.size(); ++i) {
        const auto& m = r.published[i];
        const std::string prefix = base + "/";
        const std::string suffix = "/status";
        if (m.payload != "online" || m.topic.rfind(prefix, 0) != 0 ||
            m.topic == base + "/bridge/status" || m.topic.size() <= prefix.size() + suffix.size() ||
            m.topic.compare(m.topic.size() - suffix.size(), suffix.size(), suffix) != 0) {
          continue;
        }
        serial = m.topic.substr(prefix.size(), m.topic.size() - prefix.size() - suffix.size());
        return find(r, base + "/" + serial + "/battery/soc", std::nullopt, from) &&
               !discovery_topics(r, from).empty();
      }
      return false;
    }));
    return serial;
  }

  asio::io_context io;  // the one loop: the App, its clients and the simulator
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  rct::test::TempDir dir{"rct_app"};
  std::filesystem::path config_path = dir.path() / "rct2mqtt.toml";
  rct::sim::Simulator sim{io, rct::test::test_registry(), simulator_options()};
  rct::test::FakeMqtt mqtt{io};
  rct::test::RecordingNotifier notifier;
  std::unique_ptr<rct::daemon::App> app;  // last: destroyed first
};

}  // namespace

TEST_CASE(
    "the App republishes discovery, inverter status and last values after an MQTT "
    "reconnect",
    "[app]") {
  AppRig rig;
  const std::string serial = rig.start_online();
  const auto& r = rig.record();
  const auto first_discovery = discovery_topics(r);
  const std::string status = "rct2mqtt/" + serial + "/status";

  rig.mqtt.last().drop("test: connection reset");
  REQUIRE(rig.run_until(
      [&] { return rig.notified("STATUS=mqtt disconnected; roof online (" + serial + ")"); }));
  const std::size_t from = r.published.size();
  rig.mqtt.last().accept();
  REQUIRE(rig.run_until([&] {
    return find(r, status, "online", from) &&
           find(r, "rct2mqtt/" + serial + "/battery/soc", {}, from);
  }));
  CHECK(find(r, "rct2mqtt/bridge/status", "online", from));
  CHECK(discovery_topics(r, from) == first_discovery);
  CHECK(rig.mqtt.made() == 1);  // the client reconnects by itself; the App keeps it
}

TEST_CASE("a reload that changes only the name and an interval keeps the inverter connection",
          "[app]") {
  AppRig rig;
  const std::string serial = rig.start_online();
  const auto before = connections(rig.sim);
  REQUIRE(before.size() == 1);

  Setup changed;
  changed.name = "garage";
  changed.fast_interval = "2";
  rig.write_config(changed);
  rig.app->request_reload();
  REQUIRE(rig.notified("RELOADING=1"));
  REQUIRE(rig.notified("STATUS=mqtt connected; garage online (" + serial + ")"));
  // Polling goes on after the reload, on the connection it had.
  const std::size_t frames = rig.sim.received().size();
  REQUIRE(rig.run_until([&] { return rig.sim.received().size() >= frames + 20; }));
  CHECK(connections(rig.sim) == before);
  CHECK(rig.sim.client_count() == 1);
}

TEST_CASE("a reload that changes the inverter's port replaces its connection", "[app]") {
  AppRig rig;
  rct::sim::Simulator moved(rig.io, rct::test::test_registry(), simulator_options());
  moved.start();
  const std::string serial = rig.start_online();
  REQUIRE(rig.sim.client_count() == 1);
  const std::size_t from = rig.record().published.size();

  rig.write_config(Setup{}, moved.port());
  rig.app->request_reload();
  // The old connection closes, a new session connects to the new port and goes online again.
  REQUIRE(rig.run_until([&] {
    return rig.sim.client_count() == 0 && moved.client_count() == 1 &&
           find(rig.record(), "rct2mqtt/" + serial + "/status", "online", from);
  }));
  const std::size_t old_frames = rig.sim.received().size();
  REQUIRE(rig.run_until([&] { return moved.received().size() >= 20; }));
  CHECK(rig.sim.received().size() == old_frames);
  CHECK(connections(moved).size() == 1);
}

TEST_CASE("a reload that changes [mqtt] replaces the client through the factory", "[app]") {
  AppRig rig;
  const std::string serial = rig.start_online();

  Setup changed;
  changed.base_topic = "solar";
  rig.write_config(changed);
  rig.app->request_reload();
  REQUIRE(rig.run_until([&] { return rig.mqtt.made() == 2; }));
  // The old client said offline on its own bridge topic, then disconnected cleanly.
  const auto& old = rig.record(0);
  REQUIRE_FALSE(old.published.empty());
  CHECK(old.published.back().topic == "rct2mqtt/bridge/status");
  CHECK(old.published.back().payload == "offline");
  CHECK(old.disconnected);
  CHECK(old.destroyed);

  const auto& now = rig.record(1);
  CHECK(now.config.base_topic == "solar");
  REQUIRE(now.will);
  CHECK(now.will->topic == "solar/bridge/status");
  CHECK(now.will->payload == "offline");
  CHECK(now.subscriptions ==
        std::vector<std::string>{"homeassistant/status", "solar/+/settings/+/set",
                                 "solar/+/battery/mode/set", "solar/+/bridge/+/set"});
  rig.mqtt.last().accept();
  CHECK(rig.wait_online(1, "solar") == serial);
  CHECK(find(now, "solar/bridge/status", "online"));
}

TEST_CASE("the notifier hears READY, STATUS, RELOADING and STOPPING", "[app]") {
  AppRig rig;
  rig.app->start();
  REQUIRE(rig.run_until([&] { return rig.notified("READY=1"); }));
  // Ready without a broker or an inverter answer; the status says so.
  CHECK(rig.notifier.calls.front().rfind("STATUS=mqtt disconnected; roof ", 0) == 0);
  rig.mqtt.last().accept();
  const std::string serial = rig.wait_online(0, "rct2mqtt");
  REQUIRE(rig.run_until(
      [&] { return rig.notified("STATUS=mqtt connected; roof online (" + serial + ")"); }));

  rig.notifier.calls.clear();
  rig.app->request_reload();  // the file is unchanged
  CHECK(rig.notifier.calls == std::vector<std::string>{"RELOADING=1", "READY=1"});

  rig.notifier.calls.clear();
  rig.dir.write("rct2mqtt.toml", "[mqtt]\nno_such_key = 1\n");
  rig.app->request_reload();  // invalid: the running configuration stays
  CHECK(rig.notifier.calls == std::vector<std::string>{"RELOADING=1", "READY=1"});

  rig.notifier.calls.clear();
  rig.app->request_stop();
  REQUIRE(rig.run_until([&] { return rig.app->stopped(); }));
  REQUIRE_FALSE(rig.notifier.calls.empty());
  CHECK(rig.notifier.calls.front() == "STOPPING=1");
  const auto& r = rig.record();
  CHECK(r.published.back().topic == "rct2mqtt/bridge/status");
  CHECK(r.published.back().payload == "offline");
  CHECK(r.disconnected);
}

TEST_CASE("a command for an unknown inverter is answered on its result topic", "[app]") {
  AppRig rig;
  rig.start_online();
  const std::string set = "rct2mqtt/0000000000/settings/soc_target/set";
  // A retained command is never carried out or answered; the next one is.
  rig.mqtt.last().deliver(MqttMessage{set, R"({"value": 40, "id": "old"})", 1, true});
  rig.mqtt.last().deliver(MqttMessage{set, R"({"value": 50, "id": "abc"})", 1, false});
  const auto& r = rig.record();
  REQUIRE(rig.run_until([&] { return find(r, set + "/result").has_value(); }));
  const auto& answer = r.published[*find(r, set + "/result")];
  CHECK_FALSE(answer.retained);
  CHECK(answer.qos == 1);
  const auto json = nlohmann::json::parse(answer.payload);
  CHECK(json["id"] == "abc");
  CHECK(json["key"] == "soc_target");
  CHECK(json["outcome"] == "rejected");
  CHECK(json["reason"] == "unknown_inverter");
  std::size_t answers = 0;
  for (const auto& m : r.published) answers += m.topic == set + "/result" ? 1 : 0;
  CHECK(answers == 1);
}

TEST_CASE("a command with an MQTT 5 response topic is answered there too, a hostile one is not",
          "[app]") {
  AppRig rig;
  const std::string serial = rig.start_online();
  const std::string set = "rct2mqtt/" + serial + "/settings/soc_target/set";
  const std::string unknown = "rct2mqtt/0000000000/settings/soc_target/set";
  const std::string correlation("\x00\x01\xfe", 3);
  // Writes are off: the inverter's session refuses at once; no inverter answers `unknown`.
  rig.mqtt.last().deliver(
      MqttMessage{set, R"({"value": 50, "id": "a"})", 1, false, "replies/test/a", correlation});
  rig.mqtt.last().deliver(
      MqttMessage{unknown, R"({"value": 50, "id": "b"})", 1, false, "replies/test/b", "B"});
  // Not answered there: a wildcard, the bridge's own tree, a retained command.
  rig.mqtt.last().deliver(MqttMessage{set, R"({"value": 50, "id": "c"})", 1, false, "replies/+"});
  rig.mqtt.last().deliver(MqttMessage{set, R"({"value": 50, "id": "d"})", 1, false,
                                      "rct2mqtt/" + serial + "/settings/soc_min/set", "D"});
  rig.mqtt.last().deliver(
      MqttMessage{set, R"({"value": 50, "id": "e"})", 1, true, "replies/test/e", "E"});
  // Events are handled in order: once this one is answered, all of the above were handled.
  rig.mqtt.last().deliver(MqttMessage{set, R"({"value": 50, "id": "z"})", 1, false});
  const auto& r = rig.record();
  const auto ids_on = [&](const std::string& topic) {
    std::vector<std::string> ids;
    for (const auto& m : r.published) {
      if (m.topic == topic) ids.push_back(nlohmann::json::parse(m.payload)["id"]);
    }
    return ids;
  };
  REQUIRE(rig.run_until([&] { return ids_on(set + "/result").size() == 4; }));
  CHECK(ids_on(set + "/result") == std::vector<std::string>{"a", "c", "d", "z"});
  CHECK(ids_on(unknown + "/result") == std::vector<std::string>{"b"});

  const auto a = find(r, "replies/test/a");
  REQUIRE(a);
  const MqttMessage& answer = r.published[*a];
  CHECK(answer.payload == r.published[*find(r, set + "/result")].payload);
  CHECK(answer.correlation_data == correlation);
  CHECK(answer.qos == 1);
  CHECK_FALSE(answer.retained);
  CHECK(nlohmann::json::parse(answer.payload)["reason"] == "writes_disabled");
  const auto b = find(r, "replies/test/b");
  REQUIRE(b);
  CHECK(r.published[*b].correlation_data == "B");
  CHECK(nlohmann::json::parse(r.published[*b].payload)["reason"] == "unknown_inverter");
  for (const auto& m : r.published) {
    CHECK(m.topic != "replies/+");
    CHECK(m.topic != "replies/test/e");
    CHECK(m.topic != "rct2mqtt/" + serial + "/settings/soc_min/set");
    if (m.topic.rfind("replies/", 0) != 0) CHECK(m.correlation_data.empty());
  }
}

TEST_CASE(
    "removing discovery (rct2mqtt --remove-discovery) clears every config the state file records",
    "[app]") {
  AppRig rig;
  rig.start_online();
  const auto announced = discovery_topics(rig.record());
  REQUIRE_FALSE(announced.empty());
  rig.app->request_stop();
  REQUIRE(rig.run_until([&] { return rig.app->stopped(); }));
  rig.app.reset();

  // A second App on the same config and state file, as `rct2mqtt --remove-discovery` runs.
  auto loaded = rct::load_config(rig.config_path, rct::Environment::from_process(),
                                 rct::daemon::App::value_catalog(rct::test::test_registry()));
  REQUIRE(loaded);
  rig.app = std::make_unique<rct::daemon::App>(rig.io, std::move(loaded.value()), rig.config_path,
                                               test_logger(), rig.mqtt.factory(), rig.notifier);
  REQUIRE(rig.mqtt.made() == 2);
  asio::post(rig.io, [&] { rig.mqtt.last().accept(); });  // runs inside remove_discovery's loop
  CHECK(rig.app->remove_discovery(std::chrono::milliseconds(kWait)) == 0);
  const auto& r = rig.record(1);
  std::set<std::string> cleared;
  for (const auto& m : r.published) {
    if (m.payload.empty() && m.retained) cleared.insert(m.topic);
  }
  CHECK(cleared == announced);
  CHECK(r.disconnected);
}
