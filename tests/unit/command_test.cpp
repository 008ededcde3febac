#include "core/command.h"

#include <algorithm>
#include <cstddef>

#include "tests/support/catch.h"

using rct::Command;

TEST_CASE("every command byte round-trips through its name", "[command]") {
  for (int b = 0; b < 256; ++b) {
    auto c = rct::regular_command_from_byte(static_cast<std::uint8_t>(b));
    if (!c) continue;
    INFO("byte " << b);
    CHECK(rct::to_byte(*c) == b);
    CHECK(rct::command_from_name(rct::command_name(*c)) == c);
  }
}

TEST_CASE("exactly the twelve regular commands are accepted", "[command]") {
  int count = 0;
  for (int b = 0; b < 256; ++b)
    count += rct::regular_command_from_byte(static_cast<std::uint8_t>(b)) ? 1 : 0;
  CHECK(count == 12);
  CHECK_FALSE(rct::regular_command_from_byte(0x3C));
  CHECK_FALSE(rct::regular_command_from_byte(0x04));
  CHECK_FALSE(rct::regular_command_from_byte(0x44));
}

TEST_CASE("command predicates follow the plant bit and the long set", "[command]") {
  CHECK(rct::is_plant(Command::kPlantLongResponse));
  CHECK_FALSE(rct::is_plant(Command::kLongResponse));
  CHECK(rct::is_long(Command::kLongWrite));
  CHECK(rct::is_long(Command::kPlantLongWrite));
  CHECK_FALSE(rct::is_long(Command::kResponse));
  CHECK(rct::is_write(Command::kPlantWrite));
  CHECK(rct::is_response(Command::kPlantResponse));
  CHECK(rct::is_read(Command::kPlantReadPeriodically));
  CHECK_FALSE(rct::is_read(Command::kWrite));
}

TEST_CASE("the regular commands are every command but EXTENSION, in byte order", "[command]") {
  std::size_t regular = 0;
  for (Command c : rct::kAllCommands) {
    const bool listed = std::find(rct::kRegularCommands.begin(), rct::kRegularCommands.end(), c) !=
                        rct::kRegularCommands.end();
    CHECK(listed == (c != Command::kExtension));
    CHECK(rct::regular_command_from_byte(rct::to_byte(c)).has_value() == listed);
    regular += listed ? 1 : 0;
  }
  CHECK(regular == rct::kRegularCommands.size());
  for (std::size_t i = 1; i < rct::kRegularCommands.size(); ++i) {
    CHECK(rct::to_byte(rct::kRegularCommands[i - 1]) < rct::to_byte(rct::kRegularCommands[i]));
  }
}
