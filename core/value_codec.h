#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/data_type.h"
#include "core/result.h"
#include "core/value.h"

namespace rct {

enum class ValueError {
  kWrongSize,     // payload size does not fit the type (checked before decoding)
  kOutOfRange,    // value does not fit the type (encode)
  kWrongType,     // the Value alternative does not belong to the data type (encode)
  kNotEncodable,  // response-only types cannot be encoded by encode_value
  kSyntax,        // text could not be parsed (parse_value)
};
std::string_view value_error_message(ValueError e);

// Decode a payload with the OID's response type. Validates the size first (docs/protocol.md §8.11).
// STRING never fails on content: bytes up to the first NUL; valid UTF-8 is kept, any other
// byte is taken as ISO-8859-1 and converted to UTF-8.
Result<Value, ValueError> decode_value(DataType type, std::span<const std::uint8_t> payload);

// Encode a value with the OID's request type (big endian; battery types as on the wire).
// The alternative must match the type (ENUM takes EnumValue, UNKNOWN RawBytes), else kWrongType.
// Unsigned types cover their full range. FLOAT keeps the bit pattern. STRING writes the bytes
// without a terminator (kOutOfRange beyond what a long frame carries). TIMESERIES and
// EVENT_TABLE are response-only (kNotEncodable): see encode_timeseries / encode_event_table.
Result<std::vector<std::uint8_t>, ValueError> encode_value(DataType type, const Value& value);

// Parse command-line / MQTT text into a Value of `type`: integers in decimal or 0x-hex (full
// unsigned range, negatives rejected for unsigned types), floats as decimal/"inf"/"nan" rounded
// to float32 (kOutOfRange when that would overflow), bools as true/false/1/0, strings as-is.
// Surrounding whitespace is ignored except for strings. kSyntax for text that is no value,
// kOutOfRange for a value that does not fit. Structured types are not parsed here
// (kNotEncodable).
Result<Value, ValueError> parse_value(DataType type, std::string_view text);

// Type-specific factories used by time-series / event-table query code and tests.
std::vector<std::uint8_t> encode_timeseries(const TimeSeries& ts);
std::vector<std::uint8_t> encode_event_table(const EventTable& table);

}  // namespace rct
