#include "daemon/setting_presentation.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>

#include "core/required.h"

namespace rct::daemon {
namespace {

// A row of the table below: every field must be named (Required has no default).
struct PresentationRow {
  Required<std::string_view> key;
  Required<std::string_view> label;
  Required<std::string_view> device_class;
};

// Sorted by key.
constexpr PresentationRow kPresentationRows[] = {
    {.key = "battery_power_extern", .label = "Battery power (external)", .device_class = "power"},
    {.key = "battery_to_grid_max_power",
     .label = "Battery to grid maximum power",
     .device_class = "power"},
    {.key = "grid_charging", .label = "Grid charging", .device_class = ""},
    {.key = "pv_power_reduction", .label = "PV power limit", .device_class = ""},
    {.key = "soc_charge_power", .label = "Maintenance charge power", .device_class = "power"},
    {.key = "soc_max", .label = "Battery maximum SOC", .device_class = "battery"},
    {.key = "soc_min", .label = "Battery minimum SOC", .device_class = "battery"},
    {.key = "soc_min_island", .label = "Battery minimum SOC (island)", .device_class = "battery"},
    {.key = "soc_strategy", .label = "SOC strategy", .device_class = ""},
    {.key = "soc_target", .label = "Battery SOC target", .device_class = "battery"},
};

constexpr std::array<SettingPresentation, std::size(kPresentationRows)> presentations_of_rows() {
  std::array<SettingPresentation, std::size(kPresentationRows)> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = SettingPresentation{.key = kPresentationRows[i].key.value,
                                 .label = kPresentationRows[i].label.value,
                                 .device_class = kPresentationRows[i].device_class.value};
  }
  return out;
}

constexpr std::array<SettingPresentation, std::size(kPresentationRows)> kPresentations =
    presentations_of_rows();

constexpr bool sorted_by_key() {
  for (std::size_t i = 1; i < kPresentations.size(); ++i) {
    if (!(kPresentations[i - 1].key < kPresentations[i].key)) return false;
  }
  return true;
}
static_assert(sorted_by_key(), "setting presentations: sort by key, no duplicates");

static_assert(std::all_of(kPresentations.begin(), kPresentations.end(),
                          [](const SettingPresentation& p) {
                            return !p.label.empty() &&
                                   (p.device_class.empty() ||
                                    ha::is_device_class(ha::Platform::kNumber, p.device_class));
                          }),
              "setting presentations: a label is required; a device class must be a Home "
              "Assistant number device class");

}  // namespace

std::span<const SettingPresentation> setting_presentations() {
  return kPresentations;
}

SettingPresentation setting_presentation(const WritableEntry& e) {
  const auto* it = std::lower_bound(
      kPresentations.begin(), kPresentations.end(), e.key,
      [](const SettingPresentation& p, std::string_view key) { return p.key < key; });
  if (it != kPresentations.end() && it->key == e.key) return *it;
  return SettingPresentation{.key = e.key, .label = e.key, .device_class = ""};
}

ha::Platform setting_platform(const WritableEntry& e) {
  switch (write_kind(e)) {
    case WriteKind::kNumber:
      return ha::Platform::kNumber;
    case WriteKind::kEnum:
      return ha::Platform::kSelect;
    case WriteKind::kBool:
      return ha::Platform::kSwitch;
  }
  return ha::Platform::kNumber;
}

bool numeric_setting(const WritableEntry& e) {
  return write_kind(e) == WriteKind::kNumber;
}

}  // namespace rct::daemon
