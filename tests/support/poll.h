#pragma once

#include <chrono>
#include <optional>
#include <thread>

namespace rct::test {

// Asks `probe` every `pace` until it returns a value or `timeout` passes; returns that value or
// nullopt. For state that only a question shows (an HTTP endpoint, another process's counters):
// the pace is how often to ask, the deadline what to wait for.
template <typename Probe>
auto poll_until(Probe probe, std::chrono::milliseconds timeout,
                std::chrono::milliseconds pace = std::chrono::milliseconds(100))
    -> decltype(probe()) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto found = probe()) return found;
    if (std::chrono::steady_clock::now() >= deadline) return {};
    std::this_thread::sleep_for(pace);
  }
}

// The same for a condition: true once `done()` holds, false when `timeout` passed first.
template <typename Done>
bool poll_until_true(Done done, std::chrono::milliseconds timeout,
                     std::chrono::milliseconds pace = std::chrono::milliseconds(100)) {
  return poll_until(
             [&]() -> std::optional<bool> {
               return done() ? std::optional<bool>(true) : std::nullopt;
             },
             timeout, pace)
      .has_value();
}

}  // namespace rct::test
