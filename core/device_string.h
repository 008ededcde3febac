#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace rct {

// Text of a STRING payload (docs/protocol.md §8.6): the bytes up to the first NUL (all bytes if
// there is none). Well-formed UTF-8 sequences are kept as they are; every other byte is taken as
// ISO-8859-1 and converted to UTF-8, so the result is always valid UTF-8 without NUL, and decoding
// never fails on content (some registry STRING OIDs carry binary data).
std::string device_string_to_utf8(std::span<const std::uint8_t> payload);

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF) at the start of `bytes`, or 0 when it does not start with one.
std::size_t utf8_sequence_length(std::span<const std::uint8_t> bytes);

}  // namespace rct
