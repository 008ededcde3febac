#include "daemon/adapters/process_memory.h"

#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace rct::daemon {

MemoryFigures process_memory() {
  MemoryFigures m;
  {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t size_pages = 0;
    std::uint64_t resident_pages = 0;
    if (statm >> size_pages >> resident_pages) {
      const long page = ::sysconf(_SC_PAGESIZE);
      m.rss_kb = resident_pages * static_cast<std::uint64_t>(page > 0 ? page : 4096) / 1024;
    }
  }
  // Lines like "Private_Dirty:       108 kB".
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(rollup, line)) {
    const std::string_view text(line);
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view field = text.substr(0, colon);
    if (field != "Private_Clean" && field != "Private_Dirty") continue;
    const auto digits = text.find_first_not_of(' ', colon + 1);
    if (digits == std::string_view::npos) continue;
    std::uint64_t kb = 0;
    const auto [end, ec] = std::from_chars(text.data() + digits, text.data() + text.size(), kb);
    if (ec == std::errc{}) m.private_kb += kb;
  }
  return m;
}

}  // namespace rct::daemon
