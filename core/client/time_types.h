#pragma once

#include <chrono>

namespace rct::client {

// The client's notion of time. The pure parts (tracker, backoff, pager) take `now` as a
// parameter of this type and never read a clock, so tests drive them with virtual time.
using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// The clock the I/O parts (Client, VerifiedWriter) read.
inline TimePoint steady_now() {
  return std::chrono::steady_clock::now();
}

}  // namespace rct::client
