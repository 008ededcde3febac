#pragma once

#include <cstdint>
#include <string>

namespace rct {

// "2023-11-14T22:13:20+00:00" for Unix seconds (UTC), as Python's datetime.isoformat() prints a
// UTC time; thread-safe (no C library time functions).
std::string iso_time_utc(std::int64_t unix_seconds);

}  // namespace rct
