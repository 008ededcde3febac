#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/frame.h"
#include "core/result.h"

namespace rct {

enum class EncodeError {
  kPayloadTooLarge,  // L does not fit the command's length field
  kPayloadOnRead,    // READ forms never carry a payload
  kAddressMismatch,  // plant command without address, or address on a standard command
  kNotEncodable,     // EXTENSION is not a regular frame
};
std::string_view encode_error_message(EncodeError e);

// Appends the wire bytes (start token, escaped body, escaped CRC) of `frame` to `out`.
// Never writes a partial or wrong frame: on error `out` is left as it was.
Result<void, EncodeError> encode_frame(const Frame& frame, std::vector<std::uint8_t>& out);
Result<std::vector<std::uint8_t>, EncodeError> encode_frame(const Frame& frame);

// WRITE→LONG_WRITE / RESPONSE→LONG_RESPONSE (and plant forms) when the payload needs a 2-byte
// length (docs/protocol.md §3.6). Other commands are returned unchanged.
Command command_for_payload(Command c, std::size_t payload_size);

}  // namespace rct
