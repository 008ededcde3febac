// End to end: the real rct2mqtt process between the simulator (on a thread of this process, on
// a free loopback port) and a real Mosquitto, observed with mosquitto_sub (daemon_harness.h).
// Every wait has a deadline.
#include <spdlog/logger.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/registry.h"
#include "core/value_codec.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/simulator/simulator.h"

using namespace std::chrono_literals;
using rct::test::ChildProcess;
using namespace rct::test::e2e;

TEST_CASE("rct2mqtt publishes the simulator's values, and discovery passes the checker",
          "[daemon][e2e]") {
  World w;
  auto daemon = w.start();
  REQUIRE(w.sub->wait_line("rct2mqtt/bridge/status", "online", 15s));
  const std::string serial = serial_of(*w.sub);
  const std::string base = "rct2mqtt/" + serial + "/";

  // The serial in the topics is the simulator's serial number.
  auto serials = sent_values(*w.sim.operator->(), kSerialOid, rct::DataType::kString);
  REQUIRE_FALSE(serials.empty());
  CHECK(trim_nul(std::get<std::string>(serials.front())) == serial);

  // A static string exactly; SOC as fraction × 100.
  auto fw = w.sub->wait_suffix(base + "inverter/firmware", 15s);
  REQUIRE(fw);
  auto firmware = sent_values(*w.sim.operator->(), kFirmwareOid, rct::DataType::kString);
  REQUIRE_FALSE(firmware.empty());
  CHECK(w.sub->lines()[*fw].payload == trim_nul(std::get<std::string>(firmware.front())));

  auto soc = w.sub->wait_suffix(base + "battery/soc", 15s);
  REQUIRE(soc);
  const double published = std::stod(w.sub->lines()[*soc].payload);
  bool matched = false;
  for (const auto& v : sent_values(*w.sim.operator->(), kSocOid, rct::DataType::kFloat)) {
    if (std::abs(static_cast<double>(std::get<float>(v)) * 100.0 - published) < 1e-3)
      matched = true;
  }
  INFO("published SOC " << published);
  CHECK(matched);

  auto disc = w.sub->wait_suffix("/config", 15s);
  REQUIRE(disc);
  // Every entity gets its state, the slow values and the diagnostics included.
  require_every_state(*w.sub);
  stop_daemon(*daemon);

  check_home_assistant_view(w.sub->lines(), w.dir.path());
}

TEST_CASE(
    "rct2mqtt marks the inverter offline while it is off and online again, without bogus values",
    "[daemon][e2e]") {
  World w;
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string status = "rct2mqtt/" + serial + "/status";
  REQUIRE(w.sub->wait_suffix("/battery/soc", 15s));

  // The inverter goes away (as a battery-less inverter does at night) and comes back.
  w.sim.halt();
  auto offline = w.sub->wait_line(status, "offline", 15s);
  REQUIRE(offline);
  w.sub->pump(1s);
  w.sim.launch();
  auto online = w.sub->wait_line(status, "online", 20s, *offline);
  if (!online) {
    daemon->signal(SIGTERM);
    daemon->wait(5s);
    FAIL("no online status after the night; daemon log:\n" << daemon->err());
  }
  const auto lines = w.sub->lines();
  // While offline: status and bridge diagnostics only, no inverter values.
  for (std::size_t i = *offline + 1; i < *online; ++i) {
    INFO(lines[i].topic << " " << lines[i].payload);
    const bool allowed = lines[i].topic.find("/bridge/") != std::string::npos;
    CHECK(allowed);
  }
  stop_daemon(*daemon);
  // One warning for the outage, not one per retry.
  std::size_t warnings = 0;
  for (std::size_t p = 0; (p = daemon->err().find("inverter unreachable", p)) != std::string::npos;
       ++p) {
    ++warnings;
  }
  CHECK(warnings == 1);
}

