#pragma once

#include <chrono>

namespace rct::daemon {

// Monotonic time as the daemon's pure parts see it. They never read a clock: the caller passes
// `now` (steady_clock in the daemon, a hand-made value in tests), so time is virtual in tests.
using Instant = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// Wall-clock time, only for the timestamp of the JSON aggregate (passed in, never read here).
using WallTime = std::chrono::system_clock::time_point;

}  // namespace rct::daemon
