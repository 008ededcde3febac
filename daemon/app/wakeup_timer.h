#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <optional>
#include <system_error>
#include <utility>

#include "core/lifetime_guard.h"
#include "daemon/instant.h"

namespace rct::daemon {

// The timer of a shell around a pure machine, armed for the machine's next wake-up: arm() sets
// it only when the instant changed (nullopt cancels it), and `fire` runs once it passed, on the
// timer's loop thread, unless the owner's guard ended first. The owner keeps the timer and the
// guard as members; the guard must outlive nothing but its own member order (declared last).
class WakeupTimer {
 public:
  explicit WakeupTimer(asio::io_context& io) : timer_(io) {}

  template <typename Fire>
  void arm(std::optional<Instant> at, const LifetimeGuard& guard, Fire fire) {
    if (at == at_) return;
    at_ = at;
    if (!at) {
      timer_.cancel();
      return;
    }
    timer_.expires_at(*at);
    timer_.async_wait(guard.bind([this, fire = std::move(fire)](const std::error_code& ec) mutable {
      if (ec) return;
      at_.reset();
      fire();
    }));
  }
  void cancel() {
    timer_.cancel();
    at_.reset();
  }

 private:
  asio::steady_timer timer_;
  std::optional<Instant> at_;  // when the timer is armed for; nullopt: not armed
};

}  // namespace rct::daemon
