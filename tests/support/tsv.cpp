#include "tests/support/tsv.h"

#include <fstream>
#include <stdexcept>

namespace rct::test {
namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    std::size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}

}  // namespace

const std::string& TsvRow::operator[](const std::string& column) const {
  auto it = cells.find(column);
  if (it == cells.end()) throw std::runtime_error("no column '" + column + "'");
  return it->second;
}

std::vector<TsvRow> read_tsv(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::string line;
  if (!std::getline(in, line)) throw std::runtime_error(path.string() + ": empty file");
  const std::vector<std::string> header = split_tabs(line);
  std::vector<TsvRow> rows;
  std::size_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::vector<std::string> cells = split_tabs(line);
    if (cells.size() != header.size()) {
      throw std::runtime_error(path.string() + ":" + std::to_string(number) + ": " +
                               std::to_string(cells.size()) + " cells, header has " +
                               std::to_string(header.size()));
    }
    TsvRow row;
    row.line = number;
    for (std::size_t i = 0; i < header.size(); ++i) row.cells[header[i]] = std::move(cells[i]);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace rct::test
