#pragma once

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "core/registry.h"
#include "tests/support/catch.h"
#include "tests/support/test_registry.h"
#include "tools/simulator/simulator.h"

namespace rct::test {

// 2024-06-21 12:00 device time: PV is producing, so the model's night never starts by itself.
inline constexpr std::int64_t kSimulatedNoon = 19895LL * 86400 + 12 * 3600;

// The id of the registry object called `name` (a test fails with the name if there is none).
inline std::uint32_t oid_of(std::string_view name) {
  const OidInfo* info = test_registry().find(name);
  if (info == nullptr) throw std::invalid_argument("no registry object " + std::string(name));
  return info->id;
}

// Loopback, ephemeral port, 20 ms per reply (50 frames/s: fault tests finish in seconds), written
// settings readable 50 ms after the WRITE.
// RCT_SIM_LOG=1 in the environment puts the simulator's debug log on stderr.
inline sim::SimulatorOptions simulator_test_options() {
  using namespace std::chrono_literals;
  sim::SimulatorOptions o;
  o.port = 0;
  o.service_time = 20ms;
  o.write_delay = 50ms;
  o.start_time = kSimulatedNoon;
  if (std::getenv("RCT_SIM_LOG") != nullptr) {
    o.logger = std::make_shared<spdlog::logger>(
        "simulator", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    o.logger->set_level(spdlog::level::debug);
  }
  return o;
}

// The simulator on its own thread and io_context, stopped and joined on destruction. Tests talk
// to it through its thread-safe members (script_fault, truth, sent ...).
class RunningSimulator {
 public:
  explicit RunningSimulator(const Registry& registry,
                            sim::SimulatorOptions options = simulator_test_options())
      : sim_(io_, registry, std::move(options)) {
    sim_.start();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~RunningSimulator() {
    sim_.post_shutdown().wait_for(std::chrono::seconds(5));
    io_.stop();
    thread_.join();
  }
  RunningSimulator(const RunningSimulator&) = delete;
  RunningSimulator& operator=(const RunningSimulator&) = delete;

  sim::Simulator& operator*() { return sim_; }
  sim::Simulator* operator->() { return &sim_; }
  // Waits until a posted change has been applied on the simulator's thread.
  static void apply(std::future<void> f) {
    REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  }

 private:
  asio::io_context io_;
  sim::Simulator sim_;
  std::thread thread_;
};

}  // namespace rct::test
