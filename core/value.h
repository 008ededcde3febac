#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace rct {

// Decoded values of every data type (docs/protocol.md §8). ENUM and UNKNOWN get wrapper types so
// that the variant alternative tells the data type apart from UINT8 / raw bytes. Equality compares
// floats as floats (NaN != NaN); compare encodings to compare bit patterns.
struct EnumValue {
  std::uint8_t value = 0;
  bool operator==(const EnumValue&) const = default;
};
struct RawBytes {
  std::vector<std::uint8_t> bytes;
  bool operator==(const RawBytes&) const = default;
};

struct TimeSeriesPoint {
  std::uint32_t timestamp = 0;  // Unix seconds as the device counts them (docs/protocol.md §9.4)
  float value = 0.0f;
  bool operator==(const TimeSeriesPoint&) const = default;
};
struct TimeSeries {
  std::uint32_t query_timestamp = 0;    // echo of the request, offset 0 of the payload
  std::vector<TimeSeriesPoint> points;  // payload order, duplicates kept
  bool operator==(const TimeSeries&) const = default;
};

struct EventEntry {
  std::uint32_t type = 0;  // low byte is the event type (docs/protocol.md §10.2)
  std::uint32_t timestamp = 0;
  std::uint32_t element2 = 0;
  std::uint32_t element3 = 0;
  std::uint32_t element4 = 0;
  bool operator==(const EventEntry&) const = default;
};
struct EventTable {
  std::uint32_t query_timestamp = 0;  // offset 0 of the payload, not the last entry's time
  std::vector<EventEntry> entries;    // payload order, duplicates kept
  bool operator==(const EventTable&) const = default;
};

inline constexpr std::size_t kBatteryCells = 24;

struct CellStatus {
  std::int8_t temperature_c = 0;  // °C, signed: a cold garage reads below 0
  std::uint16_t voltage_mv = 0;   // little endian on the wire
  std::uint8_t status = 0;
  bool operator==(const CellStatus&) const = default;
};
struct BatteryModuleStatus {
  std::array<CellStatus, kBatteryCells> cells{};
  bool operator==(const BatteryModuleStatus&) const = default;
};

struct CellExtreme {
  std::uint32_t cell = 0;
  std::uint32_t timestamp = 0;  // 0 = none
  float value = 0.0f;           // V for voltages, °C for temperatures
  bool operator==(const CellExtreme&) const = default;
};
struct BatteryModuleStatistics {
  CellExtreme u_min, u_max, t_min, t_max;
  bool operator==(const BatteryModuleStatistics&) const = default;
};

struct BatteryModuleResistance {
  std::array<std::uint16_t, kBatteryCells> raw{};  // 1/256 mΩ, big endian on the wire
  bool operator==(const BatteryModuleResistance&) const = default;
};

using Value =
    std::variant<bool, std::uint8_t, std::int8_t, std::uint16_t, std::int16_t, std::uint32_t,
                 std::int32_t, EnumValue, float, std::string, TimeSeries, EventTable,
                 BatteryModuleStatus, BatteryModuleStatistics, BatteryModuleResistance, RawBytes>;

}  // namespace rct
