// The client against the embedded simulator on a link at a real device's speed (200 ms service
// time per reply: 5 replies/s) that loses replies: 0, 5, 9, 10 and 20 % of them, split evenly
// between replies dropped, replies cut short with a valid CRC, and replies with a CRC error. One
// poll cycle reads 100 scalar OIDs spread over the registry, one request at a time (window 1),
// request_timeout 2 s and 2 retries as the daemon's defaults. Per row: useful answers per second
// against what the link can give at most, 5/s × (1 − loss); the time of a full cycle; the
// frames sent, waits that passed, requests sent again at once after a reply known bad, requests
// that failed. Every value the client hands up (answers and unsolicited readings alike) is
// compared with what the simulator really sent intact for that OID: "corrupted" must be 0.
//
// Usage: bench_link_loss [estimate|ceiling] [cycles (3)] [service_ms (200)].
// `estimate` uses the default request_timeout_floor (500 ms); `ceiling` sets the floor to the
// ceiling, so that every wait is the full request_timeout (replies known bad are still asked for
// again at once).
#include <algorithm>
#include <asio.hpp>
#include <bit>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/poll_bench_support.h"
#include "core/client/client.h"
#include "core/registry.h"
#include "core/value_codec.h"
#include "tools/simulator/faults.h"
#include "tools/simulator/simulator.h"

namespace {

using Clock = std::chrono::steady_clock;
using rct::client::ClientError;
using rct::client::Reading;

constexpr std::size_t kLinkOids = 100;
constexpr double kLossRows[] = {0.0, 0.05, 0.09, 0.10, 0.20};

struct LinkFigures {
  double seconds = 0;         // all cycles
  std::size_t answered = 0;   // requests answered, all cycles
  std::size_t requests = 0;   // requests made, all cycles
  std::size_t damaged = 0;    // replies the simulator dropped, cut or corrupted (the faults)
  std::size_t cut = 0;        // replies cut short by a request sent while they went out
  std::size_t replies = 0;    // replies the simulator served
  std::size_t checked = 0;    // values compared with the simulator's truth
  std::size_t corrupted = 0;  // values handed up that the simulator never sent intact
  rct::client::TrackerStats stats;
};

// Each of the three faults is decided in turn (corrupt_crc, drop, truncate); these conditional
// probabilities make each one loss / 3 of all replies.
void set_loss(rct::sim::FaultConfig& faults, double loss) {
  using rct::sim::FaultKind;
  const double third = loss / 3.0;
  const auto set = [&](FaultKind f, double p) {
    faults.probability[static_cast<std::size_t>(f)] = p;
  };
  set(FaultKind::kCorruptCrc, third);
  set(FaultKind::kDrop, third / (1.0 - third));
  set(FaultKind::kTruncate, third / (1.0 - 2.0 * third));
}

LinkFigures measure_link(const rct::Registry& registry, const std::vector<std::uint32_t>& oids,
                         std::chrono::milliseconds service, int cycles, double loss,
                         bool ceiling_only, std::uint64_t seed) {
  asio::io_context sim_io;
  rct::sim::SimulatorOptions sim_options;
  sim_options.port = 0;
  sim_options.service_time = service;
  sim_options.truncation = true;  // a re-send while the device still answers cuts the answer
  sim_options.start_time = rct::bench::kBenchNoon;
  sim_options.seed = seed;
  set_loss(sim_options.faults, loss);
  rct::sim::Simulator sim(sim_io, registry, sim_options);
  sim.start();
  std::thread sim_thread([&] { sim_io.run(); });

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  rct::bench::UnsolicitedLog observer;
  rct::client::ClientOptions options;
  options.host = "127.0.0.1";
  options.port = sim.port();
  options.window = 1;
  options.request_timeout = service * 10;  // 2 s at a real device's 200 ms
  if (ceiling_only) options.request_timeout_floor = options.request_timeout;
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

  LinkFigures f;
  std::vector<Reading> answers;
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
            io, [&] { return *pending == 0; }, std::chrono::minutes(10))) {
      std::fprintf(stderr, "a cycle did not finish within 10 minutes\n");
      std::exit(1);
    }
    f.seconds += std::chrono::duration<double>(Clock::now() - start).count();
    f.requests += oids.size();
  }
  // Late copies still on their way are part of what the client hands up: let them arrive.
  rct::bench::run_until(
      io, [] { return false; }, service * 12);
  f.answered = answers.size();
  for (const Reading& r : answers) {
    ++f.checked;
    if (!rct::bench::sent_intact(registry, sim, r) || !r.solicited) ++f.corrupted;
  }
  for (const Reading& r : observer.unsolicited) {
    ++f.checked;
    if (!rct::bench::sent_intact(registry, sim, r)) ++f.corrupted;
  }
  for (const rct::sim::SentReply& r : sim.sent()) {
    ++f.replies;
    if (r.fault) ++f.damaged;
    if (r.cut_by_request) ++f.cut;
  }
  f.stats = client.stats();

  client.stop();
  sim.post_shutdown().wait_for(std::chrono::seconds(5));
  sim_io.stop();
  sim_thread.join();
  return f;
}

}  // namespace

