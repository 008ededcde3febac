#include "tools/simulator/battery_towers.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace rct::sim {
namespace {

constexpr std::string_view kTowerPrefixes[] = {"battery.", "battery_placeholder[0]."};

// A fixed per-cell spread so that min / max differ from the mean: -8..+8 mV, -2..+2 °C.
int tower_cell_offset_mv(int module, int cell) {
  return ((module * 24 + cell) * 37) % 17 - 8;
}
int tower_cell_offset_c(int module, int cell) {
  return ((module * 24 + cell) * 7) % 5 - 2;
}

// One index per module across towers, so that tower 2's modules differ from tower 1's.
int module_number(int tower, int slot) {
  return tower * kTowerSlots + slot;
}

}  // namespace

bool module_installed(int tower, int slot) {
  if (tower == 0) return slot >= 0 && slot <= 2;
  if (tower == 1) return slot == 0 || slot == 2;
  return false;
}

std::optional<ModuleSlot> installed_module_slot(std::string_view name, std::string_view field) {
  for (int tower = 0; tower < 2; ++tower) {
    const std::string prefix = std::string(kTowerPrefixes[tower]) + std::string(field) + "[";
    if (name.size() != prefix.size() + 2 || !name.starts_with(prefix) || name.back() != ']') {
      continue;
    }
    const int slot = name[prefix.size()] - '0';
    if (module_installed(tower, slot)) return ModuleSlot{tower, slot};
  }
  return std::nullopt;
}

BatteryModuleStatus module_status(const HouseState& s, int tower, int slot) {
  BatteryModuleStatus status;
  if (!module_installed(tower, slot)) return status;  // an empty slot: 0 V, 0 °C
  const int module = module_number(tower, slot);
  const long base_mv = std::lround(s.cell_voltage * 1000);
  const long base_c = std::lround(s.battery_temperature) + (tower == 1 ? kColdTowerOffsetC : 0);
  for (std::size_t cell = 0; cell < kBatteryCells; ++cell) {
    const int c = static_cast<int>(cell);
    CellStatus& out = status.cells[cell];
    long mv = base_mv + tower_cell_offset_mv(module, c);
    if (tower == kWeakTower && slot == kWeakSlot && cell == kWeakCell) mv += kWeakCellOffsetMv;
    out.voltage_mv = static_cast<std::uint16_t>(std::clamp<long>(mv, 1, 65535));
    out.temperature_c = static_cast<std::int8_t>(
        std::clamp<long>(base_c + tower_cell_offset_c(module, c), -128, 127));
    out.status = 0;
  }
  return status;
}

BatteryModuleResistance module_resistance(int tower, int slot) {
  BatteryModuleResistance r;
  if (!module_installed(tower, slot)) return r;
  const auto module = static_cast<std::size_t>(module_number(tower, slot));
  for (std::size_t cell = 0; cell < kBatteryCells; ++cell) {
    // Around 1.5..2.0 mΩ in 1/256 mΩ units.
    std::uint32_t raw = 0x0180 + ((cell * 29 + module * 53) % 0x80);
    if (tower == kWeakTower && slot == kWeakSlot && cell == kWeakCell) raw = raw * 8 / 5;
    r.raw[cell] = static_cast<std::uint16_t>(raw);
  }
  return r;
}

BatteryModuleStatistics module_statistics(int tower, int slot) {
  const auto m = static_cast<std::uint32_t>(module_number(tower, slot));
  BatteryModuleStatistics s;
  s.u_min = {3 + m % 7, 1650184774 + m * 86400, 3.029f};
  s.u_max = {11 + m % 7, 1722508273 - m * 3600, 3.469f};
  s.t_min = {m % 7, 1705045690 + m * 600, tower == 1 ? -14.0f : 8.0f};
  s.t_max = {14 - m % 7, 1625465883 + m * 60, 38.0f + static_cast<float>(m % 7)};
  return s;
}

}  // namespace rct::sim
