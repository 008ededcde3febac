#include "core/client/backoff.h"

#include <algorithm>

namespace rct::client {

Backoff::Backoff(BackoffOptions options) : options_(options) {
  options_.jitter = std::clamp(options_.jitter, 0.0, 1.0);
  options_.initial = std::max(options_.initial, Duration::zero());
  options_.max = std::max(options_.max, options_.initial);
  options_.long_outage_max = std::max(options_.long_outage_max, options_.max);
}

Duration Backoff::next_base(Duration down_for) {
  const Duration cap =
      down_for >= options_.long_outage_after ? options_.long_outage_max : options_.max;
  // Double until the cap; the loop stops early, so no overflow however many failures.
  Duration base = options_.initial;
  for (unsigned i = 0; i < failures_ && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  ++failures_;
  return base;
}

Duration Backoff::jittered(Duration base, double unit) const {
  const auto cut =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double, Duration::period>(
          static_cast<double>(base.count()) * options_.jitter * unit));
  return base - std::min(cut, base);
}

}  // namespace rct::client
