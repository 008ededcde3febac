#pragma once

// Helpers for the value-codec vector tests (values.tsv, timeseries.tsv, event_table.tsv,
// battery.tsv). Header-only; used by tests that link nlohmann_json.

#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rct::test {

// Lower-case hex from a vector file; throws on malformed input (a broken file, not a test case).
inline std::vector<std::uint8_t> hex_bytes(std::string_view hex) {
  auto nibble = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::runtime_error("bad hex digit in '" + std::string(hex) + "'");
  };
  if (hex.size() % 2 != 0) throw std::runtime_error("odd hex length: '" + std::string(hex) + "'");
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

inline std::string bytes_hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  char buf[3];
  for (std::uint8_t b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

// "2023-11-15T00:00:00+00:00", as Python's datetime.isoformat() for a UTC time.
inline std::string iso8601_utc(std::uint32_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds t{seconds{unix_seconds}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d+00:00",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()));
  return buf;
}

// The IEEE-754 single-precision pattern, 8 lower-case hex digits.
inline std::string float_bits_hex(float v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(std::bit_cast<std::uint32_t>(v)));
  return buf;
}

// The float widened to double, or null for NaN and infinities (as the vector JSON has it).
inline nlohmann::json finite_or_null(float v) {
  if (!std::isfinite(v)) return nullptr;
  return static_cast<double>(v);
}

// Values of a comma-separated `quirk` cell.
inline bool has_quirk(const std::string& cell, std::string_view tag) {
  std::size_t start = 0;
  while (start <= cell.size()) {
    std::size_t comma = cell.find(',', start);
    if (comma == std::string::npos) comma = cell.size();
    if (std::string_view(cell).substr(start, comma - start) == tag) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace rct::test
