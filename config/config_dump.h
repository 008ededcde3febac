#pragma once

#include <string>

#include "config/config.h"

namespace rct {

// The effective configuration (every default filled in) as TOML, for `--check-config`.
// Secrets print as "***"; a password read from password_file is not shown at all, only the
// file's name. The output is valid TOML and loads back into the same configuration, secrets aside.
std::string dump_config(const Config& cfg);

}  // namespace rct
