#pragma once

// The harness of the daemon's end-to-end tests: the real rct2mqtt process between the simulator
// (on a thread of this process, on a free loopback port) and a real Mosquitto, observed with
// mosquitto_sub. Every wait has a deadline.
#include <unistd.h>

#include <asio.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/registry.h"
#include "core/value_codec.h"
#include "daemon/discovery_abbreviations.h"
#include "tests/support/catch.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"
#include "tests/support/shared_dir.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"
#include "tools/simulator/simulator.h"

namespace rct::test::e2e {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline constexpr std::uint32_t kSerialOid = 0x7924ABD9;    // inverter_sn
inline constexpr std::uint32_t kFirmwareOid = 0xDDD1C2D0;  // svnversion
inline constexpr std::uint32_t kSocOid = 0x959930BF;       // battery.soc, 0..1
inline constexpr int kExitConfig = 78;
// 2024-06-21 12:00 device time: PV is producing.
inline constexpr std::int64_t kNoon = 19895LL * 86400 + 12 * 3600;

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
}

// A free loopback port below the ephemeral range: while nothing listens on an ephemeral port, a
// client retrying to connect to it can end up connected to itself (TCP simultaneous open) and
// hold the port. Each process starts in a block of 100 ports of its own (by pid), so that test
// processes started together (ctest -j, parallel runs) do not hand out the same port, which is
// free until the program it is meant for (Node-RED takes seconds) binds it.
inline std::uint16_t free_port_below_ephemeral() {
  static std::uint16_t next = static_cast<std::uint16_t>(20000 + (::getpid() % 100) * 100);
  for (int i = 0; i < 1000; ++i) {
    const std::uint16_t port = next++;
    asio::io_context io;
    asio::ip::tcp::acceptor a(io);
    asio::error_code ec;
    a.open(asio::ip::tcp::v4(), ec);
    a.bind({asio::ip::make_address_v4("127.0.0.1"), port}, ec);
    if (!ec) return port;
  }
  throw std::runtime_error("no free port below the ephemeral range");
}

// The simulator on its own thread, on a fixed port, that can be switched off (halt: connections
// close, nothing listens) and on again (launch), like an inverter at night.
class SwitchableSimulator {
 public:
  SwitchableSimulator() : port_(free_port_below_ephemeral()) { launch(); }
  ~SwitchableSimulator() { halt(); }
  rct::sim::Simulator* operator->() { return sim_.get(); }
  static void apply(std::future<void> f) { REQUIRE(f.wait_for(5s) == std::future_status::ready); }
  // The inverter switched off (connections close, nothing listens) and on again, same port.
  void halt() {
    if (!sim_) return;
    sim_->post_shutdown().wait_for(5s);
    io_->stop();
    if (thread_.joinable()) thread_.join();
    sim_.reset();
    io_.reset();  // drops the handlers still queued for the old connections
  }
  void launch() {
    io_ = std::make_unique<asio::io_context>();
    // The port may still be held for a moment by the connections just closed.
    const auto deadline = Clock::now() + 10s;
    for (;;) {
      try {
        sim_ = std::make_unique<rct::sim::Simulator>(*io_, test_registry(), options());
        sim_->start();
        break;
      } catch (const std::system_error& e) {
        sim_.reset();
        if (Clock::now() >= deadline) throw;
        std::this_thread::sleep_for(100ms);
      }
    }
    thread_ = std::thread([this] { io_->run(); });
  }

 private:
  rct::sim::SimulatorOptions options() const {
    rct::sim::SimulatorOptions o;
    o.port = port_;
    o.service_time = 5ms;
    o.start_time = kNoon;
    return o;
  }
  std::uint16_t port_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<rct::sim::Simulator> sim_;
  std::thread thread_;
};

struct Line {
  std::string topic;
  std::string payload;  // "(null)" for an empty payload, as mosquitto_sub -v prints it
  bool retained = false;
  int qos = 0;  // the lower of the message's QoS and the subscription's
};

struct SubscriberOptions {
  std::vector<std::string> filters = {"rct2mqtt/#", "homeassistant/#"};
  int qos = 0;
};

