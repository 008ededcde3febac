#include <cstdint>
#include <string>
#include <vector>

#include "core/crc16.h"
#include "tests/support/bytes.h"
#include "tests/support/catch.h"
#include "tests/support/shared_dir.h"
#include "tests/support/tsv.h"

using rct::test::hex_bytes;

namespace {

// docs/protocol.md §5.2, the RCT column (with the odd-length padding).
struct WorkedExample {
  const char* input_hex;
  std::uint16_t crc;
};
constexpr WorkedExample kWorkedExamples[] = {
    {"", 0xFFFF},
    {"00", 0x1D0F},
    {"01", 0x2E3E},
    {"01 04 95 99 30 BF", 0x0D65},
    {"05 08 95 99 30 BF 3E 97 B1 91", 0x9C86},
    {"05 05 29 BD A7 5F FF", 0xB8D2},
    {"31 32 33 34 35 36 37 38 39", 0x044B},
    {"31 32 33 34 35 36 37 38 39 00", 0x044B},
    {"01 04 00 00 00 00", 0xC2B6},
    {"02 04 FF FF FF FF", 0x9599},
    {"02 05 F1 68 B7 48 04", 0xD0E6},
    {"41 08 12 34 56 78 95 99 30 BF", 0xD2CD},
    {"45 0C 12 34 56 78 95 99 30 BF 3F 00 00 00", 0x21C2},
    {"02 08 BD 00 8E 29 C4 7A 00 00", 0x69A2},
    {"06 00 20 52 93 B6 68 65 53 F1 00 65 53 EF 0C 3F 00 00 00 65 53 F0 38 3F 05 1E B8 65 53 F1 "
     "00 3F 0C CC CD",
     0x471C},
};

// Feeds `data` to the streaming form split at `cut`, the first part byte by byte.
std::uint16_t streamed(const std::vector<std::uint8_t>& data, std::size_t cut) {
  rct::Crc16 crc;
  for (std::size_t i = 0; i < cut; ++i) crc.update(data[i]);
  crc.update(std::span<const std::uint8_t>(data).subspan(cut));
  return crc.finish();
}

}  // namespace

TEST_CASE("crc16 matches the worked examples of the protocol", "[crc]") {
  for (const auto& ex : kWorkedExamples) {
    INFO("input " << ex.input_hex);
    const auto data = hex_bytes(ex.input_hex);
    CHECK(rct::crc16(data) == ex.crc);
    CHECK(streamed(data, data.size() / 2) == ex.crc);
  }
}

TEST_CASE("crc16 pads odd-length input with one zero byte", "[crc]") {
  // The textbook CCITT-FALSE check value of "123456789" is 0x29B1; the padding changes it.
  CHECK(rct::crc16(hex_bytes("313233343536373839")) != 0x29B1);
  CHECK(rct::crc16(hex_bytes("05 05 29 bd a7 5f ff")) == 0xB8D2);
  CHECK(rct::crc16(hex_bytes("05 05 29 bd a7 5f ff 00")) == 0xB8D2);
}

TEST_CASE("crc16 matches every row of crc.tsv, whole and streamed", "[crc]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: crc.tsv checks skipped");
    return;
  }
  const auto rows = rct::test::read_tsv(*shared / "reference/vectors/crc.tsv");
  REQUIRE(rows.size() > 50);
  for (const auto& row : rows) {
    INFO(rct::test::row_name("crc.tsv", row.line) << " " << row["note"]);
    const auto data = hex_bytes(row["input_hex"]);
    const auto expected = static_cast<std::uint16_t>(std::stoul(row["crc16_hex"], nullptr, 16));
    CHECK(rct::crc16(data) == expected);
    for (std::size_t cut = 0; cut <= data.size(); ++cut) {
      INFO("streamed, split at " << cut);
      CHECK(streamed(data, cut) == expected);
    }
  }
}

TEST_CASE("a fresh streaming crc reports the initial value", "[crc]") {
  rct::Crc16 crc;
  CHECK(crc.finish() == 0xFFFF);
  crc.update(std::span<const std::uint8_t>());
  CHECK(crc.finish() == 0xFFFF);
  crc.update(std::uint8_t{0x00});
  CHECK(crc.finish() == 0x1D0F);
}
