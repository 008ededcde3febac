// One poll cycle of 100 scalar OIDs from the registry against the embedded simulator (loopback,
// its own thread) with a fixed service time per reply: wall time per cycle against the ideal
// N × service time, for in-flight windows 1, 2, 4 and 8, with and without the model in which a
// request arriving while a reply is sent cuts that reply short (valid CRC). Every value the client
// hands up is compared with what the simulator really sent intact for that OID; the count of
// values that differ ("corrupted") must be 0.
//
// Usage: bench_poll_cycle [service_ms (20)] [cycles (3)]. The request timeout is 10 × the service
// time, the ratio of the client's 2 s default to a real device's ≈ 200 ms per frame.
#include <algorithm>
#include <asio.hpp>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "bench/poll_bench_support.h"
#include "core/client/client.h"
#include "core/registry.h"
#include "core/value_codec.h"
#include "tools/simulator/simulator.h"

namespace {

using Clock = std::chrono::steady_clock;
using rct::client::ClientError;
using rct::client::Reading;

constexpr std::size_t kOids = 100;
constexpr std::size_t kWindows[] = {1, 2, 4, 8};
// 2024-06-21 12:00 device time: PV producing, so the model never goes dark during a run.

struct Figures {
  double seconds_per_cycle = 0;  // mean over the cycles
  double answered = 0;           // per cycle, of kOids
  std::uint64_t retries = 0;     // over all cycles
  std::uint64_t truncated = 0;   // cut answers the client dropped
  std::size_t cut = 0;           // replies the simulator cut (model or fault)
  std::size_t checked = 0;       // values compared with the simulator's truth
  std::size_t corrupted = 0;     // values handed up that the simulator never sent intact
};

Figures measure(const rct::Registry& registry, const std::vector<std::uint32_t>& oids,
                std::chrono::milliseconds service, int cycles, std::size_t window,
                bool truncation) {
  asio::io_context sim_io;
  rct::sim::SimulatorOptions sim_options;
  sim_options.port = 0;
  sim_options.service_time = service;
  sim_options.truncation = truncation;
  sim_options.start_time = rct::bench::kBenchNoon;
  sim_options.max_queue = 256;
  rct::sim::Simulator sim(sim_io, registry, sim_options);
  sim.start();
  std::thread sim_thread([&] { sim_io.run(); });

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  rct::bench::UnsolicitedLog observer;
  rct::client::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = sim.port();
  options.window = window;
  options.request_timeout = service * 10;
  options.max_queued = oids.size();
  options.seed = 1;
  rct::client::Client client(io, registry, options, observer);
  client.start();
  if (!rct::bench::run_until(
          io, [&] { return client.state() == rct::client::ClientState::kConnected; },
          std::chrono::seconds(5))) {
    std::fprintf(stderr, "cannot connect to the simulator\n");
    std::exit(1);
  }

  Figures f;
  std::vector<Reading> answers;
  double total_seconds = 0;
  std::size_t answered = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    auto pending = std::make_shared<std::size_t>(oids.size());
    const auto start = Clock::now();
    for (std::uint32_t oid : oids) {
      client.read(oid, [&, pending](rct::Result<Reading, ClientError> r) {
        if (r.ok()) answers.push_back(std::move(*r));
        --*pending;
      });
    }
    if (!rct::bench::run_until(
            io, [&] { return *pending == 0; }, std::chrono::minutes(5))) {
      std::fprintf(stderr, "a cycle did not finish within 5 minutes\n");
      std::exit(1);
    }
    total_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  }
  // Late copies still on their way are part of what the client hands up: let them arrive.
  rct::bench::run_until(
      io, [] { return false; }, service * 12);
  answered = answers.size();

  for (const Reading& r : answers) {
    ++f.checked;
    if (!rct::bench::sent_intact(registry, sim, r) || !r.solicited) ++f.corrupted;
  }
  for (const Reading& r : observer.unsolicited) {
    ++f.checked;
    if (!rct::bench::sent_intact(registry, sim, r)) ++f.corrupted;
  }
  for (const rct::sim::SentReply& r : sim.sent()) {
    if (r.delivered && (r.cut_by_request || r.fault == rct::sim::FaultKind::kTruncate)) ++f.cut;
  }
  f.seconds_per_cycle = total_seconds / cycles;
  f.answered = static_cast<double>(answered) / cycles;
  f.retries = client.stats().retries;
  f.truncated = client.stats().truncated;

  client.stop();
  sim.post_shutdown().wait_for(std::chrono::seconds(5));
  sim_io.stop();
  sim_thread.join();
  return f;
}

}  // namespace

int run(int argc, char** argv) {
  const long service_ms = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 20;
  const int cycles = argc > 2 ? static_cast<int>(std::strtol(argv[2], nullptr, 10)) : 3;
  if (service_ms <= 0 || cycles <= 0) {
    std::fprintf(stderr, "usage: bench_poll_cycle [service_ms > 0] [cycles > 0]\n");
    return 1;
  }
  const std::chrono::milliseconds service(service_ms);
  const rct::Registry registry;
  const std::vector<std::uint32_t> oids = rct::bench::scalar_poll_list(registry, kOids);
  const double ideal = static_cast<double>(oids.size()) * static_cast<double>(service_ms) / 1000.0;

  std::printf(
      "poll cycle: %zu scalar OIDs, service time %ld ms, request timeout %ld ms, "
      "%d cycles per row\n",
      oids.size(), service_ms, service_ms * 10, cycles);
  std::printf("ideal N x service time: %.2f s\n\n", ideal);
  std::printf(
      "| window | truncation model | s / cycle | x ideal | answered / %zu | retries | "
      "cut replies | dropped as truncated | corrupted values |\n",
      oids.size());
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  std::size_t corrupted = 0;
  for (bool truncation : {false, true}) {
    for (std::size_t window : kWindows) {
      const Figures f = measure(registry, oids, service, cycles, window, truncation);
      corrupted += f.corrupted;
      std::printf("| %zu | %s | %.2f | %.2f | %.1f | %llu | %zu | %llu | %zu of %zu |\n", window,
                  truncation ? "on" : "off", f.seconds_per_cycle, f.seconds_per_cycle / ideal,
                  f.answered, static_cast<unsigned long long>(f.retries), f.cut,
                  static_cast<unsigned long long>(f.truncated), f.corrupted, f.checked);
      std::fflush(stdout);
    }
  }
  if (corrupted != 0) {
    std::fprintf(stderr, "%zu values handed up that the simulator never sent intact\n", corrupted);
    return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  // Nothing may escape main (std::terminate would hide what went wrong).
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_poll_cycle: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "bench_poll_cycle: unknown error\n");
  }
  return 1;
}
