#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/value.h"
#include "tools/simulator/house_model.h"

namespace rct::sim {

// The simulated battery modules (docs/mqtt.md §2.8): tower 1 (battery.*) holds modules in slots
// 0..2; tower 2 (battery_placeholder[0].*) in slots 0 and 2, with slot 1 empty (its cells read
// 0 V, as every slot without a module). Cells spread by a few mV around the stack's cell
// voltage; cell 18 of tower 1's module 2 is weak (kWeakCellOffsetMv, resistance ×1.6). Tower 2
// stands in a cold garage: its cells are kColdTowerOffsetC below the battery temperature, below
// 0 °C at the model's usual 20-25 °C.
inline constexpr int kTowerSlots = 7;
inline constexpr int kWeakTower = 0;
inline constexpr int kWeakSlot = 1;
inline constexpr std::size_t kWeakCell = 17;
inline constexpr int kWeakCellOffsetMv = -45;
inline constexpr int kColdTowerOffsetC = -32;

bool module_installed(int tower, int slot);

// Tower and slot (from 0) of "battery.<field>[i]" (tower 0) or
// "battery_placeholder[0].<field>[i]" (tower 1) when that slot holds a module.
struct ModuleSlot {
  int tower = 0;
  int slot = 0;
};
std::optional<ModuleSlot> installed_module_slot(std::string_view name, std::string_view field);

BatteryModuleStatus module_status(const HouseState& s, int tower, int slot);
BatteryModuleResistance module_resistance(int tower, int slot);
BatteryModuleStatistics module_statistics(int tower, int slot);

}  // namespace rct::sim
