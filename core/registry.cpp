#include "core/registry.h"

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace rct {
namespace {

constexpr OidInfo kOids[] = {
#include "core/registry_data.inc"
};

constexpr bool strictly_sorted_by_id() {
  for (std::size_t i = 1; i < std::size(kOids); ++i) {
    if (kOids[i - 1].id >= kOids[i].id) return false;
  }
  return true;
}

// find(id) binary-searches the table, so order is part of its contract; strict order also means
// every id is unique.
static_assert(strictly_sorted_by_id(), "core/registry_data.inc must be sorted by id, ids unique");
static_assert(std::size(kOids) == 895,
              "the vendor registry has 895 unique OIDs (docs/protocol.md §15.1)");

}  // namespace

Registry::Registry() {
  by_name_.reserve(std::size(kOids));
  for (const OidInfo& info : kOids) by_name_.push_back(&info);
  std::sort(by_name_.begin(), by_name_.end(),
            [](const OidInfo* a, const OidInfo* b) { return a->name < b->name; });
}

std::span<const OidInfo> Registry::all() const {
  return kOids;
}

const OidInfo* Registry::find(std::uint32_t id) const {
  const auto* it =
      std::lower_bound(std::begin(kOids), std::end(kOids), id,
                       [](const OidInfo& info, std::uint32_t v) { return info.id < v; });
  return it != std::end(kOids) && it->id == id ? it : nullptr;
}

const OidInfo* Registry::find(std::string_view name) const {
  auto it =
      std::lower_bound(by_name_.begin(), by_name_.end(), name,
                       [](const OidInfo* info, std::string_view v) { return info->name < v; });
  return it != by_name_.end() && (*it)->name == name ? *it : nullptr;
}

std::vector<std::string_view> Registry::groups() const {
  std::vector<std::string_view> out;
  for (const OidInfo& info : kOids) out.push_back(info.group);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace rct
