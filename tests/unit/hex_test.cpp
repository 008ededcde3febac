#include "core/hex.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/catch.h"

TEST_CASE("to_hex writes lowercase digits without separators", "[hex]") {
  const std::vector<std::uint8_t> bytes = {0x2B, 0x01, 0x04, 0xAF, 0x00};
  CHECK(rct::to_hex(bytes) == "2b0104af00");
  CHECK(rct::to_hex({}).empty());
}

TEST_CASE("from_hex accepts either case and skips whitespace and colons", "[hex]") {
  const std::vector<std::uint8_t> expected = {0x2B, 0x01, 0xAF, 0xFF};
  CHECK(rct::from_hex("2b01afff") == expected);
  CHECK(rct::from_hex("2B01AFff") == expected);
  CHECK(rct::from_hex(" 2b 01\taf\nff ") == expected);
  CHECK(rct::from_hex("2b:01:af:ff") == expected);
  CHECK(rct::from_hex("") == std::vector<std::uint8_t>{});
}

TEST_CASE("from_hex rejects odd digit counts and non-hex characters", "[hex]") {
  CHECK_FALSE(rct::from_hex("2b0"));
  CHECK_FALSE(rct::from_hex("2b 0 1 a"));
  CHECK_FALSE(rct::from_hex("2g"));
  CHECK_FALSE(rct::from_hex("0x2b"));
  CHECK_FALSE(rct::from_hex("2b-01"));
}

TEST_CASE("format_oid writes 0x and eight upper-case digits", "[hex]") {
  CHECK(rct::format_oid(0x959930BF) == "0x959930BF");
  CHECK(rct::format_oid(0) == "0x00000000");
  CHECK(rct::format_oid(0x2B) == "0x0000002B");
}

TEST_CASE("parse_oid accepts the prefixed and the bare eight-digit forms", "[hex]") {
  CHECK(rct::parse_oid("0x959930BF") == 0x959930BFu);
  CHECK(rct::parse_oid("0X959930bf") == 0x959930BFu);
  CHECK(rct::parse_oid("959930BF") == 0x959930BFu);
  CHECK(rct::parse_oid("0x2b") == 0x2Bu);
  CHECK(rct::parse_oid("0xFFFFFFFF") == 0xFFFFFFFFu);
  CHECK(rct::parse_oid(rct::format_oid(0x0104EB6A)) == 0x0104EB6Au);
}

TEST_CASE("parse_oid rejects everything else", "[hex]") {
  CHECK_FALSE(rct::parse_oid(""));
  CHECK_FALSE(rct::parse_oid("0x"));
  CHECK_FALSE(rct::parse_oid("0x1234567890"));  // more than 32 bits
  CHECK_FALSE(rct::parse_oid("959930B"));       // bare form must have eight digits
  CHECK_FALSE(rct::parse_oid("battery.soc"));
  CHECK_FALSE(rct::parse_oid("0x95993 0BF"));
  CHECK_FALSE(rct::parse_oid("-0x1"));
  CHECK_FALSE(rct::parse_oid("0x959930BG"));
}

TEST_CASE("hex in pieces gives the bytes of the whole, a digit pair split or not", "[hex]") {
  const std::string text = "2B:01 04\n959930bf0D65";
  const auto whole = rct::from_hex(text);
  REQUIRE(whole);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    INFO("cut at " << cut);
    rct::HexParser parser;
    std::vector<std::uint8_t> bytes;
    CHECK(parser.feed(std::string_view(text).substr(0, cut), bytes));
    CHECK(parser.feed(std::string_view(text).substr(cut), bytes));
    CHECK(parser.complete());
    CHECK(bytes == *whole);
  }
  rct::HexParser odd;
  std::vector<std::uint8_t> bytes;
  CHECK(odd.feed("2b0", bytes));
  CHECK_FALSE(odd.complete());
  rct::HexParser bad;
  CHECK_FALSE(bad.feed("2b0x", bytes));
  CHECK_FALSE(bad.feed("00", bytes));  // stays failed
  CHECK_FALSE(bad.complete());
}
