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
// "0x959930BF" (upper-case digits, as the registry writes OIDs).
std::string format_oid(std::uint32_t oid);
// Accepts "0x959930BF", "0X959930bf", "959930BF"; nullopt otherwise.
std::optional<std::uint32_t> parse_oid(std::string_view text);

}  // namespace rct
