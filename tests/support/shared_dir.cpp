#include "tests/support/shared_dir.h"

#include <cstdlib>

namespace rct::test {

std::optional<std::filesystem::path> shared_dir() {
  std::filesystem::path p = RCT_SHARED_DIR;
  if (const char* env = std::getenv("RCT_SHARED_DIR"); env != nullptr && *env != '\0') p = env;
  std::error_code ec;
  if (!std::filesystem::is_directory(p / "reference", ec)) return std::nullopt;
  return p;
}

std::filesystem::path source_dir() {
  return RCT_SOURCE_DIR;
}

}  // namespace rct::test
