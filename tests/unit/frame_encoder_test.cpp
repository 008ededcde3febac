#include "core/frame_encoder.h"

#include <cstdint>
#include <string>
#include <vector>

#include "core/crc16.h"
#include "core/frame_decoder.h"
#include "core/hex.h"
#include "tests/support/bytes.h"
#include "tests/support/catch.h"
#include "tests/support/decode_run.h"
#include "tests/support/shared_dir.h"
#include "tests/support/tsv.h"

using rct::Command;
using rct::EncodeError;
using rct::Frame;
using rct::test::hex_bytes;

namespace {

std::string encode_hex(const Frame& f) {
  const auto wire = rct::encode_frame(f);
  REQUIRE(wire.ok());
  return rct::to_hex(*wire);
}

// The single frame the decoder finds in `wire`, fed byte by byte.
std::vector<Frame> decode_frames(const std::vector<std::uint8_t>& wire) {
  const auto run = rct::test::decode_stream(wire, rct::test::byte_by_byte(wire.size()));
  CHECK(run.consumed_total == wire.size());
  CHECK(run.outcomes.size() == 1);
  return run.frames;
}

Frame frame_from_row(const rct::test::TsvRow& row) {
  Frame f;
  const auto command = rct::command_from_name(row["command"]);
  REQUIRE(command);
  f.command = *command;
  if (!row["address"].empty()) f.address = rct::parse_oid(row["address"]);
  const auto oid = rct::parse_oid(row["oid"]);
  REQUIRE(oid);
  f.oid = *oid;
  f.payload = hex_bytes(row["payload_hex"]);
  return f;
}

}  // namespace

TEST_CASE("the encoder reproduces every untagged row of frames_encode.tsv", "[frame_encoder]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: frames_encode.tsv checks skipped");
    return;
  }
  std::size_t checked = 0;
  for (const auto& row : rct::test::read_tsv(*shared / "reference/vectors/frames_encode.tsv")) {
    if (!row["quirk"].empty()) continue;  // see the next test case
    INFO(rct::test::row_name("frames_encode.tsv", row.line) << " " << row["note"]);
    const Frame f = frame_from_row(row);
    std::vector<std::uint8_t> out = {0xAA, 0xBB};  // encoding appends; errors leave it alone
    const auto result = rct::encode_frame(f, out);
    if (row["error"] == "length_overflow") {
      REQUIRE_FALSE(result.ok());
      CHECK(result.error() == EncodeError::kPayloadTooLarge);
      CHECK(out == std::vector<std::uint8_t>{0xAA, 0xBB});
    } else {
      REQUIRE(row["error"].empty());
      REQUIRE(result.ok());
      CHECK(rct::to_hex(out) == "aabb" + row["frame_hex"]);
      CHECK(decode_frames(hex_bytes(row["frame_hex"])) == std::vector<Frame>{f});
    }
    ++checked;
  }
  CHECK(checked >= 80);
}

// plant_long_1byte_length: the reference writes a 1-byte length for PLANT_LONG_WRITE and
// PLANT_LONG_RESPONSE, which its own decoder and docs/protocol.md §3.1 read as 2 bytes. We follow
// the protocol: the frames differ from the rows (so the rows' frame_hex is not asserted), carry a
// 2-byte length, and decode back to what was encoded; the 300-byte row that the reference cannot
// build is encodable.
TEST_CASE("plant long frames get a 2-byte length instead of the reference's 1-byte one",
          "[frame_encoder]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: frames_encode.tsv checks skipped");
    return;
  }
  std::size_t checked = 0;
  for (const auto& row : rct::test::read_tsv(*shared / "reference/vectors/frames_encode.tsv")) {
    if (row["quirk"].empty()) continue;
    INFO(rct::test::row_name("frames_encode.tsv", row.line) << " " << row["note"]);
    REQUIRE(row["quirk"] == "plant_long_1byte_length");
    const Frame f = frame_from_row(row);
    const auto wire = rct::encode_frame(f);
    REQUIRE(wire.ok());
    const std::size_t length = 8 + f.payload.size();
    // No length byte here needs escaping: the 2-byte length sits at offsets 2 and 3.
    REQUIRE(length < 0x2B00);
    CHECK((*wire)[2] == (length >> 8));
    CHECK((*wire)[3] == (length & 0xFF));
    CHECK(rct::to_hex(*wire) != row["frame_hex"]);
    CHECK(decode_frames(*wire) == std::vector<Frame>{f});
    ++checked;
  }
  CHECK(checked == 8);
}

