#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/environment.h"
#include "core/result.h"

namespace rct {

// One problem in a configuration file. line/column are 1-based; 0 when the problem concerns the
// file as a whole (e.g. it cannot be opened). Messages never contain secret values.
struct ConfigError {
  std::string file;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
  std::string message;

  std::string to_string() const;  // "file:line:column: message" (or "file: message")
};

using ConfigErrors = std::vector<ConfigError>;

// One error per line, in file order.
std::string format_errors(const ConfigErrors& errors);

// What the registry knows, so that value names can be checked without config depending on the
// registry implementation. The daemon wires these to rct::Registry; both must be set.
struct ValueCatalog {
  std::function<bool(std::string_view name)> is_known_name;
  std::function<bool(std::uint32_t id)> is_known_id;
};

// Parses and validates `path`. Either a complete Config with every default filled in, or every
// error found in one pass, sorted by position. Relative file names in the config (password_file,
// TLS files) are resolved against the config file's directory. Reads password_file; reads
// nothing else but checks that the TLS files exist.
Result<Config, ConfigErrors> load_config(const std::filesystem::path& path, const Environment& env,
                                         const ValueCatalog& catalog);

}  // namespace rct
