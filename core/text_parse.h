#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace rct {

// Scalars typed by people (CLI arguments, MQTT payloads). Leading and trailing ASCII whitespace
// is ignored, so "42\n" from a shell or a Node-RED inject node is fine.
enum class TextError {
  kSyntax,      // not a number / bool at all
  kOutOfRange,  // a number, but outside the allowed range
};

// `s` without leading and trailing ASCII whitespace.
std::string_view trim_space(std::string_view s);
// Equal ignoring ASCII case.
bool iequals_ascii(std::string_view a, std::string_view b);

// Text from outside (the network, a command line) made safe to quote in one line of a log or a
// message: control characters become '?', at most `max` bytes are kept (then "...").
std::string loggable(std::string_view text, std::size_t max = 64);

// Optional sign, then decimal digits or "0x" + hex digits. Accepts [min, max].
Result<std::int64_t, TextError> parse_integer(std::string_view text, std::int64_t min,
                                              std::int64_t max);

// Decimal with optional fraction/exponent, "inf"/"infinity"/"nan" (any case, optional sign).
// Rounds to the nearest float32 the way the reference does (text -> double -> float): values
// that would round to infinity are kOutOfRange, tiny values become a signed zero, NaN is the
// quiet NaN 0x7FC00000 (0xFFC00000 with a minus sign).
Result<float, TextError> parse_float32(std::string_view text);

// "true"/"false"/"1"/"0", any case.
Result<bool, TextError> parse_bool(std::string_view text);

}  // namespace rct