TEST_CASE("the encoder builds the frames of docs/protocol.md §4, §6 and §19", "[frame_encoder]") {
  const std::vector<std::uint8_t> none;
  struct Case {
    Frame frame;
    std::string wire_hex;
  };
  const std::vector<std::uint8_t> string39(
      reinterpret_cast<const std::uint8_t*>("RCT Power Storage DC 6.0 with 39 chars!"),
      reinterpret_cast<const std::uint8_t*>("RCT Power Storage DC 6.0 with 39 chars!") + 39);
  std::string zeros297;
  for (int i = 0; i < 297; ++i) zeros297 += "00";
  const Case cases[] = {
      {{Command::kRead, std::nullopt, 0x959930BF, none}, "2b0104959930bf0d65"},
      {{Command::kRead, std::nullopt, 0xDB2D69AE, none}, "2b0104db2d2d69ae55ab"},
      {{Command::kRead, std::nullopt, 0x2BC1E72B, none}, "2b01042d2bc1e72d2be60c"},
      {{Command::kRead, std::nullopt, 0x89EE3EB5, none}, "2b010489ee3eb5862d2d"},
      {{Command::kResponse, std::nullopt, 0xEBC62737, string39},
       "2b052d2bebc62737" + rct::to_hex(string39) + "9d91"},
      {{Command::kWrite, std::nullopt, 0xF168B748, {0x04}}, "2b0205f168b74804d0e6"},
      {{Command::kWrite, std::nullopt, 0xBD008E29, {0xC4, 0x7A, 0x00, 0x00}},
       "2b0208bd008e29c47a000069a2"},
      {{Command::kWrite, std::nullopt, 0x5293B668, {0x65, 0x53, 0xF1, 0x00}},
       "2b02085293b6686553f100b9cb"},
      {{Command::kPlantRead, 0x12345678, 0x959930BF, none}, "2b410812345678959930bfd2cd"},
      {{Command::kPlantResponse, 0x12345678, 0x959930BF, {0x3F, 0x00, 0x00, 0x00}},
       "2b450c12345678959930bf3f00000021c2"},
      {{Command::kResponse, std::nullopt, 0xEBC62737, {0x52, 0x43, 0x54}},
       "2b0507ebc627375243546be2"},
      {{Command::kLongResponse, std::nullopt, 0x12345678, std::vector<std::uint8_t>(297, 0)},
       "2b06012d2d12345678" + zeros297 + "e349"},
  };
  for (const auto& c : cases) {
    INFO(c.wire_hex.substr(0, 40));
    CHECK(encode_hex(c.frame) == c.wire_hex);
  }
}

TEST_CASE("the encoder refuses what cannot be framed and leaves the output alone",
          "[frame_encoder]") {
  struct Case {
    const char* what;
    Frame frame;
    EncodeError error;
  };
  const auto bytes = [](std::size_t n) { return std::vector<std::uint8_t>(n, 0x42); };
  const Case cases[] = {
      {"short standard, L = 256",
       {Command::kWrite, std::nullopt, 1, bytes(252)},
       EncodeError::kPayloadTooLarge},
      {"short response, L = 256",
       {Command::kResponse, std::nullopt, 1, bytes(252)},
       EncodeError::kPayloadTooLarge},
      {"short plant, L = 256",
       {Command::kPlantWrite, 7u, 1, bytes(248)},
       EncodeError::kPayloadTooLarge},
      {"long standard, L = 65536",
       {Command::kLongWrite, std::nullopt, 1, bytes(65532)},
       EncodeError::kPayloadTooLarge},
      {"long plant, L = 65536",
       {Command::kPlantLongResponse, 7u, 1, bytes(65528)},
       EncodeError::kPayloadTooLarge},
      {"READ with payload",
       {Command::kRead, std::nullopt, 1, bytes(2)},
       EncodeError::kPayloadOnRead},
      {"READ_PERIODICALLY with payload",
       {Command::kReadPeriodically, std::nullopt, 1, bytes(1)},
       EncodeError::kPayloadOnRead},
      {"PLANT_READ with payload",
       {Command::kPlantRead, 7u, 1, bytes(1)},
       EncodeError::kPayloadOnRead},
      {"PLANT_READ_PERIODICALLY with payload",
       {Command::kPlantReadPeriodically, 7u, 1, bytes(4)},
       EncodeError::kPayloadOnRead},
      {"plant command without address",
       {Command::kPlantRead, std::nullopt, 1, {}},
       EncodeError::kAddressMismatch},
      {"plant long without address",
       {Command::kPlantLongWrite, std::nullopt, 1, bytes(3)},
       EncodeError::kAddressMismatch},
      {"standard command with address",
       {Command::kResponse, 7u, 1, bytes(3)},
       EncodeError::kAddressMismatch},
      {"EXTENSION", {Command::kExtension, std::nullopt, 0, {}}, EncodeError::kNotEncodable},
      {"reserved command 0x04",
       {static_cast<Command>(0x04), std::nullopt, 1, {}},
       EncodeError::kNotEncodable},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    std::vector<std::uint8_t> out = {0x00, 0x2B};
    const auto result = rct::encode_frame(c.frame, out);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error() == c.error);
    CHECK(out == std::vector<std::uint8_t>{0x00, 0x2B});
    CHECK_FALSE(rct::encode_frame(c.frame).ok());
    CHECK_FALSE(rct::encode_error_message(c.error).empty());
  }
}

