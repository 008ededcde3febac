#pragma once

// The end-to-end world of the daemon tests (daemon_test.cpp, node_red_test.cpp): a real Mosquitto
// on a free loopback port, the simulator on a thread of the test process, the real rct2mqtt
// process with a generated config, and mosquitto_sub collecting what is published. Every wait has
// a deadline.

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/registry.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tools/simulator/simulator.h"

namespace rct::e2e {

// 2024-06-21 12:00 device time: PV is producing.
inline constexpr std::int64_t kNoon = 19895LL * 86400 + 12 * 3600;

const Registry& registry();

void write_file(const std::filesystem::path& p, const std::string& text);

// A free loopback port below the ephemeral range: while nothing listens on an ephemeral port, a
// client retrying to connect to it can end up connected to itself (TCP simultaneous open) and
// hold the port.
std::uint16_t free_port_below_ephemeral();

// The simulator on its own thread, on a port below the ephemeral range (5 ms per reply); it can
// be switched off and on again on the same port.
class RunningSimulator {
 public:
  RunningSimulator();
  ~RunningSimulator();
  RunningSimulator(const RunningSimulator&) = delete;
  RunningSimulator& operator=(const RunningSimulator&) = delete;

  sim::Simulator* operator->() { return sim_.get(); }
  // Waits (REQUIRE) until a posted change has been applied on the simulator's thread.
  static void apply(std::future<void> f);
  // The inverter switched off (connections close, nothing listens) and on again, same port.
  void halt();
  void launch();

 private:
  sim::SimulatorOptions options() const;

  std::uint16_t port_;
  std::unique_ptr<asio::io_context> io_;
  std::unique_ptr<sim::Simulator> sim_;
  std::thread thread_;
};

struct Line {
  std::string topic;
  std::string payload;
  bool retained = false;
  int qos = 0;  // the lower of the message's QoS and the subscription's
};

struct SubscriberOptions {
  std::vector<std::string> filters = {"rct2mqtt/#", "homeassistant/#"};
  int qos = 0;
};

// mosquitto_sub on `filters`, collecting lines as they arrive.
class Subscriber {
 public:
  explicit Subscriber(std::uint16_t port, const SubscriberOptions& options = {});

  // Waits until a line at index ≥ `from` satisfies `pred`; its index, or nullopt at the deadline.
  template <typename Pred>
  std::optional<std::size_t> wait(Pred pred, std::chrono::milliseconds timeout,
                                  std::size_t from = 0) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto all = lines();
      for (std::size_t i = from; i < all.size(); ++i) {
        if (pred(all[i])) return i;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      pump(std::chrono::milliseconds(100));
    }
  }
  std::optional<std::size_t> wait_line(const std::string& topic, const std::string& payload,
                                       std::chrono::milliseconds timeout, std::size_t from = 0);
  std::optional<std::size_t> wait_suffix(const std::string& suffix,
                                         std::chrono::milliseconds timeout, std::size_t from = 0);
  std::optional<std::size_t> wait_line_topic(const std::string& topic,
                                             std::chrono::milliseconds timeout,
                                             std::size_t from = 0);
  // Collects output for `d`.
  void pump(std::chrono::milliseconds d);

  // Complete lines so far, in arrival order.
  std::vector<Line> lines() const;

 private:
  test::ChildProcess process_;
};

struct DaemonSetup {
  std::string extra_inverter;  // more [[inverter]] keys
  std::string fast_interval = "1";
  std::string slow_interval = "2";
  std::string extra_mqtt;                    // more [mqtt] keys
  std::string extra_sections;                // whole sections after [poll], e.g. "[writes]\n..."
  std::optional<std::uint16_t> broker_port;  // another broker than the World's
};

DaemonSetup intervals(std::string fast, std::string slow);

std::string config_text(std::uint16_t broker_port, std::uint16_t sim_port,
                        const std::filesystem::path& state_dir, const DaemonSetup& s);

// Everything one test needs: broker, simulator, config file, subscriber.
struct World {
  test::TempDir dir{"rct2mqtt-e2e"};
  test::MosquittoBroker broker;
  RunningSimulator sim;
  std::filesystem::path config = dir.path() / "rct2mqtt.toml";
  std::unique_ptr<Subscriber> sub = std::make_unique<Subscriber>(broker.port());

  explicit World(const DaemonSetup& setup = {}) { write(setup); }
  void write(const DaemonSetup& setup);
  // The daemon on this world's config; `env` entries "KEY=VALUE" are added to its environment.
  std::unique_ptr<test::ChildProcess> start(const std::vector<std::string>& env = {});
};

// The serial from the first `rct2mqtt/<serial>/status` = online (REQUIRE within 20 s).
std::string serial_of(Subscriber& sub);

// SIGTERM, then REQUIRE an exit within 10 s and CHECK that it was clean.
void stop_daemon(test::ChildProcess& daemon);

}  // namespace rct::e2e
