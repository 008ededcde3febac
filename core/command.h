#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rct {

// Command byte of a frame (docs/protocol.md §3.2). Reserved values (0x04, 0x07, 0x44, 0x47) are not
// members: a byte that is not one of these is an invalid command.
enum class Command : std::uint8_t {
  kRead = 0x01,
  kWrite = 0x02,
  kLongWrite = 0x03,
  kResponse = 0x05,
  kLongResponse = 0x06,
  kReadPeriodically = 0x08,
  kExtension = 0x3C,
  kPlantRead = 0x41,
  kPlantWrite = 0x42,
  kPlantLongWrite = 0x43,
  kPlantResponse = 0x45,
  kPlantLongResponse = 0x46,
  kPlantReadPeriodically = 0x48,
};

// One of the 12 regular commands (EXTENSION is not regular: it has no length, OID or CRC).
std::optional<Command> regular_command_from_byte(std::uint8_t byte);

constexpr std::uint8_t to_byte(Command c) {
  return static_cast<std::uint8_t>(c);
}
constexpr bool is_plant(Command c) {
  return (to_byte(c) & 0x40) != 0;
}
constexpr bool is_long(Command c) {
  return c == Command::kLongWrite || c == Command::kLongResponse || c == Command::kPlantLongWrite ||
         c == Command::kPlantLongResponse;
}
constexpr bool is_write(Command c) {
  return c == Command::kWrite || c == Command::kLongWrite || c == Command::kPlantWrite ||
         c == Command::kPlantLongWrite;
}
constexpr bool is_response(Command c) {
  return c == Command::kResponse || c == Command::kLongResponse || c == Command::kPlantResponse ||
         c == Command::kPlantLongResponse;
}
// READ, READ_PERIODICALLY and their plant forms never carry a payload.
constexpr bool is_read(Command c) {
  return c == Command::kRead || c == Command::kReadPeriodically || c == Command::kPlantRead ||
         c == Command::kPlantReadPeriodically;
}

// Upper-case protocol names: "READ", "PLANT_LONG_RESPONSE", "EXTENSION".
std::string_view command_name(Command c);
std::optional<Command> command_from_name(std::string_view name);

}  // namespace rct
