#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace rct::test {

// Runs `io` on the calling thread until `done()` holds or `timeout` passes; returns done(). The
// caller keeps a work guard on `io` so that an idle loop waits instead of returning at once.
inline bool run_until(asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    io.run_for(std::chrono::milliseconds(10));
    if (io.stopped()) io.restart();
  }
  return true;
}

// Runs `io` for `duration` (to observe that something does NOT happen).
inline void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  run_until(
      io, [] { return false; }, duration);
}

}  // namespace rct::test
