#include "core/device_string.h"

#include <algorithm>

namespace rct {
namespace {

bool in_range(std::uint8_t b, std::uint8_t lo, std::uint8_t hi) {
  return b >= lo && b <= hi;
}

}  // namespace

std::size_t utf8_sequence_length(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return 0;
  const std::uint8_t b0 = bytes[0];
  if (b0 < 0x80) return 1;

  // Allowed range of the second byte per lead byte (RFC 3629 §4); later bytes are 80..BF.
  std::size_t length = 0;
  std::uint8_t lo = 0x80;
  std::uint8_t hi = 0xBF;
  if (in_range(b0, 0xC2, 0xDF)) {
    length = 2;
  } else if (b0 == 0xE0) {
    length = 3;
    lo = 0xA0;
  } else if (in_range(b0, 0xE1, 0xEC) || in_range(b0, 0xEE, 0xEF)) {
    length = 3;
  } else if (b0 == 0xED) {
    length = 3;
    hi = 0x9F;
  } else if (b0 == 0xF0) {
    length = 4;
    lo = 0x90;
  } else if (in_range(b0, 0xF1, 0xF3)) {
    length = 4;
  } else if (b0 == 0xF4) {
    length = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if (bytes.size() < length || !in_range(bytes[1], lo, hi)) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (!in_range(bytes[i], 0x80, 0xBF)) return 0;
  }
  return length;
}

std::string device_string_to_utf8(std::span<const std::uint8_t> payload) {
  const auto nul = std::find(payload.begin(), payload.end(), std::uint8_t{0});
  const auto text = payload.first(static_cast<std::size_t>(nul - payload.begin()));

  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t n = utf8_sequence_length(text.subspan(i));
    if (n > 0) {
      out.append(reinterpret_cast<const char*>(text.data() + i), n);
      i += n;
      continue;
    }
    // ISO-8859-1 byte 0x80..0xFF is U+0080..U+00FF: two UTF-8 bytes.
    const std::uint8_t b = text[i];
    out.push_back(static_cast<char>(0xC0 | (b >> 6)));
    out.push_back(static_cast<char>(0x80 | (b & 0x3F)));
    ++i;
  }
  return out;
}

}  // namespace rct
