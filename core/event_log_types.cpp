#include "core/event_log_types.h"

#include <algorithm>
#include <iterator>

namespace rct {
namespace {

constexpr EventLogType kEventLogTypes[] = {
    {0x31, "UL_UNDER_L1_LV2", "grid undervoltage L1, level 2", true},
    {0x4F, "SW_ON_UMIN_L1", "switch-on condition Umin, phase 1", true},
    {0x50, "SW_ON_UMAX_L1", "switch-on condition Umax, phase 1", true},
    {0x52, "SW_ON_FMAX_L1", "switch-on condition Fmax, phase 1", true},
    {0x53, "SW_ON_UMIN_L2", "switch-on condition Umin, phase 2", true},
    {0x54, "SW_ON_UMAX_L2", "switch-on condition Umax, phase 2", true},
    {0x57, "SW_ON_UMIN_L3", "switch-on condition Umin, phase 3", true},
    {0x58, "SW_ON_UMAX_L3", "switch-on condition Umax, phase 3", true},
    {0x59, "SURGE", "phase failure or surge detected", true},
    {0x5A, "NO_GRID", "grid lost", true},
    {0x61, "PHASE_POS", "phase angle not 120 degrees", true},
    {0x64, "BAT_OVERVOLTAGE", "battery overvoltage", true},
    {0x6B, "CAN_TIMEOUT", "CAN timeout with battery", true},
    {0x72, "BAT_INTERN", "internal battery error", true},
    {0x73, "PRM_CHANGE", "parameter changed", false},
    {0x76, "RESET", "system start or reset", true},
    {0x77, "UPDATE", "firmware updated", false},
    {0x78, "FRT_OVERVOLTAGE", "fault ride-through overvoltage", true},
    {0x79, "FRT_UNDERVOLTAGE", "fault ride-through undervoltage", true},
};

}  // namespace

std::optional<EventLogType> event_log_type(std::uint32_t type) {
  const auto low = static_cast<std::uint8_t>(type & 0xFFu);
  const auto* it = std::find_if(std::begin(kEventLogTypes), std::end(kEventLogTypes),
                                [low](const EventLogType& t) { return t.type == low; });
  if (it == std::end(kEventLogTypes)) return std::nullopt;
  return *it;
}

}  // namespace rct
