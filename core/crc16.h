#pragma once

#include <cstdint>
#include <span>

namespace rct {

// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) with the RCT twist:
// an odd-length input is padded with one 0x00 byte (docs/protocol.md §5).
std::uint16_t crc16(std::span<const std::uint8_t> data);

// Streaming form for callers that see the bytes in pieces; remembers the parity for the padding.
class Crc16 {
 public:
  void update(std::span<const std::uint8_t> data);
  void update(std::uint8_t byte);
  std::uint16_t finish() const;

 private:
  std::uint16_t crc_ = 0xFFFF;
  bool odd_ = false;
};

}  // namespace rct