// An account on a broker with a password file; an empty user name: anonymous.
struct Login {
  std::string username;
  std::string password;
};

// mosquitto_sub on everything the daemon publishes (or on `filters`), collecting lines as they
// arrive.
class Subscriber {
 public:
  explicit Subscriber(std::uint16_t port, const SubscriberOptions& options = {},
                      const Login& login = {})
      : process_(argv(port, options, login)) {}

  static std::string sub_path() {
    auto p = rct::test::find_executable("mosquitto_sub");
    if (!p) throw std::runtime_error("mosquitto_sub not found");
    return *p;
  }

  // Waits until a line at index ≥ `from` satisfies `pred`; its index, or nullopt at the deadline.
  template <typename Pred>
  std::optional<std::size_t> wait(Pred pred, std::chrono::milliseconds timeout,
                                  std::size_t from = 0) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto all = lines();
      for (std::size_t i = from; i < all.size(); ++i) {
        if (pred(all[i])) return i;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      process_.wait_for_output("\x01never\x01", 100ms);
    }
  }
  std::optional<std::size_t> wait_line(const std::string& topic, const std::string& payload,
                                       std::chrono::milliseconds timeout, std::size_t from = 0) {
    return wait([&](const Line& l) { return l.topic == topic && l.payload == payload; }, timeout,
                from);
  }
  std::optional<std::size_t> wait_suffix(const std::string& suffix,
                                         std::chrono::milliseconds timeout, std::size_t from = 0) {
    return wait(
        [&](const Line& l) {
          return l.topic.size() >= suffix.size() &&
                 l.topic.compare(l.topic.size() - suffix.size(), suffix.size(), suffix) == 0;
        },
        timeout, from);
  }
  std::optional<std::size_t> wait_line_topic(const std::string& topic,
                                             std::chrono::milliseconds timeout,
                                             std::size_t from = 0) {
    return wait([&](const Line& l) { return l.topic == topic; }, timeout, from);
  }
  void pump(std::chrono::milliseconds d) { process_.wait_for_output("\x01never\x01", d); }

  std::vector<Line> lines() const {
    std::vector<Line> out;
    const std::string& text = process_.out();
    std::size_t start = 0;
    // Complete lines only: the last one may still be arriving.
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
      auto m = parse_subscriber_line(text.substr(start, end - start));
      if (!m) continue;
      // An empty payload (a cleared retained topic) reads "(null)", as mosquitto_sub -v shows it.
      if (m->payload.empty()) m->payload = "(null)";
      out.push_back(Line{std::move(m->topic), std::move(m->payload), m->retained, m->qos});
    }
    return out;
  }

 private:
  static std::vector<std::string> argv(std::uint16_t port, const SubscriberOptions& options,
                                       const Login& login) {
    std::vector<std::string> a = {sub_path(),
                                  "-h",
                                  "127.0.0.1",
                                  "-p",
                                  std::to_string(port),
                                  "-F",
                                  kSubscriberFormat,
                                  "-q",
                                  std::to_string(options.qos)};
    if (!login.username.empty()) a.insert(a.end(), {"-u", login.username, "-P", login.password});
    for (const std::string& f : options.filters) {
      a.push_back("-t");
      a.push_back(f);
    }
    return a;
  }

  ChildProcess process_;
};

struct DaemonSetup {
  std::string extra_inverter;  // more [[inverter]] keys
  std::string fast_interval = "1";
  std::string slow_interval = "2";
  std::string extra_mqtt;                    // more [mqtt] keys
  std::optional<std::uint16_t> broker_port;  // another broker than the World's
  std::string mqtt_uri;                      // set: this URI instead (e.g. "ssl://...")
  std::string writes;                        // keys of a [writes] section; "": no section
  std::string homeassistant;                 // more [homeassistant] keys
  std::string poll;                          // more [poll] keys
  std::string sections;                      // whole sections at the end ("[metrics]\n...")
  std::string frames_per_second = "100";     // the inverter's request budget
};

inline DaemonSetup intervals(std::string fast, std::string slow) {
  DaemonSetup s;
  s.fast_interval = std::move(fast);
  s.slow_interval = std::move(slow);
  return s;
}

