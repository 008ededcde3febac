#include "core/write_allowlist.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>

#include "core/required.h"

namespace rct {
namespace {

// A row of core/write_allowlist_data.inc: every field must be named (Required has no default).
struct WritableRow {
  Required<std::uint32_t> oid;
  Required<std::string_view> name;
  Required<std::string_view> key;
  Required<DataType> type;
  Required<std::string_view> unit;
  Required<double> scale;
  Required<double> min;
  Required<double> max;
  Required<double> step;
  Required<unsigned> interlocks;
  Required<std::string_view> note;
};

constexpr WritableRow kAllowlistRows[] = {
#include "core/write_allowlist_data.inc"
};

constexpr std::array<WritableEntry, std::size(kAllowlistRows)> allowlist_of_rows() {
  std::array<WritableEntry, std::size(kAllowlistRows)> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const WritableRow& r = kAllowlistRows[i];
    out[i] = WritableEntry{.oid = r.oid.value,
                           .name = r.name.value,
                           .key = r.key.value,
                           .type = r.type.value,
                           .unit = r.unit.value,
                           .scale = r.scale.value,
                           .min = r.min.value,
                           .max = r.max.value,
                           .step = r.step.value,
                           .interlocks = r.interlocks.value,
                           .note = r.note.value};
  }
  return out;
}

constexpr std::array<WritableEntry, std::size(kAllowlistRows)> kWritable = allowlist_of_rows();

// Compile-time checks of the table. A failing one names the rule; the row is the one just
// edited. The unit tests check what needs the registry or the enum tables.

template <typename Pred>
constexpr bool every_entry(Pred pred) {
  return std::all_of(kWritable.begin(), kWritable.end(), pred);
}

constexpr bool strictly_sorted_by_oid() {
  for (std::size_t i = 1; i < kWritable.size(); ++i) {
    if (kWritable[i - 1].oid >= kWritable[i].oid) return false;
  }
  return true;
}
static_assert(strictly_sorted_by_oid(),
              "core/write_allowlist_data.inc: sort by OID, no duplicates");

static_assert(every_entry([](const WritableEntry& e) { return e.oid != kOidComService; }),
              "com_service (flash / reset trigger) must never be writable");

constexpr bool unique_keys_and_names() {
  for (std::size_t i = 0; i < kWritable.size(); ++i) {
    for (std::size_t j = i + 1; j < kWritable.size(); ++j) {
      if (kWritable[i].key == kWritable[j].key || kWritable[i].name == kWritable[j].name) {
        return false;
      }
    }
  }
  return true;
}
static_assert(unique_keys_and_names(), "core/write_allowlist_data.inc: a key or name twice");

constexpr bool snake_case(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z' || s.back() == '_') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || (c == '_' && s[i - 1] == '_')) return false;
  }
  return true;
}
static_assert(every_entry([](const WritableEntry& e) {
                return snake_case(e.key) && !e.name.empty() && !e.note.empty();
              }),
              "core/write_allowlist_data.inc: keys are snake_case; name and note are required");

// v is a whole number of steps (to a relative 1e-9: steps such as 0.1 are not exact in binary).
constexpr bool on_step_grid(double v, double step) {
  const double q = v / step;
  const double nearest = static_cast<double>(static_cast<long long>(q < 0 ? q - 0.5 : q + 0.5));
  const double d = q - nearest;
  return d < 1e-9 && d > -1e-9;
}
static_assert(every_entry([](const WritableEntry& e) {
                return e.step > 0 && e.min < e.max && on_step_grid(e.min, e.step) &&
                       on_step_grid(e.max, e.step);
              }),
              "core/write_allowlist_data.inc: step > 0, min < max, both on the step grid");

// Bounds and scale per kind: a BOOL is 0..1 unscaled and unitless; an enum's bounds are enum
// values (0..255) on steps of 1; a percentage is a 0..1 fraction on the wire shown × 100 and
// never beyond it; a power stays within ±6000 W (the bound policy above the table).
constexpr bool fits_kind(const WritableEntry& e) {
  if (!is_fixed_size_scalar(e.type)) return false;
  switch (write_kind(e)) {
    case WriteKind::kBool:
      return e.min == 0 && e.max == 1 && e.step == 1 && e.scale == 1 && e.unit.empty();
    case WriteKind::kEnum:
      return e.min >= 0 && e.max <= 255 && e.step == 1 && e.scale == 1 && e.unit.empty();
    case WriteKind::kNumber:
      if (e.unit == "%") return e.scale == 100 && e.min >= 0 && e.max <= 100;
      if (e.unit == "W") return e.scale == 1 && e.min >= -6000 && e.max <= 6000;
      return e.scale == 1;
  }
  return false;
}
static_assert(every_entry(fits_kind),
              "core/write_allowlist_data.inc: bounds, step, scale or unit do not fit the type");

constexpr unsigned kKnownInterlocks = [] {
  unsigned all = kNoInterlocks;
  for (Interlock i : kAllInterlocks) all |= static_cast<unsigned>(i);
  return all;
}();
static_assert(every_entry([](const WritableEntry& e) {
                return (e.interlocks & ~kKnownInterlocks) == 0;
              }),
              "core/write_allowlist_data.inc: an unknown interlock bit");

}  // namespace

std::string_view interlock_name(Interlock i) {
  switch (i) {
    case Interlock::kBatteryBits:
      return "battery_bits";
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
      std::lower_bound(kWritable.begin(), kWritable.end(), oid,
                       [](const WritableEntry& e, std::uint32_t v) { return e.oid < v; });
  return it != kWritable.end() && it->oid == oid ? it : nullptr;
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

std::vector<EnumEntry> enum_options(const WritableEntry& entry) {
  std::vector<EnumEntry> out;
  if (write_kind(entry) != WriteKind::kEnum) return out;
  for (const EnumEntry& e : enum_entries(entry.oid)) {
    if (e.value >= entry.min && e.value <= entry.max) out.push_back(e);
  }
  return out;
}

}  // namespace rct
