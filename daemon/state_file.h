#pragma once

#include <filesystem>
#include <string>

#include "core/result.h"
#include "daemon/persistent_state.h"

namespace rct::daemon {

// The state file (<state dir>/state.json). The only file I/O of the daemon's pure parts; the
// caller decides when to load and save.

inline constexpr std::string_view kStateFileName = "state.json";

// A missing file is an empty state (first start). Unreadable or malformed: the reason.
Result<PersistentState, std::string> load_state_file(const std::filesystem::path& path);

// Writes atomically: a temporary file in the same directory, fsync, rename over `path`, fsync
// of the directory. A crash leaves either the old or the new file, never a torn one.
Result<void, std::string> save_state_file(const std::filesystem::path& path,
                                          const PersistentState& state);

}  // namespace rct::daemon
