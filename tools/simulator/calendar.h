#pragma once

#include <cstdint>

namespace rct::sim {

// Device time: seconds since 1970 of the device's local wall clock, encoded as if it were UTC
// (docs/protocol.md §9.4). Every day has 86400 s; calendar boundaries are computed on that scale.
inline constexpr std::int64_t kSecondsPerDay = 86400;

struct CivilDate {
  int year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back.
std::int64_t days_from_civil(const CivilDate& date);
CivilDate civil_from_days(std::int64_t days);

std::int64_t day_index(std::int64_t device_time);    // floor(t / 86400)
std::int64_t day_start(std::int64_t device_time);    // midnight of t's day
std::int64_t month_start(std::int64_t device_time);  // 1st of t's month, midnight
std::int64_t year_start(std::int64_t device_time);   // 1 January of t's year, midnight
std::int64_t previous_month_start(std::int64_t month_start_time);
int day_of_year(std::int64_t device_time);  // 0-based

}  // namespace rct::sim
