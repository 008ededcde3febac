#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/hex.h"

namespace rct::test {

// Hex typed into a test or read from a vector file; a malformed literal is a bug in the test.
inline std::vector<std::uint8_t> hex_bytes(std::string_view text) {
  auto bytes = rct::from_hex(text);
  if (!bytes) throw std::invalid_argument("bad hex in test: " + std::string(text));
  return *bytes;
}

// "crc.tsv:17" — names a reference row in a failure message.
inline std::string row_name(std::string_view file, std::size_t line) {
  return std::string(file) + ":" + std::to_string(line);
}

}  // namespace rct::test
