#include "core/client/latency_histogram.h"

#include <algorithm>
#include <chrono>

namespace rct::client {

void LatencyHistogram::record(Duration latency) {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  const auto us = static_cast<std::uint64_t>(std::max<std::int64_t>(0, micros));
  const auto* bound = std::lower_bound(kBoundsMicros.begin(), kBoundsMicros.end(), us);
  ++counts[static_cast<std::size_t>(bound - kBoundsMicros.begin())];
  sum_micros += us;
  ++total;
}

}  // namespace rct::client
