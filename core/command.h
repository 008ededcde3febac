#pragma once

#include <array>
#include <cstddef>
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

constexpr std::uint8_t to_byte(Command c) {
  return static_cast<std::uint8_t>(c);
}

// Every command, in byte order.
inline constexpr std::array kAllCommands = {
    Command::kRead,
    Command::kWrite,
    Command::kLongWrite,
    Command::kResponse,
    Command::kLongResponse,
    Command::kReadPeriodically,
    Command::kExtension,
    Command::kPlantRead,
    Command::kPlantWrite,
    Command::kPlantLongWrite,
    Command::kPlantResponse,
    Command::kPlantLongResponse,
    Command::kPlantReadPeriodically,
};

// A regular command frames a length, an OID and a CRC; EXTENSION has none of them.
constexpr bool is_regular(Command c) {
  return c != Command::kExtension;
}

// The 12 regular commands, in byte order: kAllCommands without EXTENSION.
inline constexpr std::array<Command, kAllCommands.size() - 1> kRegularCommands = [] {
  std::array<Command, kAllCommands.size() - 1> out{};
  std::size_t n = 0;
  for (Command c : kAllCommands) {
    if (is_regular(c)) out[n++] = c;
  }
  return out;
}();

namespace command_detail {
// By byte: whether it is a regular command (the frame decoder asks this for every start token).
inline constexpr std::array<bool, 256> kRegularByte = [] {
  std::array<bool, 256> table{};
  for (Command c : kRegularCommands) table[to_byte(c)] = true;
  return table;
}();
}  // namespace command_detail

// One of the 12 regular commands; nullopt for EXTENSION, a reserved or an unknown byte.
constexpr std::optional<Command> regular_command_from_byte(std::uint8_t byte) {
  if (!command_detail::kRegularByte[byte]) return std::nullopt;
  return static_cast<Command>(byte);
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
