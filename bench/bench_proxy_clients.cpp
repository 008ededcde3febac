// The load of the proxy benchmark (bench/bench_proxy.py): N core Clients on one asio loop, each
// connected to rct2mqtt's local RCT proxy (docs/proxy.md) and reading the given values in turn,
// one READ at a time, in a loop for the given seconds. Client options are the defaults a tool
// would use (request_timeout 2 s, floor 500 ms, 2 retries, window 1). Prints one JSON object:
// per client the answers, the reads that failed (by ClientError name) and the mean time to an
// answer in ms; the seconds measured.
//
// usage: bench_proxy_clients HOST PORT CLIENTS SECONDS NAME...
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/client/client.h"
#include "core/registry.h"

namespace {

using ProxyBenchClock = std::chrono::steady_clock;

struct ProxyBenchClientFigures {
  std::uint64_t answers = 0;
  std::map<std::string, std::uint64_t> failed;  // by client_error_name
  double answer_ms_sum = 0.0;                   // time from read() to its answer, answers only
};

// One client and its loop over the names. After a failed read it waits 100 ms before the next,
// so a refused connection (kNotConnected at once) does not spin the loop.
class ProxyBenchReader {
 public:
  ProxyBenchReader(asio::io_context& io, const rct::Registry& registry,
                   rct::client::ClientOptions options, rct::client::ClientObserver& observer,
                   const std::vector<std::uint32_t>& oids, const ProxyBenchClock::time_point& end)
      : client_(io, registry, std::move(options), observer), pause_(io), oids_(oids), end_(end) {}

  void start() {
    client_.start();
    read_next();
  }
  void stop() {
    pause_.cancel();
    client_.stop();
  }
  bool idle() const { return idle_; }
  const ProxyBenchClientFigures& figures() const { return figures_; }

 private:
  void read_next() {
    if (ProxyBenchClock::now() >= end_) {
      idle_ = true;
      return;
    }
    const std::uint32_t oid = oids_[next_++ % oids_.size()];
    const auto asked = ProxyBenchClock::now();
    client_.read(
        oid, [this, asked](const rct::Result<rct::client::Reading, rct::client::ClientError>& r) {
          if (r.ok()) {
            ++figures_.answers;
            figures_.answer_ms_sum +=
                std::chrono::duration<double, std::milli>(ProxyBenchClock::now() - asked).count();
            read_next();
            return;
          }
          if (r.error() == rct::client::ClientError::kCancelled) {
            idle_ = true;
            return;
          }
          ++figures_.failed[std::string(rct::client::client_error_name(r.error()))];
          pause_.expires_after(std::chrono::milliseconds(100));
          pause_.async_wait([this](const asio::error_code& ec) {
            if (ec) {
              idle_ = true;
              return;
            }
            read_next();
          });
        });
  }

  rct::client::Client client_;
  asio::steady_timer pause_;
  const std::vector<std::uint32_t>& oids_;
  const ProxyBenchClock::time_point& end_;
  std::size_t next_ = 0;
  bool idle_ = false;
  ProxyBenchClientFigures figures_;
};

int run_proxy_bench_clients(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: %s HOST PORT CLIENTS SECONDS NAME...\n", argv[0]);
    return 2;
  }
  const rct::Registry registry;
  std::vector<std::uint32_t> oids;
  for (int i = 5; i < argc; ++i) {
    const rct::OidInfo* info = registry.find(std::string(argv[i]));
    if (info == nullptr) {
      std::fprintf(stderr, "unknown value name: %s\n", argv[i]);
      return 2;
    }
    oids.push_back(info->id);
  }
  rct::client::ClientOptions options;
  options.host = argv[1];
  options.port = static_cast<std::uint16_t>(std::strtoul(argv[2], nullptr, 10));
  const auto clients = static_cast<std::size_t>(std::strtoul(argv[3], nullptr, 10));
  const double seconds = std::strtod(argv[4], nullptr);

  asio::io_context io;
  rct::client::ClientObserver observer;
  const auto begin = ProxyBenchClock::now();
  const ProxyBenchClock::time_point end =
      begin +
      std::chrono::duration_cast<ProxyBenchClock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::unique_ptr<ProxyBenchReader>> readers;
  for (std::size_t c = 0; c < clients; ++c) {
    readers.push_back(
        std::make_unique<ProxyBenchReader>(io, registry, options, observer, oids, end));
    readers.back()->start();
  }
  // Until the end, then until every client's last read came back (at most one request time-out
  // with its retries later).
  io.run_until(end);
  const auto drain_deadline = ProxyBenchClock::now() + std::chrono::seconds(8);
  auto all_idle = [&] {
    for (const auto& r : readers) {
      if (!r->idle()) return false;
    }
    return true;
  };
  while (!all_idle() && ProxyBenchClock::now() < drain_deadline) {
    io.run_for(std::chrono::milliseconds(10));
  }
  const double measured = std::chrono::duration<double>(ProxyBenchClock::now() - begin).count();
  for (auto& r : readers) r->stop();
  io.run_for(std::chrono::milliseconds(100));

  nlohmann::json out;
  out["seconds"] = seconds;
  out["measured_seconds"] = measured;
  out["clients"] = nlohmann::json::array();
  for (const auto& r : readers) {
    const ProxyBenchClientFigures& f = r->figures();
    nlohmann::json c;
    c["answers"] = f.answers;
    c["failed"] = f.failed;
    c["mean_answer_ms"] = f.answers ? f.answer_ms_sum / static_cast<double>(f.answers) : 0.0;
    out["clients"].push_back(c);
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Nothing may escape main (std::terminate would hide what went wrong).
  try {
    return run_proxy_bench_clients(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_proxy_clients: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "bench_proxy_clients: unknown exception\n");
  }
  return 1;
}
