#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "core/client/time_types.h"

namespace rct::client {

// How long requests waited for their matched reply (send of the answered attempt → reply), as
// fixed buckets with counts only: recording is an index search over ten bounds and an add, cheap
// enough for every reply. The bounds suit a LAN device answering in tens of milliseconds whose
// requests give up after seconds (docs/protocol.md §7.4); Prometheus reads them as cumulative
// `le` buckets (docs/metrics.md).
struct LatencyHistogram {
  // Upper bounds in microseconds, inclusive; a reply slower than the last counts in +Inf only.
  static constexpr std::array<std::uint64_t, 10> kBoundsMicros = {
      5'000, 10'000, 25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000};

  // counts[i]: replies in (bound[i-1], bound[i]]; counts.back(): slower than every bound.
  std::array<std::uint64_t, kBoundsMicros.size() + 1> counts{};
  std::uint64_t sum_micros = 0;
  std::uint64_t total = 0;

  void record(Duration latency);
};

}  // namespace rct::client