TEST_CASE("rct2mqtt republishes availability, discovery and values after a broker restart",
          "[daemon][e2e]") {
  World w;
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  REQUIRE(w.sub->wait_suffix("/battery/soc", 15s));

  w.sub.reset();
  w.broker.kill();
  w.broker.restart();  // no persistence: every retained message is gone
  w.sub = std::make_unique<Subscriber>(w.broker.port());
  CHECK(w.sub->wait_line("rct2mqtt/bridge/status", "online", 20s));
  CHECK(w.sub->wait_line("rct2mqtt/" + serial + "/status", "online", 10s));
  CHECK(w.sub->wait_suffix("homeassistant/device/rct2mqtt_" + serial + "/config", 10s));
  CHECK(w.sub->wait_suffix("rct2mqtt/" + serial + "/energy/inverter_total", 10s));
  stop_daemon(*daemon);
}

TEST_CASE("counter resets and absurd values never make a total_increasing topic go down",
          "[daemon][e2e]") {
  World w(intervals("1", "1"));
  // First a clean run, which keeps every total in the state file. (A counter that reads 0 three
  // times in a row before it ever showed a total counts as one that never counted, docs/mqtt.md
  // §2.5: at these fault rates that happens on a fresh install, which the unit tests cover.)
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  require_every_state(*w.sub);
  stop_daemon(*daemon);
  const std::size_t faulty_run = w.sub->lines().size();

  SwitchableSimulator::apply(w.sim->set_fault_probability(rct::sim::FaultKind::kCounterReset, 0.3));
  SwitchableSimulator::apply(w.sim->set_fault_probability(rct::sim::FaultKind::kAbsurdValue, 0.2));
  daemon = w.start();
  REQUIRE(w.sub->wait_suffix("/energy/inverter_total", 15s, faulty_run));
  w.sub->pump(8s);
  stop_daemon(*daemon);

  // The simulator has no external generator: its total is 0 and published as 0, as a counter
  // that never counted; every other total counts.
  const std::string external = "rct2mqtt/" + serial + "/energy/external_total";
  std::map<std::string, std::vector<double>> totals;
  for (const auto& l : w.sub->lines()) {
    const bool lifetime = l.topic.size() > 6 &&
                          l.topic.compare(l.topic.size() - 6, 6, "_total") == 0 &&
                          l.topic.find("/energy/") != std::string::npos;
    if (lifetime) totals[l.topic].push_back(std::stod(l.payload));
    INFO(l.topic << " " << l.payload);
    CHECK(l.payload.find("nan") == std::string::npos);
    CHECK(l.payload.find("e+") == std::string::npos);
  }
  REQUIRE_FALSE(totals.empty());
  // The faults did hit lifetime counters.
  std::size_t zeros = 0;
  for (const auto& r : w.sim->sent()) {
    if (r.intact && r.payload.size() == 4 && r.payload == std::vector<std::uint8_t>(4, 0)) ++zeros;
  }
  CHECK(zeros > 0);
  REQUIRE(totals.count(external) == 1);
  for (const auto& [topic, values] : totals) {
    INFO(topic);
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (topic == external) {
        CHECK(values[i] == 0);
      } else {
        CHECK(values[i] > 0);
      }
      if (i > 0) CHECK(values[i] >= values[i - 1]);
    }
  }
}

