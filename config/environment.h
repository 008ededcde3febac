#pragma once

#include <optional>
#include <string>

namespace rct {

// The process environment the configuration depends on, captured once by the caller so that
// the loader itself never reads the environment (and tests can inject any values).
struct Environment {
  // $STATE_DIRECTORY, set by systemd for StateDirectory=; may list several paths separated by ':'.
  std::optional<std::string> state_directory;

  static Environment from_process();
};

}  // namespace rct
