#include "core/layout_override.h"

#include <algorithm>

#include "core/data_type.h"

namespace rct {
namespace {

constexpr std::string_view kSecondTowerReason =
    "The second battery tower's module OIDs carry the same payload layouts as the first tower's "
    "(field reports; docs/protocol.md §8.9), although the reference registry types them as "
    "strings.";

constexpr LayoutOverride kLayoutOverrides[] = {
    {"battery_placeholder[0].cells[", DataType::kString, DataType::kBatteryModuleStatus,
     kSecondTowerReason},
    {"battery_placeholder[0].cells_stat[", DataType::kString, DataType::kBatteryModuleStatistics,
     kSecondTowerReason},
    {"battery_placeholder[0].cells_resist[", DataType::kString, DataType::kBatteryModuleResistance,
     kSecondTowerReason},
};

bool matches_override(const LayoutOverride& o, std::string_view name) {
  if (name.size() < o.name_prefix.size() + 2 || !name.starts_with(o.name_prefix) ||
      name.back() != ']') {
    return false;
  }
  const std::string_view index =
      name.substr(o.name_prefix.size(), name.size() - o.name_prefix.size() - 1);
  return std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::span<const LayoutOverride> layout_overrides() {
  return kLayoutOverrides;
}

const LayoutOverride* find_layout_override(std::string_view name) {
  for (const LayoutOverride& o : kLayoutOverrides) {
    if (matches_override(o, name)) return &o;
  }
  return nullptr;
}

DataType decode_type(const OidInfo& info, std::size_t payload_size) {
  const LayoutOverride* o = find_layout_override(info.name);
  if (o == nullptr || o->registry_type != info.response_type ||
      !payload_size_fits(o->layout, payload_size)) {
    return info.response_type;
  }
  return o->layout;
}

}  // namespace rct
