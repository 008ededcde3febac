#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/data_type.h"

namespace rct {

// One object of the inverter (docs/protocol.md §15). All fields point at static data.
struct OidInfo {
  std::uint32_t id = 0;
  std::string_view name;   // "battery.soc"
  std::string_view group;  // lower-case group, "battery"
  DataType request_type = DataType::kUnknown;
  DataType response_type = DataType::kUnknown;
  std::string_view unit;         // "W", "Wh", "%", "" when none
  std::string_view description;  // our own words
};

// Lookup over the built-in OID table (core/registry_data.inc). The table is constant data;
// a Registry object only holds the indices built from it. Construct one and pass it down.
class Registry {
 public:
  Registry();

  std::span<const OidInfo> all() const;  // sorted by id
  const OidInfo* find(std::uint32_t id) const;
  const OidInfo* find(std::string_view name) const;
  std::vector<std::string_view> groups() const;  // sorted, unique

 private:
  std::vector<const OidInfo*> by_name_;  // sorted by name
};

}  // namespace rct
