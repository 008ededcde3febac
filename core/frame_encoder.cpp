#include "core/frame_encoder.h"

#include <array>

#include "core/crc16.h"

namespace rct {
namespace {

// Writes `byte` at `p`, preceded by the escape token when it is a token value
// (docs/protocol.md §4).
std::uint8_t* put_escaped(std::uint8_t* p, std::uint8_t byte) {
  if (byte == kStartToken || byte == kEscapeToken) *p++ = kEscapeToken;
  *p++ = byte;
  return p;
}

void put_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

std::string_view encode_error_message(EncodeError e) {
  switch (e) {
    case EncodeError::kPayloadTooLarge:
      return "payload too large for the command's length field (at most 251 bytes for a short "
             "frame, 65531 for a long one, 4 fewer for plant frames)";
    case EncodeError::kPayloadOnRead:
      return "READ commands carry no payload";
    case EncodeError::kAddressMismatch:
      return "plant commands need an address, standard commands must not have one";
    case EncodeError::kNotEncodable:
      return "command is not a regular frame";
  }
  return "unknown encode error";
}

Result<void, EncodeError> encode_frame(const Frame& frame, std::vector<std::uint8_t>& out) {
  const Command c = frame.command;
  // Also rejects values outside the enum that a caller may have cast into a Command.
  if (!regular_command_from_byte(to_byte(c))) return EncodeError::kNotEncodable;
  if (is_plant(c) != frame.address.has_value()) return EncodeError::kAddressMismatch;
  if (is_read(c) && !frame.payload.empty()) return EncodeError::kPayloadOnRead;

  const std::size_t length = (is_plant(c) ? kAddressSize : 0) + kOidSize + frame.payload.size();
  if (length > (is_long(c) ? kLongMaxLength : kShortMaxLength)) {
    return EncodeError::kPayloadTooLarge;
  }

  // Unescaped header: command, length (1 or 2 bytes BE), [address], OID.
  std::array<std::uint8_t, 1 + 2 + kAddressSize + kOidSize> header{};
  std::size_t h = 0;
  header[h++] = to_byte(c);
  if (is_long(c)) header[h++] = static_cast<std::uint8_t>(length >> 8);
  header[h++] = static_cast<std::uint8_t>(length);
  if (frame.address) {
    put_be32(&header[h], *frame.address);
    h += kAddressSize;
  }
  put_be32(&header[h], frame.oid);
  h += kOidSize;

  Crc16 crc;
  crc.update(std::span<const std::uint8_t>(header.data(), h));
  crc.update(frame.payload);
  const std::uint16_t sum = crc.finish();

  // Worst case every body byte is escaped; shrink to the real size afterwards.
  const std::size_t old_size = out.size();
  const std::size_t body_size = h + frame.payload.size() + 2;
  out.resize(old_size + 1 + 2 * body_size);
  std::uint8_t* p = out.data() + old_size;
  *p++ = kStartToken;
  for (std::size_t i = 0; i < h; ++i) p = put_escaped(p, header[i]);
  for (std::uint8_t b : frame.payload) p = put_escaped(p, b);
  p = put_escaped(p, static_cast<std::uint8_t>(sum >> 8));
  p = put_escaped(p, static_cast<std::uint8_t>(sum));
  out.resize(static_cast<std::size_t>(p - out.data()));
  return {};
}

Result<std::vector<std::uint8_t>, EncodeError> encode_frame(const Frame& frame) {
  std::vector<std::uint8_t> out;
  if (auto r = encode_frame(frame, out); !r) return r.error();
  return out;
}

Command command_for_payload(Command c, std::size_t payload_size) {
  const std::size_t length = (is_plant(c) ? kAddressSize : 0) + kOidSize + payload_size;
  if (length <= kShortMaxLength) return c;
  switch (c) {
    case Command::kWrite:
      return Command::kLongWrite;
    case Command::kResponse:
      return Command::kLongResponse;
    case Command::kPlantWrite:
      return Command::kPlantLongWrite;
    case Command::kPlantResponse:
      return Command::kPlantLongResponse;
    case Command::kRead:
    case Command::kLongWrite:
    case Command::kLongResponse:
    case Command::kReadPeriodically:
    case Command::kExtension:
    case Command::kPlantRead:
    case Command::kPlantLongWrite:
    case Command::kPlantLongResponse:
    case Command::kPlantReadPeriodically:
      return c;
  }
  return c;
}

}  // namespace rct
