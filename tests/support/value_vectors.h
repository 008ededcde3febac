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

#include "core/hex.h"
#include "core/json/iso_time.h"
#include "core/json/value_json.h"
#include "tests/support/bytes.h"

namespace rct::test {

inline std::string bytes_hex(const std::vector<std::uint8_t>& bytes) {
  return rct::to_hex(bytes);
}

// The reference JSON's helpers are the project's own JSON views (core/json).
inline std::string iso8601_utc(std::uint32_t unix_seconds) {
  return rct::iso_time_utc(unix_seconds);
}
inline std::string float_bits_hex(float v) {
  return rct::float_bits_hex(v);
}
inline nlohmann::json finite_or_null(float v) {
  return rct::float_to_json(v);
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
