#include "core/data_type.h"

#include <array>

#include "core/battery_codec.h"
#include "core/logger_codec.h"

namespace rct {
namespace {

constexpr std::array kAllDataTypes = {
    DataType::kUnknown,
    DataType::kBool,
    DataType::kUint8,
    DataType::kInt8,
    DataType::kUint16,
    DataType::kInt16,
    DataType::kUint32,
    DataType::kInt32,
    DataType::kEnum,
    DataType::kFloat,
    DataType::kString,
    DataType::kTimeSeries,
    DataType::kEventTable,
    DataType::kBatteryModuleStatus,
    DataType::kBatteryModuleStatistics,
    DataType::kBatteryModuleResistance,
};

// The largest payload a (long) frame can carry: 2-byte length minus the 4-byte OID.
constexpr std::size_t kMaxLongPayload = 65535 - 4;

}  // namespace

std::string_view data_type_name(DataType t) {
  switch (t) {
    case DataType::kUnknown:
      return "unknown";
    case DataType::kBool:
      return "bool";
    case DataType::kUint8:
      return "uint8";
    case DataType::kInt8:
      return "int8";
    case DataType::kUint16:
      return "uint16";
    case DataType::kInt16:
      return "int16";
    case DataType::kUint32:
      return "uint32";
    case DataType::kInt32:
      return "int32";
    case DataType::kEnum:
      return "enum";
    case DataType::kFloat:
      return "float";
    case DataType::kString:
      return "string";
    case DataType::kTimeSeries:
      return "timeseries";
    case DataType::kEventTable:
      return "event_table";
    case DataType::kBatteryModuleStatus:
      return "battery_module_status";
    case DataType::kBatteryModuleStatistics:
      return "battery_module_statistics";
    case DataType::kBatteryModuleResistance:
      return "battery_module_resistance";
  }
  return "?";
}

std::optional<DataType> data_type_from_name(std::string_view name) {
  for (DataType t : kAllDataTypes) {
    if (data_type_name(t) == name) return t;
  }
  return std::nullopt;
}

bool payload_size_fits(DataType t, std::size_t size) {
  switch (t) {
    case DataType::kUnknown:
      return true;
    case DataType::kBool:
    case DataType::kUint8:
    case DataType::kInt8:
    case DataType::kEnum:
      return size == 1;
    case DataType::kUint16:
    case DataType::kInt16:
      return size == 2;
    case DataType::kUint32:
    case DataType::kInt32:
    case DataType::kFloat:
      return size == 4;
    case DataType::kString:
      return size <= kMaxLongPayload;
    case DataType::kTimeSeries:
      return size >= kLoggerHeaderSize && (size - kLoggerHeaderSize) % kTimeSeriesPointSize == 0;
    case DataType::kEventTable:
      return size >= kLoggerHeaderSize && (size - kLoggerHeaderSize) % kEventEntrySize == 0;
    case DataType::kBatteryModuleStatus:
      return size == kBatteryModuleStatusSize;
    case DataType::kBatteryModuleStatistics:
      return size == kBatteryModuleStatisticsSize;
    case DataType::kBatteryModuleResistance:
      return size == kBatteryModuleResistanceSize;
  }
  return false;
}

}  // namespace rct
