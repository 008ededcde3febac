#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>

#include "core/lifetime_guard.h"
#include "daemon/adapters/systemd_notifier.h"

namespace rct {

// The systemd watchdog, driven from the loop it vouches for. A steady_timer fires every
// `interval` on the loop thread and sends WATCHDOG=1 only if progress() was called within
// `deadline`. The daemon calls progress() when a poll cycle completes or fails in a handled way
// and on every MQTT service tick, so an unreachable inverter or broker never withholds a ping,
// while a stuck loop (or one that stopped doing its work) does. Nothing is sent before the first
// progress().
class Watchdog {
 public:
  using Clock = std::chrono::steady_clock;

  // `notifier` is not owned and must outlive the watchdog.
  Watchdog(asio::io_context& io, Notifier& notifier, Clock::duration interval,
           Clock::duration deadline);
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // max(3 × poll interval, WATCHDOG_USEC): a single slow or failed cycle is not a hang.
  static Clock::duration deadline_for(Clock::duration poll_interval,
                                      Clock::duration watchdog_timeout);

  void start();
  void stop();
  void progress() { progress_at(Clock::now()); }

  // The decision on explicit time points, so that tests can run it on virtual time.
  void progress_at(Clock::time_point now) { last_progress_ = now; }
  bool alive_at(Clock::time_point now) const;
  // One timer expiry: pings when alive_at(now); returns whether it did.
  bool tick_at(Clock::time_point now);

  std::uint64_t pings() const { return pings_; }
  std::uint64_t withheld() const { return withheld_; }

 private:
  void arm();

  asio::steady_timer timer_;
  Notifier& notifier_;
  Clock::duration interval_;
  Clock::duration deadline_;
  Clock::time_point next_;
  std::optional<Clock::time_point> last_progress_;
  bool running_ = false;
  std::uint64_t pings_ = 0;
  std::uint64_t withheld_ = 0;
  LifetimeGuard guard_;  // a wake-up already queued when the watchdog goes finds it gone
};

}  // namespace rct
