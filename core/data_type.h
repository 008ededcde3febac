#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace rct {

// Wire data type of an OID (docs/protocol.md §8.1). A property of the OID, never of the frame.
enum class DataType {
  kUnknown,
  kBool,
  kUint8,
  kInt8,
  kUint16,
  kInt16,
  kUint32,
  kInt32,
  kEnum,
  kFloat,
  kString,
  kTimeSeries,
  kEventTable,
  kBatteryModuleStatus,
  kBatteryModuleStatistics,
  kBatteryModuleResistance,
};

// Lower-case names, as rctclient's --type takes them (docs/rctclient.md): "bool", "uint16",
// "float", "timeseries", "event_table", "battery_module_status", "unknown".
std::string_view data_type_name(DataType t);
std::optional<DataType> data_type_from_name(std::string_view name);

// Payload-size check before decoding (docs/protocol.md §8.11). A reply that fails it is the
// "valid CRC, truncated payload" symptom and must be dropped.
bool payload_size_fits(DataType t, std::size_t size);

// A single number or flag of a fixed size on the wire (bool, the integers, enum, float): what a
// setting can be and what a plain numeric read returns. Strings, time series, event tables and
// battery-module records are not.
constexpr bool is_fixed_size_scalar(DataType t) {
  switch (t) {
    case DataType::kBool:
    case DataType::kUint8:
    case DataType::kInt8:
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kUint32:
    case DataType::kInt32:
    case DataType::kEnum:
    case DataType::kFloat:
      return true;
    case DataType::kUnknown:
    case DataType::kString:
    case DataType::kTimeSeries:
    case DataType::kEventTable:
    case DataType::kBatteryModuleStatus:
    case DataType::kBatteryModuleStatistics:
    case DataType::kBatteryModuleResistance:
      return false;
  }
  return false;
}

// The answer type of a history OID (a time series or an event table): read by a query, a WRITE
// of a timestamp, never by a READ (docs/protocol.md §9–10).
constexpr bool is_history_type(DataType t) {
  return t == DataType::kTimeSeries || t == DataType::kEventTable;
}

}  // namespace rct
