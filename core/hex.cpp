#include "core/hex.h"

#include <array>

namespace rct {
namespace {

constexpr char kDigitsLower[] = "0123456789abcdef";
constexpr char kDigitsUpper[] = "0123456789ABCDEF";

constexpr int kHexSeparatorClass = -1;
constexpr int kHexInvalidClass = -2;

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ':';
}

}  // namespace

std::string to_hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out.push_back(kDigitsLower[b >> 4]);
    out.push_back(kDigitsLower[b & 0x0F]);
  }
  return out;
}

namespace {

// Per character: its hex value, or that it is a separator, or invalid.
constexpr std::array<int, 256> kHexClass = [] {
  std::array<int, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<std::size_t>(c)] =
        is_separator(static_cast<char>(c)) ? kHexSeparatorClass : kHexInvalidClass;
    const int v = hex_value(static_cast<char>(c));
    if (v >= 0) t[static_cast<std::size_t>(c)] = v;
  }
  return t;
}();

}  // namespace

bool HexParser::feed(std::string_view text, std::vector<std::uint8_t>& out) {
  if (failed_) return false;
  // Written through a pointer, two digits at a time where they follow each other: captures of
  // tens of MB go through here (rctclient frame decode).
  const std::size_t at = out.size();
  out.resize(at + (text.size() + 1) / 2);
  std::uint8_t* p = out.data() + at;
  const char* c = text.data();
  const char* const end = c + text.size();
  int high = high_;  // a local: the writes through `p` could alias a member
  while (c != end) {
    if (high < 0) {
      while (end - c >= 2) {
        const int h = kHexClass[static_cast<unsigned char>(c[0])];
        const int l = kHexClass[static_cast<unsigned char>(c[1])];
        if ((h | l) < 0) break;
        *p++ = static_cast<std::uint8_t>((h << 4) | l);
        c += 2;
      }
      if (c == end) break;
    }
    const int v = kHexClass[static_cast<unsigned char>(*c++)];
    if (v < 0) {
      if (v == kHexSeparatorClass) continue;
      failed_ = true;
      break;
    }
    if (high < 0) {
      high = v;
    } else {
      *p++ = static_cast<std::uint8_t>((high << 4) | v);
      high = -1;
    }
  }
  high_ = high;
  out.resize(static_cast<std::size_t>(p - out.data()));
  return !failed_;
}

std::optional<std::vector<std::uint8_t>> from_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  HexParser parser;
  if (!parser.feed(text, out) || !parser.complete()) return std::nullopt;
  return out;
}

std::string format_oid(std::uint32_t oid) {
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out.push_back(kDigitsUpper[(oid >> shift) & 0x0F]);
  return out;
}

// With a 0x prefix 1..8 digits are accepted ("0x1"); without one exactly 8, so that a short
// object name that happens to consist of hex letters is never mistaken for an OID.
std::optional<std::uint32_t> parse_oid(std::string_view text) {
  const bool prefixed = text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (prefixed) text.remove_prefix(2);
  if (text.empty() || text.size() > 8 || (!prefixed && text.size() != 8)) return std::nullopt;
  std::uint32_t oid = 0;
  for (char c : text) {
    const int v = hex_value(c);
    if (v < 0) return std::nullopt;
    oid = (oid << 4) | static_cast<std::uint32_t>(v);
  }
  return oid;
}

}  // namespace rct
