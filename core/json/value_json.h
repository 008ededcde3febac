#pragma once

#include <nlohmann/json.hpp>

#include "core/value.h"

namespace rct {

// JSON view of a decoded value, in the layout of the reference vectors the tests compare
// with (docs/testing.md §3): scalars as JSON scalars, floats widened to double (NaN/Inf → null),
// strings as text, structured types as objects with *_iso timestamps and float bit patterns.
// Raw bytes (UNKNOWN) as a lowercase hex string.
nlohmann::json value_to_json(const Value& value);

// Float widened to double, or null when NaN or infinite.
nlohmann::json float_to_json(float v);
// The 8-hex-digit IEEE-754 single-precision pattern, "3e97b191".
std::string float_bits_hex(float v);

}  // namespace rct
