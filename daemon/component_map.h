#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rct::daemon {

// Object id → Home Assistant platform of the entities on one discovery topic, as the discovery
// record keeps them (discovery.h): sorted by object id, in one vector. A session holds a few
// hundred of them for as long as it runs; in a std::map each also cost a tree node of its own
// (an allocation and 48 bytes with its header, about 9 kB per inverter); here only its two
// strings remain (docs/architecture.md §9). Built and compared whole; no removal.
class ComponentMap {
 public:
  using value_type = std::pair<std::string, std::string>;
  using const_iterator = std::vector<value_type>::const_iterator;

  ComponentMap() = default;
  // An id given twice keeps its first platform, as a std::map's insert would.
  ComponentMap(std::initializer_list<value_type> entries);
  explicit ComponentMap(const std::map<std::string, std::string>& entries);

  // The platform of `id`, inserted empty when it is not there yet.
  std::string& operator[](std::string_view id);

  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::map<std::string, std::string> to_map() const { return {begin(), end()}; }

  friend bool operator==(const ComponentMap&, const ComponentMap&) = default;

 private:
  // Where `id` is, or would be inserted.
  std::vector<value_type>::iterator position(std::string_view id);

  std::vector<value_type> entries_;  // sorted by id, ids unique
};

}  // namespace rct::daemon
