#include "core/value_codec.h"

#include <bit>
#include <limits>
#include <string>
#include <utility>

#include "core/battery_codec.h"
#include "core/byte_order.h"
#include "core/device_string.h"
#include "core/logger_codec.h"
#include "core/text_parse.h"

namespace rct {
namespace {

template <typename T>
Result<Value, ValueError> make(T v) {
  return Value(std::in_place_type<T>, std::move(v));
}

using Bytes = std::vector<std::uint8_t>;

Bytes be16(std::uint16_t v) {
  Bytes out;
  append_be16(out, v);
  return out;
}
Bytes be32(std::uint32_t v) {
  Bytes out;
  append_be32(out, v);
  return out;
}

// `encode` applied to the alternative T of `value`; kWrongType when it holds another one.
template <typename T, typename Encode>
Result<Bytes, ValueError> encode_as(const Value& value, Encode encode) {
  const T* v = std::get_if<T>(&value);
  if (v == nullptr) return ValueError::kWrongType;
  return encode(*v);
}

ValueError to_value_error(TextError e) {
  switch (e) {
    case TextError::kSyntax:
      return ValueError::kSyntax;
    case TextError::kOutOfRange:
      return ValueError::kOutOfRange;
  }
  return ValueError::kSyntax;
}

template <typename T>
Result<Value, ValueError> parse_int_value(std::string_view text) {
  auto r = parse_integer(text, std::numeric_limits<T>::min(), std::numeric_limits<T>::max());
  if (!r) return to_value_error(r.error());
  return make(static_cast<T>(*r));
}

}  // namespace

std::string_view value_error_message(ValueError e) {
  switch (e) {
    case ValueError::kWrongSize:
      return "payload size does not fit the data type";
    case ValueError::kOutOfRange:
      return "value out of range for the data type";
    case ValueError::kWrongType:
      return "value does not belong to the data type";
    case ValueError::kNotEncodable:
      return "data type cannot be encoded";
    case ValueError::kSyntax:
      return "text is not a value of the data type";
  }
  return "?";
}

Result<Value, ValueError> decode_value(DataType type, std::span<const std::uint8_t> payload) {
  if (!payload_size_fits(type, payload.size())) return ValueError::kWrongSize;
  switch (type) {
    case DataType::kUnknown:
      return make(RawBytes{{payload.begin(), payload.end()}});
    case DataType::kBool:
      return make(payload[0] != 0);
    case DataType::kUint8:
      return make(payload[0]);
    case DataType::kInt8:
      return make(static_cast<std::int8_t>(payload[0]));
    case DataType::kUint16:
      return make(load_be16(payload));
    case DataType::kInt16:
      return make(static_cast<std::int16_t>(load_be16(payload)));
    case DataType::kUint32:
      return make(load_be32(payload));
    case DataType::kInt32:
      return make(static_cast<std::int32_t>(load_be32(payload)));
    case DataType::kEnum:
      return make(EnumValue{payload[0]});
    case DataType::kFloat:
      return make(std::bit_cast<float>(load_be32(payload)));
    case DataType::kString:
      return make(device_string_to_utf8(payload));
    case DataType::kTimeSeries:
      return make(decode_timeseries(payload));
    case DataType::kEventTable:
      return make(decode_event_table(payload));
    case DataType::kBatteryModuleStatus:
      return make(decode_battery_module_status(payload));
    case DataType::kBatteryModuleStatistics:
      return make(decode_battery_module_statistics(payload));
    case DataType::kBatteryModuleResistance:
      return make(decode_battery_module_resistance(payload));
  }
  return ValueError::kWrongType;
}

Result<Bytes, ValueError> encode_value(DataType type, const Value& value) {
  switch (type) {
    case DataType::kUnknown:
      return encode_as<RawBytes>(value, [](const RawBytes& v) { return v.bytes; });
    case DataType::kBool:
      return encode_as<bool>(value,
                             [](bool v) { return Bytes{v ? std::uint8_t{1} : std::uint8_t{0}}; });
    case DataType::kUint8:
      return encode_as<std::uint8_t>(value, [](std::uint8_t v) { return Bytes{v}; });
    case DataType::kInt8:
      return encode_as<std::int8_t>(
          value, [](std::int8_t v) { return Bytes{static_cast<std::uint8_t>(v)}; });
    case DataType::kUint16:
      return encode_as<std::uint16_t>(value, be16);
    case DataType::kInt16:
      return encode_as<std::int16_t>(
          value, [](std::int16_t v) { return be16(static_cast<std::uint16_t>(v)); });
    case DataType::kUint32:
      return encode_as<std::uint32_t>(value, be32);
    case DataType::kInt32:
      return encode_as<std::int32_t>(
          value, [](std::int32_t v) { return be32(static_cast<std::uint32_t>(v)); });
    case DataType::kEnum:
      return encode_as<EnumValue>(value, [](EnumValue v) { return Bytes{v.value}; });
    case DataType::kFloat:
      // The bit pattern is kept, NaN payloads included (parse_value yields 7fc00000 for "nan").
      return encode_as<float>(value, [](float v) { return be32(std::bit_cast<std::uint32_t>(v)); });
    case DataType::kString: {
      // UTF-8 bytes as they are, without a terminator, like the reference (docs/protocol.md §8.6).
      const auto* s = std::get_if<std::string>(&value);
      if (s == nullptr) return ValueError::kWrongType;
      // A longer string would not fit a LONG_WRITE frame.
      if (!payload_size_fits(type, s->size())) return ValueError::kOutOfRange;
      return Bytes(s->begin(), s->end());
    }
    case DataType::kTimeSeries:
    case DataType::kEventTable:
      // Response-only: the OIDs take an INT32 query timestamp as their request type
      // (docs/protocol.md §8.10). The simulator builds answers with encode_timeseries /
      // encode_event_table.
      return ValueError::kNotEncodable;
    case DataType::kBatteryModuleStatus:
      return encode_as<BatteryModuleStatus>(value, encode_battery_module_status);
    case DataType::kBatteryModuleStatistics:
      return encode_as<BatteryModuleStatistics>(value, encode_battery_module_statistics);
    case DataType::kBatteryModuleResistance:
      return encode_as<BatteryModuleResistance>(value, encode_battery_module_resistance);
  }
  return ValueError::kWrongType;
}

Result<Value, ValueError> parse_value(DataType type, std::string_view text) {
  switch (type) {
    case DataType::kBool: {
      auto r = parse_bool(text);
      if (!r) return to_value_error(r.error());
      return make(*r);
    }
    case DataType::kUint8:
      return parse_int_value<std::uint8_t>(text);
    case DataType::kInt8:
      return parse_int_value<std::int8_t>(text);
    case DataType::kUint16:
      return parse_int_value<std::uint16_t>(text);
    case DataType::kInt16:
      return parse_int_value<std::int16_t>(text);
    case DataType::kUint32:
      return parse_int_value<std::uint32_t>(text);
    case DataType::kInt32:
      return parse_int_value<std::int32_t>(text);
    case DataType::kEnum: {
      auto r = parse_integer(text, 0, std::numeric_limits<std::uint8_t>::max());
      if (!r) return to_value_error(r.error());
      return make(EnumValue{static_cast<std::uint8_t>(*r)});
    }
    case DataType::kFloat: {
      auto r = parse_float32(text);
      if (!r) return to_value_error(r.error());
      return make(*r);
    }
    case DataType::kString:
      if (!payload_size_fits(type, text.size())) return ValueError::kOutOfRange;
      return make(std::string(text));
    case DataType::kUnknown:
    case DataType::kTimeSeries:
    case DataType::kEventTable:
    case DataType::kBatteryModuleStatus:
    case DataType::kBatteryModuleStatistics:
    case DataType::kBatteryModuleResistance:
      return ValueError::kNotEncodable;
  }
  return ValueError::kWrongType;
}

}  // namespace rct