int run(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "estimate";
  const int cycles = argc > 2 ? static_cast<int>(std::strtol(argv[2], nullptr, 10)) : 3;
  const long service_ms = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 200;
  if ((mode != "estimate" && mode != "ceiling") || cycles <= 0 || service_ms <= 0) {
    std::fprintf(stderr,
                 "usage: bench_link_loss [estimate|ceiling] [cycles > 0] [service_ms > 0]\n");
    return 1;
  }
  const bool ceiling_only = mode == "ceiling";
  const std::chrono::milliseconds service(service_ms);
  const rct::Registry registry;
  const std::vector<std::uint32_t> oids = rct::bench::scalar_poll_list(registry, kLinkOids);
  const double link_rate = 1000.0 / static_cast<double>(service_ms);

  std::printf(
      "link loss: %zu scalar OIDs per cycle, service time %ld ms (%.1f replies/s), window 1, "
      "request timeout %ld ms, floor %s, 2 retries, %d cycles per row\n\n",
      oids.size(), service_ms, link_rate, service_ms * 10,
      ceiling_only ? "= timeout (every wait the ceiling)" : "500 ms (estimated waits)", cycles);
  // The faults are random: "drawn" is the share of replies that really got one, and the limit
  // at that share is what this run's link could give at most.
  std::printf(
      "| loss | drawn | limit answers/s | answers/s | of limit | of limit at drawn | s / cycle | "
      "answered | sent | waits passed (short) | asked again at once | cut by a re-send | failed | "
      "corrupted values |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::size_t corrupted = 0;
  std::uint64_t seed = 1;
  for (double loss : kLossRows) {
    const LinkFigures f = measure_link(registry, oids, service, cycles, loss, ceiling_only, seed++);
    corrupted += f.corrupted;
    const double limit = link_rate * (1.0 - loss);
    const double drawn =
        f.replies > 0 ? static_cast<double>(f.damaged) / static_cast<double>(f.replies) : 0.0;
    const double rate = static_cast<double>(f.answered) / f.seconds;
    std::printf(
        "| %.0f %% | %.1f %% | %.2f | %.2f | %.2f | %.2f | %.1f | %zu / %zu | %llu | %llu (%llu) | "
        "%llu | %zu | %llu | %zu of %zu |\n",
        loss * 100.0, drawn * 100.0, limit, rate, rate / limit, rate / (link_rate * (1.0 - drawn)),
        f.seconds / cycles, f.answered, f.requests, static_cast<unsigned long long>(f.stats.sent),
        static_cast<unsigned long long>(f.stats.timeouts),
        static_cast<unsigned long long>(f.stats.short_timeouts),
        static_cast<unsigned long long>(f.stats.resent), f.cut,
        static_cast<unsigned long long>(f.stats.gave_up), f.corrupted, f.checked);
    std::fflush(stdout);
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
    std::fprintf(stderr, "bench_link_loss: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "bench_link_loss: unknown error\n");
  }
  return 1;
}