TEST_CASE("the largest payload of each length field is accepted", "[frame_encoder]") {
  const auto bytes = [](std::size_t n) { return std::vector<std::uint8_t>(n, 0x2D); };
  const Frame frames[] = {
      {Command::kWrite, std::nullopt, 0x01020304, bytes(251)},
      {Command::kPlantResponse, 0x0A0B0C0D, 0x01020304, bytes(247)},
      {Command::kLongResponse, std::nullopt, 0x01020304, bytes(65531)},
      {Command::kPlantLongWrite, 0x0A0B0C0D, 0x01020304, bytes(65527)},
  };
  for (const auto& f : frames) {
    INFO(rct::command_name(f.command));
    const auto wire = rct::encode_frame(f);
    REQUIRE(wire.ok());
    rct::FrameDecoder decoder(0xFFFF);
    const auto run = rct::test::decode_stream(decoder, *wire, {wire->size()});
    CHECK(run.frames == std::vector<Frame>{f});
  }
}

TEST_CASE("plant long frames round-trip with a 2-byte length", "[frame_encoder]") {
  // 300 bytes (L = 0x0134), L = 0x012B (escaped low length byte) and 1000 bytes.
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{300},
                              std::size_t{0x12B - 8}, std::size_t{1000}}) {
    for (const Command c : {Command::kPlantLongWrite, Command::kPlantLongResponse}) {
      INFO(rct::command_name(c) << " with " << n << " payload bytes");
      std::vector<std::uint8_t> payload(n);
      for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
      const Frame f{c, 0x2B00002D, 0x5293B668, payload};
      const auto wire = rct::encode_frame(f);
      REQUIRE(wire.ok());
      const std::size_t length = 8 + n;
      CHECK((*wire)[1] == rct::to_byte(c));
      CHECK((*wire)[2] == (length >> 8));
      if ((length & 0xFF) == 0x2B || (length & 0xFF) == 0x2D) {
        CHECK((*wire)[3] == rct::kEscapeToken);
        CHECK((*wire)[4] == (length & 0xFF));
      } else {
        CHECK((*wire)[3] == (length & 0xFF));
      }
      CHECK(decode_frames(*wire) == std::vector<Frame>{f});
    }
  }
}

TEST_CASE("every body byte that equals a token is escaped", "[frame_encoder]") {
  // Address, OID and payload full of tokens; the wire is the start token, then each body byte
  // (CRC included) with an escape in front of every 2b/2d.
  const Frame f{Command::kPlantWrite, 0x2B2D2B2D, 0x2D2B2D2B, {0x2B, 0x2D, 0x00, 0x2B}};
  std::vector<std::uint8_t> body = hex_bytes("420c 2b2d2b2d 2d2b2d2b 2b2d002b");
  const std::uint16_t crc = rct::crc16(body);
  body.push_back(static_cast<std::uint8_t>(crc >> 8));
  body.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  std::vector<std::uint8_t> expected = {rct::kStartToken};
  for (std::uint8_t b : body) {
    if (b == rct::kStartToken || b == rct::kEscapeToken) expected.push_back(rct::kEscapeToken);
    expected.push_back(b);
  }
  const auto wire = rct::encode_frame(f);
  REQUIRE(wire.ok());
  CHECK(*wire == expected);
  CHECK(decode_frames(*wire) == std::vector<Frame>{f});
}

TEST_CASE("command_for_payload switches to the long form only when L exceeds 255",
          "[frame_encoder]") {
  CHECK(rct::command_for_payload(Command::kWrite, 251) == Command::kWrite);
  CHECK(rct::command_for_payload(Command::kWrite, 252) == Command::kLongWrite);
  CHECK(rct::command_for_payload(Command::kResponse, 251) == Command::kResponse);
  CHECK(rct::command_for_payload(Command::kResponse, 260) == Command::kLongResponse);
  CHECK(rct::command_for_payload(Command::kPlantWrite, 247) == Command::kPlantWrite);
  CHECK(rct::command_for_payload(Command::kPlantWrite, 248) == Command::kPlantLongWrite);
  CHECK(rct::command_for_payload(Command::kPlantResponse, 248) == Command::kPlantLongResponse);
  CHECK(rct::command_for_payload(Command::kLongWrite, 10) == Command::kLongWrite);
  CHECK(rct::command_for_payload(Command::kRead, 300) == Command::kRead);
  CHECK(rct::command_for_payload(Command::kExtension, 300) == Command::kExtension);
  // Whatever it picks can be encoded.
  for (const std::size_t n : {std::size_t{0}, std::size_t{247}, std::size_t{248}, std::size_t{251},
                              std::size_t{252}, std::size_t{5000}}) {
    INFO(n << " payload bytes");
    const Frame standard{rct::command_for_payload(Command::kResponse, n), std::nullopt, 1,
                         std::vector<std::uint8_t>(n, 1)};
    const Frame plant{rct::command_for_payload(Command::kPlantWrite, n), 2u, 1,
                      std::vector<std::uint8_t>(n, 1)};
    CHECK(rct::encode_frame(standard).ok());
    CHECK(rct::encode_frame(plant).ok());
  }
}
