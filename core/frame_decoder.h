#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/command.h"
#include "core/frame.h"

namespace rct {

// What the decoder reports, in stream order. Names match `rctclient frame decode` JSON.
enum class DecodeOutcome {
  kOk,              // a frame with a matching CRC
  kCrcMismatch,     // a complete frame whose CRC does not match
  kInvalidCommand,  // start token followed by a byte that is not a regular command (incl. 0x3C)
  kLengthExceeded,  // length field below the minimum (4 / 8), above a lower cap the caller
                    // chose, or not exactly 4 / 8 for a READ / READ_PERIODICALLY (no payload)
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
  std::optional<Command> command;         // set when command_byte is a regular command
  std::optional<std::uint32_t> address;   // plant frames (ok, crc_mismatch)
  std::optional<std::uint32_t> oid;       // ok, crc_mismatch
  std::span<const std::uint8_t> payload;  // unescaped payload (ok, crc_mismatch)
  std::uint16_t crc_received = 0;
  std::uint16_t crc_calculated = 0;
};

// Incremental receiver after docs/protocol.md §7.2: feed any chunking, pull outcomes.
// Resynchronises on an unescaped start token, so a good frame after a truncated one is not lost.
// The escape state survives chunk boundaries. Memory is bounded by the length cap, by default
// the largest L the protocol has (a 65531-byte payload), and is taken only as the frame being
// received needs it: nothing is reserved up front for the largest frame.
//
// States: kHunt (looking for a start token; skipped bytes are only counted) → kHeader (start
// token seen; unescaping command and length field into header_, raw bytes kept so that a bad
// header can be re-hunted) → kBody (header valid; unescaping address, OID, payload and CRC in
// place over the frame's own raw bytes until the frame is complete) → kHunt.
// An unescaped 0x2B in kHeader/kBody ends the frame as kIncomplete and starts the next one.
// feed() is the only call that moves or grows the buffer. It first drops what earlier outcomes
// used, keeping only the unescaped part of a started frame (command + 2 length bytes + L + CRC,
// ≤ max_length + 5 bytes); so when next() is drained before each feed(), buffered() stays within
// max_length + 5 + the size of the chunk being fed. Capacity above 8 KiB that a long frame
// needed is given back by the next feed() between frames that keeps at most 4 KiB (the buffer
// then regrows to at most 8 KiB with 4 KiB reads and keeps that); reset() frees it all.
class FrameDecoder {
 public:
  // Largest accepted L (address + OID + payload): everything a long length field can state.
  // A smaller `max_length` turns longer frames into length_exceeded; a larger one is clamped.
  static constexpr std::size_t kMaxLength = kLongMaxLength;
  explicit FrameDecoder(std::size_t max_length = kMaxLength);

  void feed(std::span<const std::uint8_t> bytes);
  // Next complete outcome, or nullopt when more bytes are needed.
  std::optional<DecodeEvent> next();
  // End of stream: reports kIncomplete if a frame had started, nullopt otherwise; then resets.
  // `no_frame_bytes` (optional) receives the count of trailing bytes that held no start token.
  // Meant to be called once next() has returned nullopt; bytes fed but not yet pulled through
  // next() are counted into the reported outcome rather than decoded.
  std::optional<DecodeEvent> finish(std::size_t* no_frame_bytes = nullptr);
  // Drop all state (connection closed, or a partial frame went stale).
  void reset();

  std::size_t buffered() const;  // raw bytes held, for tests of the memory bound
  std::size_t capacity() const;  // bytes allocated, for tests of the memory bound

 private:
  enum class State { kHunt, kHeader, kBody };

  void begin_frame(std::size_t start_token);
  std::optional<DecodeEvent> scan_header();
  std::optional<DecodeEvent> scan_body();
  DecodeEvent header_error(DecodeOutcome outcome);
  DecodeEvent truncated();
  DecodeEvent complete();
  void compact();

  std::size_t max_length_;
  std::vector<std::uint8_t> buf_;  // fed bytes; a frame's unescaped bytes overwrite its raw bytes
  State state_ = State::kHunt;
  std::size_t read_ = 0;     // next raw byte of buf_ to examine
  std::size_t start_ = 0;    // kHeader: the start token; kBody: the unescaped command byte
  std::size_t write_ = 0;    // kBody: end of the unescaped bytes [start_, write_)
  std::size_t skipped_ = 0;  // stream bytes before the current start token (or since the last
                             // outcome while hunting); they count towards the next outcome
  std::size_t dropped_ = 0;  // raw escape bytes of the current frame already compacted away
  bool escape_ = false;      // the last examined raw byte was an unescaped 0x2D
  std::array<std::uint8_t, 3> header_{};  // unescaped command + 1..2 length bytes
  std::size_t header_have_ = 0;
  std::size_t header_size_ = 0;  // 2 or 3 once the command is known
  std::size_t frame_size_ = 0;   // unescaped command..CRC: header_size_ + L + 2
};

}  // namespace rct
