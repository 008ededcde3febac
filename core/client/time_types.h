#pragma once

#include <chrono>

namespace rct::client {

// The client's notion of time. The pure parts (tracker, backoff, pager) take `now` as a
// parameter of this type and never read a clock, so tests drive them with virtual time.
using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

}  // namespace rct::client
