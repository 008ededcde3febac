#pragma once

#include <chrono>
#include <random>

#include "core/client/time_types.h"

namespace rct::client {

struct BackoffOptions {
  Duration initial = std::chrono::seconds(1);
  Duration max = std::chrono::seconds(60);
  // When the inverter has been unreachable for long (no battery: it is off at night,
  // docs/protocol.md §17.9), retries slow down further, up to this cap.
  Duration long_outage_max = std::chrono::seconds(300);
  Duration long_outage_after = std::chrono::minutes(10);
  // Each delay is drawn uniformly from [(1 − jitter) × base, base], so clients that lost the
  // link together do not come back in lock step. 0 disables jitter.
  double jitter = 0.2;

  friend bool operator==(const BackoffOptions&, const BackoffOptions&) = default;
};

// Capped exponential backoff with jitter for reconnect attempts: base = initial × 2^failures,
// capped at max (long_outage_max once the link has been down for long_outage_after). Pure: the
// random generator and the outage duration are passed in.
class Backoff {
 public:
  explicit Backoff(BackoffOptions options);

  // The delay before the next attempt; counts one more failure. Any standard engine will do:
  // the client keeps a small one per inverter.
  template <std::uniform_random_bit_generator Rng>
  Duration next(Duration down_for, Rng& rng) {
    const Duration base = next_base(down_for);
    if (options_.jitter <= 0.0) return base;
    return jittered(base, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
  }
  // The link proved healthy: start again from `initial`.
  void reset() { failures_ = 0; }
  unsigned failures() const { return failures_; }

 private:
  Duration next_base(Duration down_for);
  // `unit` in [0, 1): how far into the jitter range the delay falls.
  Duration jittered(Duration base, double unit) const;

  BackoffOptions options_;
  unsigned failures_ = 0;
};

}  // namespace rct::client