inline std::string config_text(std::uint16_t broker_port, std::uint16_t sim_port,
                               const std::filesystem::path& state_dir, const DaemonSetup& s) {
  std::ostringstream c;
  c << "state_dir = \"" << state_dir.string() << "\"\n"
    << "[logging]\nlevel = \"info\"\n"
    << "[mqtt]\nuri = \""
    << (s.mqtt_uri.empty()
            ? "tcp://127.0.0.1:" + std::to_string(s.broker_port.value_or(broker_port))
            : s.mqtt_uri)
    << "\"\n"
    << "client_id = \"rct2mqtt-e2e\"\nreconnect_min = 0.5\nreconnect_max = 1\nheartbeat = 10\n"
    << s.extra_mqtt << "[homeassistant]\nrepublish_delay_max = 0.5\n"
    << s.homeassistant << "[[inverter]]\nhost = \"127.0.0.1\"\nport = " << sim_port << "\n"
    << "frames_per_second = " << s.frames_per_second
    << "\nrequest_timeout = 0.5\nreconnect_min = 0.2\n"
    << "reconnect_max = 0.5\noffline_after = 2\n"
    << s.extra_inverter << "[poll]\nfast_interval = " << s.fast_interval
    << "\nslow_interval = " << s.slow_interval << "\nstatic_interval = 30\n"
    << s.poll;
  if (!s.writes.empty()) c << "[writes]\n" << s.writes;
  c << s.sections;
  return c.str();
}

// Everything one test needs: broker, simulator, config file, subscriber.
struct World {
  rct::test::TempDir dir{"rct2mqtt-e2e"};
  rct::test::MosquittoBroker broker;
  SwitchableSimulator sim;
  std::filesystem::path config = dir.path() / "rct2mqtt.toml";
  std::unique_ptr<Subscriber> sub = std::make_unique<Subscriber>(broker.port());

  explicit World(const DaemonSetup& setup = {}) { write(setup); }
  // Another broker (e.g. with a TLS listener too); `sub` reads its first listener anonymously.
  World(const DaemonSetup& setup, BrokerOptions broker_options)
      : broker(std::move(broker_options)) {
    write(setup);
  }
  // A broker with accounts (and access control); `sub` reads `filters` as `observer`.
  World(const DaemonSetup& setup, BrokerOptions broker_options, const SubscriberOptions& filters,
        const Login& observer)
      : broker(std::move(broker_options)),
        sub(std::make_unique<Subscriber>(broker.port(), filters, observer)) {
    write(setup);
  }
  void write(const DaemonSetup& setup) {
    write_file(config, config_text(broker.port(), sim->port(), dir.path() / "state", setup));
  }
  std::unique_ptr<ChildProcess> start(const std::vector<std::string>& env = {}) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{RCT2MQTT_PATH, "-c", config.string()}, env);
  }
};

inline std::string trim_nul(std::string s) {
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}

// Every value the simulator sent for `oid` (intact replies), decoded.
inline std::vector<rct::Value> sent_values(rct::sim::Simulator& sim, std::uint32_t oid,
                                           rct::DataType type) {
  std::vector<rct::Value> out;
  for (const auto& r : sim.sent()) {
    if (r.oid != oid || !r.intact) continue;
    auto v = rct::decode_value(type, r.payload);
    if (v) out.push_back(v.value());
  }
  return out;
}

// The WRITE frames the simulator received that change something: every WRITE but the event
// table queries the daemon sends itself (a timestamp written to logger.error_log_time_stamp asks
// for entries and changes nothing, docs/protocol.md §10.1; docs/mqtt.md §2.9).
inline std::vector<rct::Frame> setting_writes(SwitchableSimulator& sim) {
  constexpr std::uint32_t kEventTableQueryOid = 0x6F3876BC;
  std::vector<rct::Frame> out;
  for (rct::Frame& f : sim->received().frames(rct::Command::kWrite)) {
    if (f.oid != kEventTableQueryOid) out.push_back(std::move(f));
  }
  return out;
}

