// libFuzzer target for FrameDecoder. Input byte 0 configures the run (length cap, chunking);
// the rest is the received stream. Invariants checked (trap on violation):
// - every outcome consumes at least one byte, and the consumed counts plus the trailing no-frame
//   bytes add up to the stream size;
// - the buffer stays within one capped frame plus the chunk being fed;
// - the outcomes do not depend on the chunking (compared with the stream fed whole);
// - ok frames have matching CRCs, crc_mismatch frames do not, and an ok frame re-encodes to a
//   stream that decodes to the same frame and nothing else.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/frame.h"
#include "core/frame_decoder.h"
#include "core/frame_encoder.h"

namespace {

void require(bool condition) {
  if (!condition) __builtin_trap();
}

struct Summary {
  rct::DecodeOutcome outcome;
  std::size_t consumed;
  std::uint8_t command_byte;
  std::optional<rct::Frame> frame;  // ok and crc_mismatch

  bool operator==(const Summary&) const = default;
};

Summary summarize(const rct::DecodeEvent& e) {
  Summary s{e.outcome, e.consumed, e.command_byte, std::nullopt};
  if (e.outcome == rct::DecodeOutcome::kOk || e.outcome == rct::DecodeOutcome::kCrcMismatch) {
    require(e.command.has_value() && e.oid.has_value());
    require(e.address.has_value() == rct::is_plant(*e.command));
    require((e.crc_received == e.crc_calculated) == (e.outcome == rct::DecodeOutcome::kOk));
    s.frame = rct::Frame{*e.command, e.address, *e.oid,
                         std::vector<std::uint8_t>(e.payload.begin(), e.payload.end())};
  }
  return s;
}

void check_reencode(const rct::Frame& frame, std::size_t max_length) {
  const auto wire = rct::encode_frame(frame);
  require(wire.ok());
  rct::FrameDecoder decoder(max_length);
  decoder.feed(*wire);
  const auto event = decoder.next();
  require(event.has_value() && event->outcome == rct::DecodeOutcome::kOk);
  require(event->consumed == wire->size());
  const Summary s = summarize(*event);
  require(s.frame == frame);
  require(!decoder.next().has_value());
  std::size_t trailing = 1;
  require(!decoder.finish(&trailing).has_value() && trailing == 0);
}

// Decodes `stream` in chunks; chunk sizes cycle through the stream's own bytes, scaled by
// `max_chunk` (0 = the whole stream in one feed).
std::vector<Summary> run(std::span<const std::uint8_t> stream, std::size_t max_length,
                         std::size_t max_chunk, bool reencode) {
  rct::FrameDecoder decoder(max_length);
  std::vector<Summary> out;
  std::size_t consumed = 0;
  auto take = [&](const rct::DecodeEvent& e) {
    require(e.consumed >= 1);
    consumed += e.consumed;
    out.push_back(summarize(e));
    if (reencode && e.outcome == rct::DecodeOutcome::kOk)
      check_reencode(*out.back().frame, max_length);
  };
  std::size_t at = 0;
  std::size_t k = 0;
  while (at < stream.size()) {
    std::size_t size = stream.size() - at;
    if (max_chunk != 0) size = std::min(size, 1 + stream[(k++ * 31) % stream.size()] % max_chunk);
    decoder.feed(stream.subspan(at, size));
    at += size;
    require(decoder.buffered() <= max_length + 5 + size);
    while (auto e = decoder.next()) take(*e);
  }
  std::size_t trailing = 0;
  if (auto e = decoder.finish(&trailing)) {
    require(trailing == 0 && e->outcome == rct::DecodeOutcome::kIncomplete);
    take(*e);
  }
  require(consumed + trailing == stream.size());
  require(decoder.buffered() == 0);
  require(decoder.capacity() == 0);  // finish() gives the buffer back
  return out;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t config = data[0];
  const std::span<const std::uint8_t> stream(data + 1, size - 1);
  // A small cap makes length_exceeded reachable with short inputs.
  const std::size_t max_length = (config & 0x01) != 0 ? 40 : rct::FrameDecoder::kMaxLength;
  const std::size_t max_chunk = (config >> 1) % 32;  // 0: whole; 1: byte by byte; …
  const auto chunked = run(stream, max_length, max_chunk == 0 ? 1 : max_chunk, true);
  const auto whole = run(stream, max_length, 0, false);
  require(chunked == whole);
  return 0;
}
