#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/command.h"

namespace rct {

// What the decoder reports, in stream order. Names match `rctclient frame decode` JSON.
enum class DecodeOutcome {
  kOk,              // a frame with a matching CRC
  kCrcMismatch,     // a complete frame whose CRC does not match
  kInvalidCommand,  // start token followed by a byte that is not a regular command (incl. 0x3C)
  kLengthExceeded,  // length field below the minimum (4 / 8) or above the configured cap
  kIncomplete,      // a frame cut short: an unescaped start token arrived first (truncated
                    // frame), or the stream ended inside it (see FrameDecoder::finish)
};
std::string_view decode_outcome_name(DecodeOutcome o);  // "ok", "crc_mismatch", ...

// One outcome. `payload` points into the decoder's buffer and is valid until the next call to
// feed(), next(), finish() or reset() — no allocation per frame.
struct DecodeEvent {
  DecodeOutcome outcome = DecodeOutcome::kOk;
  std::size_t consumed = 0;  // stream bytes of this outcome, incl. skipped bytes before it
  std::uint8_t command_byte = 0;
  std::optional<Command> command;        // set when command_byte is a regular command
  std::optional<std::uint32_t> address;  // plant frames (ok, crc_mismatch)
  std::optional<std::uint32_t> oid;      // ok, crc_mismatch
  std::span<const std::uint8_t> payload; // unescaped payload (ok, crc_mismatch)
  std::uint16_t crc_received = 0;
  std::uint16_t crc_calculated = 0;
};

// Incremental receiver after protocol.md §7.2: feed any chunking, pull outcomes. Resynchronises
// on an unescaped start token, so a good frame after a truncated one is not lost. The escape
// state survives chunk boundaries. Memory is bounded by the length cap.
class FrameDecoder {
 public:
  // Largest accepted L (address + OID + payload). Long frames above this are length_exceeded.
  static constexpr std::size_t kDefaultMaxLength = 8192;
  explicit FrameDecoder(std::size_t max_length = kDefaultMaxLength);

  void feed(std::span<const std::uint8_t> bytes);
  // Next complete outcome, or nullopt when more bytes are needed.
  std::optional<DecodeEvent> next();
  // End of stream: reports kIncomplete if a frame had started, nullopt otherwise; then resets.
  // `no_frame_bytes` (optional) receives the count of trailing bytes that held no start token.
  std::optional<DecodeEvent> finish(std::size_t* no_frame_bytes = nullptr);
  // Drop all state (connection closed, or a partial frame went stale).
  void reset();

  std::size_t buffered() const;  // raw bytes held, for tests of the memory bound
};

}  // namespace rct
