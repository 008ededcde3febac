#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/frame.h"
#include "core/frame_decoder.h"
#include "core/hex.h"

namespace rct::test {

// One decoder outcome in the text form of frames_decode.tsv (columns outcome … crc_calculated);
// a column that does not apply is "".
using Cells = std::map<std::string, std::string>;

inline const std::vector<std::string>& outcome_columns() {
  static const std::vector<std::string> columns = {
      "outcome", "consumed",    "command",      "command_byte",  "address",
      "oid",     "payload_hex", "crc_received", "crc_calculated"};
  return columns;
}

inline std::string hex_byte_text(std::uint8_t b) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", b);
  return text;
}

inline std::string hex16_text(std::uint16_t v) {
  char text[8];
  std::snprintf(text, sizeof text, "%04x", v);
  return text;
}

inline Cells empty_cells() {
  Cells cells;
  for (const auto& c : outcome_columns()) cells[c] = "";
  return cells;
}

inline Cells describe(const DecodeEvent& e) {
  Cells cells = empty_cells();
  cells["outcome"] = std::string(decode_outcome_name(e.outcome));
  cells["consumed"] = std::to_string(e.consumed);
  if (e.command) cells["command"] = std::string(command_name(*e.command));
  if (e.outcome != DecodeOutcome::kIncomplete)
    cells["command_byte"] = hex_byte_text(e.command_byte);
  if (e.address) cells["address"] = format_oid(*e.address);
  if (e.oid) cells["oid"] = format_oid(*e.oid);
  if (e.outcome == DecodeOutcome::kOk || e.outcome == DecodeOutcome::kCrcMismatch) {
    cells["payload_hex"] = to_hex(e.payload);
    cells["crc_received"] = hex16_text(e.crc_received);
    cells["crc_calculated"] = hex16_text(e.crc_calculated);
  }
  return cells;
}

inline Frame to_frame(const DecodeEvent& e) {
  Frame f;
  f.command = *e.command;
  f.address = e.address;
  f.oid = *e.oid;
  f.payload.assign(e.payload.begin(), e.payload.end());
  return f;
}

struct DecodeRun {
  std::vector<Cells> outcomes;  // incl. a final "no_frame" row for trailing bytes
  std::vector<Frame> frames;    // the ok outcomes
  std::size_t consumed_total = 0;
  std::size_t max_buffered = 0;
};

// Feeds `stream` cut into `chunks` (sizes summing to the stream size), pulls every outcome after
// each feed, then finishes the stream.
inline DecodeRun decode_stream(FrameDecoder& decoder, std::span<const std::uint8_t> stream,
                               const std::vector<std::size_t>& chunks) {
  DecodeRun run;
  std::size_t at = 0;
  auto record = [&run](const DecodeEvent& e) {
    run.outcomes.push_back(describe(e));
    run.consumed_total += e.consumed;
    if (e.outcome == DecodeOutcome::kOk) run.frames.push_back(to_frame(e));
  };
  for (std::size_t size : chunks) {
    decoder.feed(stream.subspan(at, size));
    at += size;
    run.max_buffered = std::max(run.max_buffered, decoder.buffered());
    while (auto e = decoder.next()) record(*e);
  }
  std::size_t trailing = 0;
  if (auto e = decoder.finish(&trailing)) record(*e);
  if (trailing != 0) {
    Cells cells = empty_cells();
    cells["outcome"] = "no_frame";
    cells["consumed"] = std::to_string(trailing);
    run.outcomes.push_back(cells);
    run.consumed_total += trailing;
  }
  return run;
}

inline DecodeRun decode_stream(std::span<const std::uint8_t> stream,
                               const std::vector<std::size_t>& chunks) {
  FrameDecoder decoder;
  return decode_stream(decoder, stream, chunks);
}

inline std::vector<std::size_t> whole(std::size_t total) {
  return {total};
}

inline std::vector<std::size_t> byte_by_byte(std::size_t total) {
  return std::vector<std::size_t>(total, 1);
}

// Random chunk sizes 1..max_chunk from a fixed seed (mt19937 output is specified by the
// standard; the distributions are not, so none is used).
inline std::vector<std::size_t> random_chunks(std::size_t total, std::uint32_t seed,
                                              std::size_t max_chunk = 16) {
  std::mt19937 rng(seed);
  std::vector<std::size_t> chunks;
  while (total > 0) {
    const std::size_t size = std::min<std::size_t>(total, 1 + rng() % max_chunk);
    chunks.push_back(size);
    total -= size;
  }
  return chunks;
}

}  // namespace rct::test
