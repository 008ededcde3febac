#include "core/write_allowlist.h"

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace rct {
namespace {

constexpr WritableEntry kWritable[] = {
#include "core/write_allowlist_data.inc"
};

constexpr bool strictly_sorted_by_oid() {
  for (std::size_t i = 1; i < std::size(kWritable); ++i) {
    if (kWritable[i - 1].oid >= kWritable[i].oid) return false;
  }
  return true;
}
static_assert(strictly_sorted_by_oid(),
              "core/write_allowlist_data.inc: sort by OID, no duplicates");

constexpr bool never_com_service() {
  for (const WritableEntry& e : kWritable) {
    if (e.oid == kOidComService) return false;
  }
  return true;
}
static_assert(never_com_service(), "com_service (flash / reset trigger) must never be writable");

}  // namespace

std::string_view write_platform_name(WritePlatform p) {
  switch (p) {
    case WritePlatform::kNumber:
      return "number";
    case WritePlatform::kSelect:
      return "select";
    case WritePlatform::kSwitch:
      return "switch";
  }
  return "?";
}

std::string_view interlock_name(Interlock i) {
  switch (i) {
    case Interlock::kBatteryIdle:
      return "battery_idle";
    case Interlock::kExternPowerZero:
      return "extern_power_zero";
    case Interlock::kStrategyExternal:
      return "strategy_external";
    case Interlock::kNotAboveSocMax:
      return "not_above_soc_max";
    case Interlock::kNotBelowSocMins:
      return "not_below_soc_mins";
    case Interlock::kNotAboveSoc:
      return "not_above_soc";
  }
  return "?";
}

std::span<const WritableEntry> writable_entries() {
  return kWritable;
}

const WritableEntry* find_writable(std::uint32_t oid) {
  const auto* it =
      std::lower_bound(std::begin(kWritable), std::end(kWritable), oid,
                       [](const WritableEntry& e, std::uint32_t v) { return e.oid < v; });
  return it != std::end(kWritable) && it->oid == oid ? it : nullptr;
}

const WritableEntry* find_writable(std::string_view name) {
  for (const WritableEntry& e : kWritable) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const WritableEntry* find_writable_key(std::string_view key) {
  for (const WritableEntry& e : kWritable) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

std::vector<EnumEntry> select_options(const WritableEntry& entry) {
  std::vector<EnumEntry> out;
  if (entry.platform != WritePlatform::kSelect) return out;
  for (const EnumEntry& e : enum_entries(entry.oid)) {
    if (e.value >= entry.min && e.value <= entry.max) out.push_back(e);
  }
  return out;
}

}  // namespace rct
