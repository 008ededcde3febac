#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/command.h"

namespace rct {

inline constexpr std::uint8_t kStartToken = 0x2B;
inline constexpr std::uint8_t kEscapeToken = 0x2D;
// Sizes of the fixed fields after the length (docs/protocol.md §3.1).
inline constexpr std::size_t kOidSize = 4;
inline constexpr std::size_t kAddressSize = 4;
// Largest L (address + OID + payload) the one- and two-byte length fields can state
// (docs/protocol.md §3.1): a long standard frame carries up to 65531 payload bytes.
inline constexpr std::size_t kShortMaxLength = 0xFF;
inline constexpr std::size_t kLongMaxLength = 0xFFFF;

// One frame in its unescaped, owned form (what an encoder takes and a client stores).
struct Frame {
  Command command = Command::kRead;
  std::optional<std::uint32_t> address;  // set exactly for plant commands
  std::uint32_t oid = 0;
  std::vector<std::uint8_t> payload;  // value bytes; empty for READ forms

  bool operator==(const Frame&) const = default;
};

}  // namespace rct
