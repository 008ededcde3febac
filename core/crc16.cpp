#include "core/crc16.h"

#include <array>

namespace rct {
namespace {

constexpr std::uint16_t kPolynomial = 0x1021;
constexpr std::size_t kSlices = 8;

using Table = std::array<std::uint16_t, 256>;

// kTables[0][i] = the 8-step MSB-first shift of i << 8 (docs/protocol.md §5.1).
// kTables[k][i] = the register after byte i followed by k zero bytes, starting from 0. The CRC is
// linear, so 8 bytes (the register folded into the first two) are the XOR of 8 lookups.
constexpr std::array<Table, kSlices> make_tables() {
  std::array<Table, kSlices> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? (crc << 1) ^ kPolynomial : crc << 1;
    }
    t[0][i] = static_cast<std::uint16_t>(crc);
  }
  for (std::size_t k = 1; k < kSlices; ++k) {
    for (unsigned i = 0; i < 256; ++i) {
      const std::uint16_t prev = t[k - 1][i];
      t[k][i] = static_cast<std::uint16_t>((prev << 8) ^ t[0][prev >> 8]);
    }
  }
  return t;
}

constexpr std::array<Table, kSlices> kTables = make_tables();
static_assert(kTables[0][1] == 0x1021 && kTables[0][2] == 0x2042 && kTables[0][255] == 0x1EF0);

constexpr std::uint16_t step(std::uint16_t crc, std::uint8_t byte) {
  return static_cast<std::uint16_t>((crc << 8) ^ kTables[0][((crc >> 8) ^ byte) & 0xFF]);
}

std::uint16_t update_crc(std::uint16_t crc, const std::uint8_t* p, std::size_t n) {
  for (; n >= kSlices; n -= kSlices, p += kSlices) {
    crc =
        static_cast<std::uint16_t>(kTables[7][p[0] ^ (crc >> 8)] ^ kTables[6][p[1] ^ (crc & 0xFF)] ^
                                   kTables[5][p[2]] ^ kTables[4][p[3]] ^ kTables[3][p[4]] ^
                                   kTables[2][p[5]] ^ kTables[1][p[6]] ^ kTables[0][p[7]]);
  }
  for (; n > 0; --n) crc = step(crc, *p++);
  return crc;
}

}  // namespace

std::uint16_t crc16(std::span<const std::uint8_t> data) {
  std::uint16_t crc = update_crc(0xFFFF, data.data(), data.size());
  if (data.size() % 2 != 0) crc = step(crc, 0x00);
  return crc;
}

void Crc16::update(std::span<const std::uint8_t> data) {
  crc_ = update_crc(crc_, data.data(), data.size());
  odd_ = odd_ != (data.size() % 2 != 0);
}

void Crc16::update(std::uint8_t byte) {
  crc_ = step(crc_, byte);
  odd_ = !odd_;
}

std::uint16_t Crc16::finish() const {
  return odd_ ? step(crc_, 0x00) : crc_;
}

}  // namespace rct
