#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rct {

std::string to_hex(std::span<const std::uint8_t> bytes);  // lowercase, no separators
// Accepts upper/lower case and ignores ASCII whitespace and ':' separators; nullopt on odd
// digit count or a non-hex character.
std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text);

// from_hex in pieces (a capture read from a pipe): the same characters are accepted, and a
// digit pair may be split between two pieces.
class HexParser {
 public:
  // Appends the bytes of `text` to `out`; false (now and for every later piece) at a character
  // that is neither a hex digit nor a separator.
  bool feed(std::string_view text, std::vector<std::uint8_t>& out);
  // No bad character and no digit left over: the whole text was hex.
  bool complete() const { return !failed_ && high_ < 0; }

 private:
  int high_ = -1;  // pending high nibble
  bool failed_ = false;
};
// "0x959930BF" (upper-case digits, as the registry writes OIDs).
std::string format_oid(std::uint32_t oid);
// Accepts "0x959930BF", "0X959930bf", "959930BF"; nullopt otherwise.
std::optional<std::uint32_t> parse_oid(std::string_view text);

}  // namespace rct
