#include "core/command.h"

namespace rct {

std::string_view command_name(Command c) {
  switch (c) {
    case Command::kRead:
      return "READ";
    case Command::kWrite:
      return "WRITE";
    case Command::kLongWrite:
      return "LONG_WRITE";
    case Command::kResponse:
      return "RESPONSE";
    case Command::kLongResponse:
      return "LONG_RESPONSE";
    case Command::kReadPeriodically:
      return "READ_PERIODICALLY";
    case Command::kExtension:
      return "EXTENSION";
    case Command::kPlantRead:
      return "PLANT_READ";
    case Command::kPlantWrite:
      return "PLANT_WRITE";
    case Command::kPlantLongWrite:
      return "PLANT_LONG_WRITE";
    case Command::kPlantResponse:
      return "PLANT_RESPONSE";
    case Command::kPlantLongResponse:
      return "PLANT_LONG_RESPONSE";
    case Command::kPlantReadPeriodically:
      return "PLANT_READ_PERIODICALLY";
  }
  return "?";
}

std::optional<Command> command_from_name(std::string_view name) {
  for (Command c : kAllCommands) {
    if (command_name(c) == name) return c;
  }
  return std::nullopt;
}

}  // namespace rct
