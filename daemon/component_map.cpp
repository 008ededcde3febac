#include "daemon/component_map.h"

#include <algorithm>

namespace rct::daemon {

ComponentMap::ComponentMap(std::initializer_list<value_type> entries) {
  for (const value_type& e : entries) {
    const auto at = position(e.first);
    if (at == entries_.end() || at->first != e.first) entries_.insert(at, e);
  }
}

ComponentMap::ComponentMap(const std::map<std::string, std::string>& entries)
    : entries_(entries.begin(), entries.end()) {}

std::string& ComponentMap::operator[](std::string_view id) {
  const auto at = position(id);
  if (at != entries_.end() && at->first == id) return at->second;
  return entries_.insert(at, value_type{std::string(id), std::string()})->second;
}

std::vector<ComponentMap::value_type>::iterator ComponentMap::position(std::string_view id) {
  return std::lower_bound(entries_.begin(), entries_.end(), id,
                          [](const value_type& e, std::string_view key) { return e.first < key; });
}

}  // namespace rct::daemon
