#pragma once

#include <filesystem>
#include <optional>

namespace rct::test {

// ../shared beside the checkout (or $RCT_SHARED_DIR). nullopt when it is absent; callers then
// WARN that the reference checks are skipped and return.
std::optional<std::filesystem::path> shared_dir();
std::filesystem::path source_dir();

}  // namespace rct::test