TEST_CASE("rct2mqtt exits 78 with file:line:column on config errors and hides the password",
          "[daemon][e2e]") {
  rct::test::TempDir dir{"rct2mqtt-e2e"};
  const auto bad = dir.path() / "bad.toml";
  write_file(bad,
             "[mqtt]\nuri = \"tcp://127.0.0.1:1883\"\nbogus_key = 1\n[[inverter]]\nhost = \"x\"\n");
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{RCT2MQTT_PATH, "-c", bad.string()},
        std::vector<std::string>{RCT2MQTT_PATH, "--check-config", "-c", bad.string()}}) {
    auto r = rct::test::run_process(argv, {}, 10s);
    INFO(r.err);
    CHECK(r.exit_code == kExitConfig);
    CHECK(std::regex_search(r.err, std::regex("bad\\.toml:3:1: ")));
  }
  const auto good = dir.path() / "good.toml";
  write_file(good,
             "[mqtt]\nuri = \"tcp://127.0.0.1:1883\"\nusername = \"u\"\npassword = "
             "\"hunter2-very-secret\"\n[[inverter]]\nhost = \"192.168.1.50\"\n");
  auto r = rct::test::run_process({RCT2MQTT_PATH, "--check-config", "-c", good.string()}, {}, 10s);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("192.168.1.50") != std::string::npos);
  CHECK(r.out.find("hunter2") == std::string::npos);
  CHECK(r.err.find("hunter2") == std::string::npos);
  auto missing =
      rct::test::run_process({RCT2MQTT_PATH, "-c", (dir.path() / "nope.toml").string()}, {}, 10s);
  CHECK(missing.exit_code == kExitConfig);
  auto version = rct::test::run_process({RCT2MQTT_PATH, "--version"}, {}, 10s);
  CHECK(version.exit_code == 0);
  CHECK(version.out.find("rct2mqtt") != std::string::npos);
}

namespace {

// An AF_UNIX datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  explicit NotifySocket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.string().size() < sizeof(addr.sun_path));
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path_.c_str());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    timeval tv{0, 100000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~NotifySocket() { ::close(fd_); }
  const std::filesystem::path& path() const { return path_; }

  // Receives until a datagram containing `needle` arrives at index ≥ from; its index.
  std::optional<std::size_t> wait(const std::string& needle, std::chrono::milliseconds timeout,
                                  std::size_t from = 0) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      for (std::size_t i = from; i < messages_.size(); ++i) {
        if (messages_[i].find(needle) != std::string::npos) return i;
      }
      if (Clock::now() >= deadline) return std::nullopt;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n > 0) messages_.emplace_back(buf, static_cast<std::size_t>(n));
    }
  }
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::string> messages_;
};

