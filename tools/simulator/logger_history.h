#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "core/value.h"
#include "tools/simulator/house_model.h"

namespace rct::sim {

// The device's data logger (docs/protocol.md §9, §10): time series and the event table, synthesised
// from the model's stateless curves, answered in pages that walk backwards in time.
//
// A sample stands for the period that ends at its timestamp: minutes samples every 300 s (the
// power at that moment), day / month / year samples at midnight / the 1st / 1 January (the
// energy of the period just ended, Wh). Only completed periods exist, so every sample is at or
// before `now`. A page holds the up to `page_size` newest samples at or before T, oldest
// first; the next page is asked for with the oldest timestamp and repeats it
// (docs/protocol.md §9.2). Year series end with the device's end-of-history sample at 2000-01-02
// 00:59:59.
class LoggerHistory {
 public:
  enum class Resolution { kMinutes, kDay, kMonth, kYear };
  enum class Quantity {
    kPvA,
    kPvB,
    kAc,
    kAcPhase,
    kExternal,
    kGridFeed,
    kGridLoad,
    kLoad,
    kBattery,
    kSoc,
    kSocTarget,
    kHeatSink,
    kBatteryConverter,
    kBatteryTemperature,
    kStringVoltageA,
    kStringVoltageB,
    kBatteryVoltage,
    kGridVoltage1,
    kGridVoltage2,
    kGridVoltage3,
  };
  struct Series {
    Resolution resolution;
    Quantity quantity;
  };
  static constexpr std::uint32_t kEndOfHistory = 946774799;  // 2000-01-02 00:59:59
  static constexpr std::int64_t kMinutesRetention = std::int64_t{90} * 86400;

  LoggerHistory(std::uint64_t seed, std::size_t page_size);

  // The series behind a logger OID name ("logger.minutes_soc_log_ts"), nullopt for others.
  static std::optional<Series> series_for(std::string_view name);

  TimeSeries query_series(const HouseModel& model, Series series, std::uint32_t t,
                          std::int64_t now);
  EventTable query_events(std::uint32_t t, std::int64_t now) const;

  // A parameter change (type 0x73) as the device logs it when a value is written.
  void record_parameter_change(std::int64_t when, std::uint32_t oid, std::uint32_t old_raw,
                               std::uint32_t new_raw);

  // Any entry the device logs (a fault that ended, tools/simulator/device_faults.h).
  void record_event(const EventEntry& entry);

  std::size_t page_size() const { return page_size_; }

 private:
  struct DayEnergy {
    double pv_a = 0, pv_b = 0, ac = 0, grid_feed = 0, grid_load = 0, load = 0;
    double battery = 0;  // net, positive = discharged
  };
  struct Instant {
    double pv_a, pv_b, load, battery, soc;
  };

  Instant instant(const HouseModel& model, std::int64_t t) const;
  double soc_history(const HouseModel& model, std::int64_t t) const;
  double instant_value(const HouseModel& model, Quantity q, std::int64_t t) const;
  const DayEnergy& day_energy(const HouseModel& model, std::int64_t day);
  double period_energy(const HouseModel& model, Quantity q, std::int64_t from, std::int64_t to);

  std::uint64_t seed_;
  std::size_t page_size_;
  std::unordered_map<std::int64_t, DayEnergy> day_cache_;  // bounded: cleared when large
  std::deque<EventEntry> recorded_;                        // newest last, bounded
};

}  // namespace rct::sim
