#include "daemon/adapters/watchdog.h"

#include <algorithm>

namespace rct {

Watchdog::Watchdog(asio::io_context& io, Notifier& notifier, Clock::duration interval,
                   Clock::duration deadline)
    : timer_(io), notifier_(notifier), interval_(interval), deadline_(deadline) {}

Watchdog::Clock::duration Watchdog::deadline_for(Clock::duration poll_interval,
                                                 Clock::duration watchdog_timeout) {
  return std::max(3 * poll_interval, watchdog_timeout);
}

void Watchdog::start() {
  if (running_) return;
  running_ = true;
  next_ = Clock::now() + interval_;
  arm();
}

void Watchdog::stop() {
  running_ = false;
  timer_.cancel();
}

bool Watchdog::alive_at(Clock::time_point now) const {
  return last_progress_.has_value() && now - *last_progress_ <= deadline_;
}

bool Watchdog::tick_at(Clock::time_point now) {
  if (!alive_at(now)) {
    ++withheld_;
    return false;
  }
  notifier_.watchdog();
  ++pings_;
  return true;
}

void Watchdog::arm() {
  timer_.expires_at(next_);
  timer_.async_wait(guard_.bind([this](const std::error_code& ec) {
    if (ec || !running_) return;
    const Clock::time_point now = Clock::now();
    tick_at(now);
    // Fixed cadence; after a stall, resume from now instead of firing a burst.
    next_ += interval_;
    if (next_ <= now) next_ = now + interval_;
    arm();
  }));
}

}  // namespace rct