std::size_t soc_replies_between(rct::sim::Simulator& sim, Clock::time_point a,
                                Clock::time_point b) {
  std::size_t n = 0;
  for (const auto& r : sim.sent()) {
    if (r.requested_oid == kSocOid && r.time >= a && r.time < b) ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("rct2mqtt speaks the systemd notify protocol and reloads without reconnecting",
          "[daemon][e2e]") {
  World w(intervals("6", "30"));
  NotifySocket notify(w.dir.path() / "notify.sock");
  const auto started = Clock::now();
  auto daemon = w.start({"NOTIFY_SOCKET=" + notify.path().string(), "WATCHDOG_USEC=1000000"});
  auto ready = notify.wait("READY=1", 10s);
  REQUIRE(ready);
  CHECK(notify.wait("STATUS=", 5s));
  CHECK(notify.wait("WATCHDOG=1", 5s));
  const std::string serial = serial_of(*w.sub);
  REQUIRE(w.sub->wait_suffix("/battery/soc", 15s));
  CHECK(w.sim->client_count() == 1);

  // SOC every 6 s: at most one read in 4 s.
  std::this_thread::sleep_for(4s);
  const auto before = Clock::now();
  CHECK(soc_replies_between(*w.sim.operator->(), before - 4s, before) <= 1);

  w.write(intervals("1", "30"));
  daemon->signal(SIGHUP);
  auto reloading = notify.wait("RELOADING=1", 10s, *ready + 1);
  REQUIRE(reloading);
  auto ready_again = notify.wait("READY=1", 10s, *reloading);
  REQUIRE(ready_again);
  // The new interval applies within one new interval; then SOC every second.
  std::this_thread::sleep_for(5s);
  const auto now = Clock::now();
  CHECK(soc_replies_between(*w.sim.operator->(), now - 3s, now) >= 2);
  CHECK(w.sim->client_count() == 1);

  daemon->signal(SIGTERM);
  CHECK(notify.wait("STOPPING=1", 5s));
  auto code = daemon->wait(8s);
  REQUIRE(code);
  CHECK(*code == 0);
  // One connection for the whole run: the reload did not reconnect.
  std::size_t connects = 0;
  for (std::size_t p = 0; (p = daemon->err().find(": connected to ", p)) != std::string::npos;
       ++p) {
    ++connects;
  }
  INFO(daemon->err());
  CHECK(connects == 1);
  CHECK(w.sub->wait_line("rct2mqtt/bridge/status", "offline", 5s));
  INFO("start to READY: "
       << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count());
}

TEST_CASE("the JSON aggregate carries the simulator's values and an ISO 8601 timestamp",
          "[daemon][e2e]") {
  DaemonSetup setup;
  setup.extra_mqtt = "json_aggregate = true\n";
  World w(setup);
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string base = "rct2mqtt/" + serial + "/";
  // The first aggregate after the poll list is in place (it has a SOC).
  std::size_t from = 0;
  nlohmann::json state;
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    auto idx = w.sub->wait_line_topic(base + "state", 20s, from);
    REQUIRE(idx);
    from = *idx + 1;
    state = nlohmann::json::parse(w.sub->lines()[*idx].payload);
    if (state.contains("battery") && state["battery"].contains("soc")) break;
  }
  stop_daemon(*daemon);
  INFO(state.dump());
  REQUIRE(state.is_object());
  REQUIRE(state["ts"].is_string());
  CHECK(std::regex_match(state["ts"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  REQUIRE(state["battery"]["soc"].is_number());
  const double soc = state["battery"]["soc"].get<double>();
  bool matched = false;
  for (const auto& v : sent_values(*w.sim.operator->(), kSocOid, rct::DataType::kFloat)) {
    if (std::abs(static_cast<double>(std::get<float>(v)) * 100.0 - soc) < 1e-3) matched = true;
  }
  CHECK(matched);
  REQUIRE(state["inverter"]["firmware"].is_string());
  auto firmware = sent_values(*w.sim.operator->(), kFirmwareOid, rct::DataType::kString);
  REQUIRE_FALSE(firmware.empty());
  CHECK(state["inverter"]["firmware"].get<std::string>() ==
        trim_nul(std::get<std::string>(firmware.front())));
}

TEST_CASE(
    "a reload with a changed [mqtt] section moves to the new broker, keeping the inverter link",
    "[daemon][e2e]") {
  World w;
  rct::test::MosquittoBroker second;
  Subscriber second_sub(second.port());
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string base = "rct2mqtt/" + serial + "/";
  REQUIRE(w.sub->wait_suffix(base + "battery/soc", 15s));

  DaemonSetup moved;
  moved.broker_port = second.port();
  w.write(moved);
  daemon->signal(SIGHUP);
  // The old broker is told the bridge went offline (a clean disconnect sends no will) ...
  CHECK(w.sub->wait_line("rct2mqtt/bridge/status", "offline", 10s));
  // ... and the new one gets the whole picture.
  CHECK(second_sub.wait_line("rct2mqtt/bridge/status", "online", 10s));
  CHECK(second_sub.wait_line(base + "status", "online", 10s));
  CHECK(second_sub.wait_suffix(base + "battery/soc", 10s));
  CHECK(second_sub.wait_suffix("/config", 10s));
  CHECK(w.sim->client_count() == 1);
  stop_daemon(*daemon);
  CHECK(second_sub.wait_line("rct2mqtt/bridge/status", "offline", 5s));
  std::size_t connects = 0;
  for (std::size_t p = 0; (p = daemon->err().find(": connected to ", p)) != std::string::npos;
       ++p) {
    ++connects;
  }
  INFO(daemon->err());
  CHECK(connects == 1);
}
