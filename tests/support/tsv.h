#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace rct::test {

// One data row of a reference TSV file, addressed by column name; `line` is the 1-based line
// number in the file so that a failing table row can be named.
struct TsvRow {
  std::size_t line = 0;
  std::map<std::string, std::string> cells;
  const std::string& operator[](const std::string& column) const;
};

// Reads a header + rows TSV (no quoting, LF). Throws std::runtime_error on an unreadable file or
// a row whose cell count differs from the header's.
std::vector<TsvRow> read_tsv(const std::filesystem::path& path);

}  // namespace rct::test
