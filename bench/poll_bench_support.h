#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/client/client_observer.h"
#include "core/client/reading.h"
#include "core/registry.h"
#include "tools/simulator/simulator.h"

// What the benches that drive core/client against the embedded simulator share: the OIDs they
// read, the check that a value handed up is one the simulator sent intact, and running an
// io_context until a condition holds.
namespace rct::bench {

// 2024-06-21 12:00 device time: PV producing, so the model never goes dark during a run.
inline constexpr std::int64_t kBenchNoon = 19895LL * 86400 + 12LL * 3600;

// `count` scalar OIDs spread evenly over the registry (it is sorted by id).
std::vector<std::uint32_t> scalar_poll_list(const Registry& registry, std::size_t count);

// Whether the simulator sent this value for this OID in an intact frame.
bool sent_intact(const Registry& registry, const sim::Simulator& sim, const client::Reading& r);

// Keeps every reading handed up outside an answer (late copies of answers already given).
struct UnsolicitedLog : client::ClientObserver {
  std::vector<client::Reading> unsolicited;
  void on_unsolicited(const client::Reading& r) override { unsolicited.push_back(r); }
};

// Runs `io` until `done()` or the timeout; false on the timeout.
template <typename Done>
bool run_until(asio::io_context& io, Done done, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace rct::bench
