#include "core/text_parse.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <system_error>

namespace rct {
namespace {

// std::from_chars reports both overflow and underflow of a double as out_of_range. Tell them
// apart by the decimal order of magnitude: position of the first significant digit relative to
// the decimal point, plus the exponent. `s` is a complete decimal number without sign.
bool is_tiny_decimal(std::string_view s) {
  bool seen_point = false;
  bool seen_digit = false;
  long long int_digits = 0;
  long long leading_fraction_zeros = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.') {
      seen_point = true;
    } else if (c >= '0' && c <= '9') {
      if (!seen_point) {
        if (seen_digit || c != '0') {
          seen_digit = true;
          ++int_digits;
        }
      } else if (!seen_digit) {
        if (c == '0') {
          ++leading_fraction_zeros;
        } else {
          seen_digit = true;
        }
      }
    } else {
      break;  // exponent marker
    }
  }
  // Power of ten of the first significant digit (of zero: below every normal number).
  const long long order = int_digits > 0 ? int_digits - 1 : -(leading_fraction_zeros + 1);

  long long exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    constexpr long long kSaturate = 1'000'000'000;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (exponent < kSaturate) exponent = exponent * 10 + (s[i] - '0');
    }
    if (negative) exponent = -exponent;
  }
  return order + exponent < 0;
}

}  // namespace

std::string_view trim_space(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(kSpace);
  return s.substr(first, last - first + 1);
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Result<std::int64_t, TextError> parse_integer(std::string_view text, std::int64_t min,
                                              std::int64_t max) {
  std::string_view s = trim_space(text);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  if (s.empty()) return TextError::kSyntax;

  std::uint64_t magnitude = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (ptr != s.data() + s.size() || ec == std::errc::invalid_argument) return TextError::kSyntax;
  if (ec == std::errc::result_out_of_range) return TextError::kOutOfRange;

  // All supported types are at most 32 bits wide, so [min, max] lies well inside int64.
  constexpr auto kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (magnitude > kLimit) return TextError::kOutOfRange;
  const auto value =
      negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  if (value < min || value > max) return TextError::kOutOfRange;
  return value;
}

Result<float, TextError> parse_float32(std::string_view text) {
  std::string_view s = trim_space(text);
  // from_chars takes a leading '-' but no '+'.
  if (!s.empty() && s.front() == '+') {
    s.remove_prefix(1);
    if (!s.empty() && s.front() == '-') return TextError::kSyntax;
  }
  if (s.empty()) return TextError::kSyntax;

  double d = 0.0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ptr != s.data() + s.size() || ec == std::errc::invalid_argument) return TextError::kSyntax;
  const bool negative = s.front() == '-';
  if (ec == std::errc::result_out_of_range) {
    if (!is_tiny_decimal(negative ? s.substr(1) : s)) return TextError::kOutOfRange;
    return negative ? -0.0f : 0.0f;
  }

  if (std::isnan(d)) {
    return std::copysign(std::numeric_limits<float>::quiet_NaN(), negative ? -1.0f : 1.0f);
  }
  if (std::isinf(d)) return static_cast<float>(d);
  // Doubles from here up round to infinity in float32 (the halfway point above FLT_MAX
  // rounds to even, which is 2^128): 2^128 - 2^103.
  constexpr double kFloatOverflow = 0x1.ffffffp127;
  if (std::fabs(d) >= kFloatOverflow) return TextError::kOutOfRange;
  if (std::fabs(d) > static_cast<double>(std::numeric_limits<float>::max())) {
    return std::copysign(std::numeric_limits<float>::max(), static_cast<float>(d));
  }
  return static_cast<float>(d);
}

Result<bool, TextError> parse_bool(std::string_view text) {
  const std::string_view s = trim_space(text);
  if (s == "1" || iequals_ascii(s, "true")) return true;
  if (s == "0" || iequals_ascii(s, "false")) return false;
  return TextError::kSyntax;
}

std::string loggable(std::string_view text, std::size_t max) {
  std::string out;
  for (const char c : text.substr(0, max)) {
    out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
  }
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace rct
