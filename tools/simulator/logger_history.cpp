#include "tools/simulator/logger_history.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "tools/simulator/calendar.h"

namespace rct::sim {
namespace {

using Resolution = LoggerHistory::Resolution;
using Quantity = LoggerHistory::Quantity;

constexpr std::int64_t kMinutesStep = 300;
constexpr std::size_t kMaxCachedDays = 8192;
constexpr std::size_t kMaxRecordedEvents = 256;
constexpr std::int64_t kHalfHour = 1800;

enum HistoryChannel : std::uint64_t {
  kSocMorning = 200,
  kEventDay,
  kEventTime,
  kEventKind,
  kEventLength
};

struct QuantityName {
  std::string_view name;
  Quantity quantity;
};
constexpr QuantityName kQuantities[] = {
    {"ea", Quantity::kPvA},
    {"eb", Quantity::kPvB},
    {"eac", Quantity::kAc},
    {"eac1", Quantity::kAcPhase},
    {"eac2", Quantity::kAcPhase},
    {"eac3", Quantity::kAcPhase},
    {"eext", Quantity::kExternal},
    {"egrid_feed", Quantity::kGridFeed},
    {"egrid_load", Quantity::kGridLoad},
    {"eload", Quantity::kLoad},
    {"ebat", Quantity::kBattery},
    {"soc", Quantity::kSoc},
    {"soc_targ", Quantity::kSocTarget},
    {"temp", Quantity::kHeatSink},
    {"temp2", Quantity::kBatteryConverter},
    {"temp_bat", Quantity::kBatteryTemperature},
    {"ua", Quantity::kStringVoltageA},
    {"ub", Quantity::kStringVoltageB},
    {"ubat", Quantity::kBatteryVoltage},
    {"ul1", Quantity::kGridVoltage1},
    {"ul2", Quantity::kGridVoltage2},
    {"ul3", Quantity::kGridVoltage3},
};

std::int64_t latest_sample(Resolution r, std::int64_t t) {
  switch (r) {
    case Resolution::kMinutes: {
      std::int64_t k = t / kMinutesStep;
      if (t % kMinutesStep < 0) --k;
      return k * kMinutesStep;
    }
    case Resolution::kDay:
      return day_start(t);
    case Resolution::kMonth:
      return month_start(t);
    case Resolution::kYear:
      return year_start(t);
  }
  return t;
}

std::int64_t previous_sample(Resolution r, std::int64_t ts) {
  switch (r) {
    case Resolution::kMinutes:
      return ts - kMinutesStep;
    case Resolution::kDay:
      return ts - kSecondsPerDay;
    case Resolution::kMonth:
      return previous_month_start(ts);
    case Resolution::kYear:
      return year_start(ts - 1);
  }
  return ts;
}

bool is_energy(Quantity q) {
  switch (q) {
    case Quantity::kPvA:
    case Quantity::kPvB:
    case Quantity::kAc:
    case Quantity::kAcPhase:
    case Quantity::kExternal:
    case Quantity::kGridFeed:
    case Quantity::kGridLoad:
    case Quantity::kLoad:
    case Quantity::kBattery:
      return true;
    case Quantity::kSoc:
    case Quantity::kSocTarget:
    case Quantity::kHeatSink:
    case Quantity::kBatteryConverter:
    case Quantity::kBatteryTemperature:
    case Quantity::kStringVoltageA:
    case Quantity::kStringVoltageB:
    case Quantity::kBatteryVoltage:
    case Quantity::kGridVoltage1:
    case Quantity::kGridVoltage2:
    case Quantity::kGridVoltage3:
      return false;
  }
  return false;
}

std::uint32_t float_bits(float v) {
  return std::bit_cast<std::uint32_t>(v);
}

}  // namespace

LoggerHistory::LoggerHistory(std::uint64_t seed, std::size_t page_size)
    : seed_(seed), page_size_(std::max<std::size_t>(1, page_size)) {}

std::optional<LoggerHistory::Series> LoggerHistory::series_for(std::string_view name) {
  constexpr std::string_view kPrefix = "logger.";
  constexpr std::string_view kSuffix = "_log_ts";
  if (name.size() <= kPrefix.size() + kSuffix.size() || !name.starts_with(kPrefix) ||
      !name.ends_with(kSuffix)) {
    return std::nullopt;
  }
  std::string_view middle =
      name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  const std::size_t sep = middle.find('_');
  const std::string_view res = middle.substr(0, sep);
  const std::string_view qty = sep == std::string_view::npos ? "" : middle.substr(sep + 1);
  Series s{Resolution::kMinutes, Quantity::kAc};
  if (res == "minutes") {
    s.resolution = Resolution::kMinutes;
  } else if (res == "day") {
    s.resolution = Resolution::kDay;
  } else if (res == "month") {
    s.resolution = Resolution::kMonth;
  } else if (res == "year") {
    s.resolution = Resolution::kYear;
  } else {
    return std::nullopt;
  }
  if (qty.empty()) return s;  // logger.year_log_ts: taken as the AC energy
  for (const QuantityName& q : kQuantities) {
    if (q.name == qty) {
      s.quantity = q.quantity;
      return s;
    }
  }
  return std::nullopt;
}

double LoggerHistory::soc_history(const HouseModel& model, std::int64_t t) const {
  // Morning low m(d) after the night, afternoon high p(d) after a sunny (or dull) day; charge
  // from 9 to 15 h, hold until 18 h, discharge through the night into the next morning.
  auto low = [&](std::int64_t d) {
    return 0.10 + 0.15 * hash01(seed_, kSocMorning, static_cast<std::uint64_t>(d));
  };
  auto high = [&](std::int64_t d) { return std::min(0.97, low(d) + 0.9 * model.clearness(d)); };
  const std::int64_t d = day_index(t);
  const double h = static_cast<double>(t - d * kSecondsPerDay) / 3600.0;
  if (h < 9) return high(d - 1) + (low(d) - high(d - 1)) * (h + 6) / 15;
  if (h < 15) {
    const double x = (h - 9) / 6;
    return low(d) + (high(d) - low(d)) * x * x * (3 - 2 * x);
  }
  if (h < 18) return high(d);
  return high(d) + (low(d + 1) - high(d)) * (h - 18) / 15;
}

LoggerHistory::Instant LoggerHistory::instant(const HouseModel& model, std::int64_t t) const {
  Instant i{};
  i.pv_a = model.pv_power(0, t);
  i.pv_b = model.pv_power(1, t);
  i.load = model.load_power(t);
  i.soc = soc_history(model, t);
  const double dsoc = soc_history(model, t + 150) - soc_history(model, t - 150);
  i.battery = -dsoc * HouseModel::kBatteryCapacityWh * 3600 / 300;  // positive = discharge
  return i;
}

double LoggerHistory::instant_value(const HouseModel& model, Quantity q, std::int64_t t) const {
  const Instant i = instant(model, t);
  const double ac = (i.pv_a + i.pv_b) * HouseModel::kPvEfficiency + i.battery;
  const double grid = i.load - ac;
  switch (q) {
    case Quantity::kPvA:
      return i.pv_a;
    case Quantity::kPvB:
      return i.pv_b;
    case Quantity::kAc:
      return ac;
    case Quantity::kAcPhase:
      return ac / 3;
    case Quantity::kExternal:
      return 0;
    case Quantity::kGridFeed:
      return std::max(-grid, 0.0);
    case Quantity::kGridLoad:
      return std::max(grid, 0.0);
    case Quantity::kLoad:
      return i.load;
    case Quantity::kBattery:
      return i.battery;
    case Quantity::kSoc:
      return i.soc;
    case Quantity::kSocTarget:
      return 0.97;
    case Quantity::kHeatSink:
      return model.ambient_temperature(t) + 8 + 25 * std::abs(ac) / HouseModel::kInverterMaxPower;
    case Quantity::kBatteryConverter:
      return model.ambient_temperature(t) + 6 +
             20 * std::abs(i.battery) / HouseModel::kBatteryMaxPower;
    case Quantity::kBatteryTemperature:
      return 21 + 4 * std::abs(i.battery) / HouseModel::kBatteryMaxPower;
    case Quantity::kStringVoltageA:
      return i.pv_a > 0 ? 330 + 120 * std::pow(std::min(1.0, i.pv_a / 1500), 0.25) : 0;
    case Quantity::kStringVoltageB:
      return i.pv_b > 0 ? 320 + 115 * std::pow(std::min(1.0, i.pv_b / 1000), 0.25) : 0;
    case Quantity::kBatteryVoltage:
      return (3.05 + 0.33 * i.soc) * HouseModel::kCellsInSeries;
    case Quantity::kGridVoltage1:
      return model.grid_voltage(0, t);
    case Quantity::kGridVoltage2:
      return model.grid_voltage(1, t);
    case Quantity::kGridVoltage3:
      return model.grid_voltage(2, t);
  }
  return 0;
}

const LoggerHistory::DayEnergy& LoggerHistory::day_energy(const HouseModel& model,
                                                          std::int64_t day) {
  if (auto it = day_cache_.find(day); it != day_cache_.end()) return it->second;
  if (day_cache_.size() >= kMaxCachedDays) day_cache_.clear();
  DayEnergy e;
  // Half-hour midpoints: coarse, but every day is computed the same way.
  for (std::int64_t t = day * kSecondsPerDay + kHalfHour / 2; t < (day + 1) * kSecondsPerDay;
       t += kHalfHour) {
    const Instant i = instant(model, t);
    const double ac = (i.pv_a + i.pv_b) * HouseModel::kPvEfficiency + i.battery;
    const double grid = i.load - ac;
    e.pv_a += i.pv_a * 0.5;
    e.pv_b += i.pv_b * 0.5;
    e.ac += std::max(ac, 0.0) * 0.5;
    e.load += i.load * 0.5;
    e.grid_feed += std::max(-grid, 0.0) * 0.5;
    e.grid_load += std::max(grid, 0.0) * 0.5;
    e.battery += i.battery * 0.5;
  }
  return day_cache_.emplace(day, e).first->second;
}

double LoggerHistory::period_energy(const HouseModel& model, Quantity q, std::int64_t from,
                                    std::int64_t to) {
  double sum = 0;
  const std::int64_t first = std::max(day_index(from), day_index(install_time()));
  for (std::int64_t d = first; d < day_index(to); ++d) {
    const DayEnergy& e = day_energy(model, d);
    switch (q) {
      case Quantity::kPvA:
        sum += e.pv_a;
        break;
      case Quantity::kPvB:
        sum += e.pv_b;
        break;
      case Quantity::kAc:
        sum += e.ac;
        break;
      case Quantity::kAcPhase:
        sum += e.ac / 3;
        break;
      case Quantity::kGridFeed:
        sum += e.grid_feed;
        break;
      case Quantity::kGridLoad:
        sum += e.grid_load;
        break;
      case Quantity::kLoad:
        sum += e.load;
        break;
      case Quantity::kBattery:
        sum += e.battery;
        break;
      case Quantity::kExternal:  // no external generator
      case Quantity::kSoc:       // the rest are not energies; is_energy() keeps them out
      case Quantity::kSocTarget:
      case Quantity::kHeatSink:
      case Quantity::kBatteryConverter:
      case Quantity::kBatteryTemperature:
      case Quantity::kStringVoltageA:
      case Quantity::kStringVoltageB:
      case Quantity::kBatteryVoltage:
      case Quantity::kGridVoltage1:
      case Quantity::kGridVoltage2:
      case Quantity::kGridVoltage3:
        break;
    }
  }
  return sum;
}

TimeSeries LoggerHistory::query_series(const HouseModel& model, Series series, std::uint32_t t,
                                       std::int64_t now) {
  TimeSeries out;
  out.query_timestamp = t;
  const std::int64_t limit = std::min<std::int64_t>(t, now);
  std::int64_t history_start = install_time();
  if (series.resolution == Resolution::kMinutes) {
    history_start = std::max(history_start, now - kMinutesRetention);
  }
  std::vector<TimeSeriesPoint> newest_first;
  for (std::int64_t ts = latest_sample(series.resolution, limit);
       ts > history_start && newest_first.size() < page_size_;
       ts = previous_sample(series.resolution, ts)) {
    double v = 0;
    if (series.resolution == Resolution::kMinutes || !is_energy(series.quantity)) {
      v = instant_value(model, series.quantity, ts);
    } else {
      v = period_energy(model, series.quantity, previous_sample(series.resolution, ts), ts);
    }
    newest_first.push_back({static_cast<std::uint32_t>(ts), static_cast<float>(v)});
  }
  if (series.resolution == Resolution::kYear && newest_first.size() < page_size_ &&
      kEndOfHistory <= limit) {
    newest_first.push_back({kEndOfHistory, 0.0f});
  }
  out.points.assign(newest_first.rbegin(), newest_first.rend());
  return out;
}

EventTable LoggerHistory::query_events(std::uint32_t t, std::int64_t now) const {
  EventTable out;
  out.query_timestamp = t;
  const std::int64_t limit = std::min<std::int64_t>(t, now);
  std::vector<EventEntry> found;
  // At most one synthesised event per day, on about a quarter of the days.
  for (std::int64_t d = day_index(limit);
       d >= day_index(install_time()) && found.size() < page_size_; --d) {
    const auto key = static_cast<std::uint64_t>(d);
    if (hash01(seed_, kEventDay, key) >= 0.25) continue;
    const std::int64_t ts =
        d * kSecondsPerDay + static_cast<std::int64_t>(hash01(seed_, kEventTime, key) * 86400);
    if (ts > limit) continue;
    const auto start = static_cast<std::uint32_t>(ts);
    const auto end = static_cast<std::uint32_t>(
        ts + 30 + static_cast<std::int64_t>(hash01(seed_, kEventLength, key) * 870));
    const double kind = hash01(seed_, kEventKind, key);
    EventEntry e;
    e.timestamp = start;
    e.element2 = end;
    if (kind < 0.35) {
      e.type = 0x5A;  // NO_GRID, case 3
      e.element3 = 3;
    } else if (kind < 0.55) {
      e.type = 0x4F;  // SW_ON_UMIN_L1 with the voltage
      e.element3 = float_bits(184.2f);
    } else if (kind < 0.75) {
      e.type = 0x76;  // RESET
    } else if (kind < 0.9) {
      e.type = 0x6B;  // CAN_TIMEOUT
    } else {
      e.type = 0x59;  // SURGE
    }
    found.push_back(e);
  }
  for (const EventEntry& e : recorded_) {
    if (e.timestamp <= limit) found.push_back(e);
  }
  std::stable_sort(found.begin(), found.end(), [](const EventEntry& a, const EventEntry& b) {
    return a.timestamp > b.timestamp;
  });
  if (found.size() > page_size_) found.resize(page_size_);
  out.entries.assign(found.rbegin(), found.rend());
  return out;
}

void LoggerHistory::record_parameter_change(std::int64_t when, std::uint32_t oid,
                                            std::uint32_t old_raw, std::uint32_t new_raw) {
  record_event(EventEntry{0x73, static_cast<std::uint32_t>(when), oid, old_raw, new_raw});
}

void LoggerHistory::record_event(const EventEntry& entry) {
  if (recorded_.size() >= kMaxRecordedEvents) recorded_.pop_front();
  recorded_.push_back(entry);
}

}  // namespace rct::sim