// A command as Home Assistant and Node-RED send it (mosquitto_pub): QoS 1, not retained unless
// asked.
inline void publish_command(World& w, const std::string& topic, const std::string& payload,
                            bool retain = false) {
  static const auto path = rct::test::find_executable("mosquitto_pub");
  REQUIRE(path);
  std::vector<std::string> argv{*path,  "-h", "127.0.0.1", "-p",  std::to_string(w.broker.port()),
                                "-q",   "1",  "-t",        topic, "-m",
                                payload};
  if (retain) argv.push_back("-r");
  const auto r = rct::test::run_process(argv, {}, std::chrono::seconds{10});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

// mosquitto_pub as `login`, MQTT 5 and QoS 1, so that a refusal comes back in the PUBACK.
// `extra`: more mosquitto_pub arguments ("-r", MQTT 5 properties).
inline rct::test::RunResult publish_as(const Login& login, std::uint16_t port,
                                       const std::string& topic, const std::string& payload,
                                       const std::vector<std::string>& extra = {}) {
  static const auto path = rct::test::find_executable("mosquitto_pub");
  REQUIRE(path);
  std::vector<std::string> argv{
      *path, "-h",           "127.0.0.1", "-p",           std::to_string(port),
      "-u",  login.username, "-P",        login.password, "-V",
      "5",   "-q",           "1",         "-t",           topic,
      "-m",  payload};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return rct::test::run_process(argv, {}, std::chrono::seconds{10});
}

// The first JSON answer on `topic` (from line `from` on) whose "id" is `id`, parsed.
inline std::optional<nlohmann::json> wait_answer_id(
    Subscriber& sub, const std::string& topic, const std::string& id,
    std::chrono::milliseconds timeout = std::chrono::seconds{20}, std::size_t from = 0) {
  std::optional<nlohmann::json> found;
  sub.wait(
      [&](const Line& l) {
        if (l.topic != topic) return false;
        nlohmann::json j = nlohmann::json::parse(l.payload, nullptr, false);
        if (j.is_discarded() || !j.contains("id") || j["id"] != id) return false;
        found = std::move(j);
        return true;
      },
      timeout, from);
  return found;
}

// A discovery payload as Home Assistant reads it: parsed, abbreviated keys expanded to full key
// names (daemon/discovery_abbreviations.h). Discarded when it is not JSON (e.g. empty).
inline nlohmann::json discovery_json(const std::string& payload) {
  nlohmann::json j = nlohmann::json::parse(payload, nullptr, false);
  return j.is_discarded() ? j : rct::daemon::expand_discovery(j);
}

inline std::string serial_of(Subscriber& sub) {
  auto idx = sub.wait(
      [](const Line& l) {
        return l.topic.rfind("rct2mqtt/", 0) == 0 && l.topic.size() > 16 &&
               l.topic.compare(l.topic.size() - 7, 7, "/status") == 0 &&
               l.topic != "rct2mqtt/bridge/status" && l.payload == "online";
      },
      20s);
  REQUIRE(idx);
  const std::string topic = sub.lines()[*idx].topic;
  return topic.substr(9, topic.size() - 9 - 7);
}

inline void stop_daemon(ChildProcess& daemon) {
  daemon.signal(SIGTERM);
  auto code = daemon.wait(10s);
  INFO(daemon.err());
  REQUIRE(code);
  CHECK(*code == 0);
}

// The state topics of the entities the discovery in `lines` announces, as Home Assistant holds
// them after these messages (a later config replaces an earlier one on its topic, an empty
// payload removes it), for the platforms whose states Home Assistant reads as values (sensor,
// binary sensor, number, select; an event's topic carries events, not states).
inline std::set<std::string> announced_state_topics(const std::vector<Line>& lines) {
  std::map<std::string, nlohmann::json> configs;
  for (const Line& l : lines) {
    if (l.topic.rfind("homeassistant/", 0) != 0) continue;
    if (l.payload == "(null)") {
      configs.erase(l.topic);
      continue;
    }
    nlohmann::json j = discovery_json(l.payload);
    if (j.is_object()) configs[l.topic] = std::move(j);
  }
  static const std::set<std::string> with_states = {"sensor", "binary_sensor", "number", "select"};
  std::set<std::string> topics;
  const auto add = [&](const std::string& platform, const nlohmann::json& entity) {
    if (with_states.count(platform) != 0 && entity.contains("state_topic")) {
      topics.insert(entity["state_topic"].get<std::string>());
    }
  };
  for (const auto& [topic, config] : configs) {
    if (topic.rfind("homeassistant/device/", 0) == 0) {
      if (!config.contains("components")) continue;  // a hand-over request
      for (const auto& [id, entity] : config["components"].items()) {
        add(entity.value("platform", ""), entity);
      }
      continue;
    }
    const std::size_t begin = std::string("homeassistant/").size();
    add(topic.substr(begin, topic.find('/', begin) - begin), config);
  }
  return topics;
}

// Waits until every entity announced so far has had a state message from line `from` on (slow
// values and counters that need a few readings come last); the state topics still without one at
// the deadline, empty when all have one.
inline std::set<std::string> wait_for_every_state(Subscriber& sub,
                                                  std::chrono::milliseconds timeout,
                                                  std::size_t from = 0) {
  const auto deadline = Clock::now() + timeout;
  std::set<std::string> missing;
  for (;;) {
    const std::vector<Line> lines = sub.lines();
    missing = announced_state_topics(lines);
    for (std::size_t i = from; i < lines.size(); ++i) missing.erase(lines[i].topic);
    if (missing.empty() || Clock::now() >= deadline) break;
    sub.pump(200ms);
  }
  return missing;
}

// Requires a state for every announced entity within `timeout` (wait_for_every_state).
inline void require_every_state(Subscriber& sub, std::chrono::milliseconds timeout = 60s,
                                std::size_t from = 0) {
  // Discovery follows the inventory: a caller that just learnt the serial may be a moment ahead
  // of it. Without any announced entity there would be nothing to wait for.
  const auto deadline = Clock::now() + timeout;
  while (announced_state_topics(sub.lines()).empty() && Clock::now() < deadline) sub.pump(200ms);
  REQUIRE_FALSE(announced_state_topics(sub.lines()).empty());
  const std::set<std::string> missing = wait_for_every_state(sub, timeout, from);
  std::string list;
  for (const std::string& t : missing) list += t + '\n';
  INFO("announced, but no state within the deadline:\n" << list);
  REQUIRE(missing.empty());
}

// Runs ../shared's Home Assistant discovery checker over what `lines` recorded: the discovery
// messages (the empty payloads mosquitto_sub shows as "(null)" as removals) with --strict, then
// together with the states, strict as well. Command answers (.../set/result) are not states.
// Skipped with a warning where ../shared is missing.
inline void check_home_assistant_view(const std::vector<Line>& lines,
                                      const std::filesystem::path& dir) {
  auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: the Home Assistant discovery checker is skipped");
    return;
  }
  std::ostringstream discovery;
  std::ostringstream states;
  const std::string result_suffix = "/set/result";
  for (const auto& l : lines) {
    if (l.topic.size() >= result_suffix.size() &&
        l.topic.compare(l.topic.size() - result_suffix.size(), result_suffix.size(),
                        result_suffix) == 0) {
      continue;
    }
    if (l.topic.rfind("homeassistant/", 0) != 0) {
      states << l.topic << ' ' << l.payload << '\n';
      continue;
    }
    discovery << l.topic << ' ' << (l.payload == "(null)" ? "" : l.payload) << '\n';
  }
  const auto discovery_file = dir / "discovery.txt";
  const auto states_file = dir / "states.txt";
  write_file(discovery_file, discovery.str());
  write_file(states_file, states.str());
  const auto checker = (*shared / "tools" / "ha-discovery-check").string();
  const auto python = rct::test::find_executable("python3");
  REQUIRE(python);
  auto strict =
      rct::test::run_process({*python, checker, "--strict", "--file", discovery_file.string()});
  INFO(strict.out << strict.err);
  CHECK(strict.exit_code == 0);
  // With the states, strict as well: every entity has a state (the test waited for them,
  // require_every_state) and Home Assistant accepts every state seen.
  auto with_states =
      rct::test::run_process({*python, checker, "--strict", "--file", discovery_file.string(),
                              "--states", states_file.string()});
  INFO(with_states.out << with_states.err);
  CHECK(with_states.exit_code == 0);
}

}  // namespace rct::test::e2e
