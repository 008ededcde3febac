#include "tools/simulator/calendar.h"

namespace rct::sim {

// Howard Hinnant's civil-calendar algorithms (public-domain formulation of the Gregorian rules).
std::int64_t days_from_civil(const CivilDate& date) {
  const std::int64_t y = date.year - (date.month <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t m = date.month;
  const std::int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + date.day - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(std::int64_t days) {
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return CivilDate{static_cast<int>(y), static_cast<unsigned>(m), static_cast<unsigned>(d)};
}

std::int64_t day_index(std::int64_t device_time) {
  std::int64_t d = device_time / kSecondsPerDay;
  if (device_time % kSecondsPerDay < 0) --d;
  return d;
}

std::int64_t day_start(std::int64_t device_time) {
  return day_index(device_time) * kSecondsPerDay;
}

std::int64_t month_start(std::int64_t device_time) {
  CivilDate date = civil_from_days(day_index(device_time));
  date.day = 1;
  return days_from_civil(date) * kSecondsPerDay;
}

std::int64_t year_start(std::int64_t device_time) {
  CivilDate date = civil_from_days(day_index(device_time));
  return days_from_civil(CivilDate{date.year, 1, 1}) * kSecondsPerDay;
}

std::int64_t previous_month_start(std::int64_t month_start_time) {
  return month_start(month_start_time - kSecondsPerDay);
}

int day_of_year(std::int64_t device_time) {
  const std::int64_t days = day_index(device_time);
  return static_cast<int>(days - year_start(device_time) / kSecondsPerDay);
}

}  // namespace rct::sim
