#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/value.h"

namespace rct::daemon {

// The battery towers and their module slots as the device exposes them (docs/protocol.md §8.9):
// tower 1 is battery.*, tower 2 battery_placeholder[0].*, seven module slots each. Towers and
// slots are numbered from 0 here and from 1 in topics and names.
inline constexpr std::size_t kBatteryTowers = 2;
inline constexpr std::size_t kModuleSlots = 7;

struct TowerOids {
  std::string_view name_prefix;                    // "battery", "battery_placeholder[0]"
  std::array<std::uint32_t, kModuleSlots> cells;   // BATTERY_MODULE_STATUS
  std::array<std::uint32_t, kModuleSlots> resist;  // BATTERY_MODULE_RESISTANCE
  std::array<std::uint32_t, kModuleSlots> cycles;  // UINT16 stack_cycles
  std::uint32_t soh = 0;                           // FLOAT 0..1, the tower's state of health
};
std::span<const TowerOids, kBatteryTowers> battery_tower_oids();

enum class ModuleField { kCells, kResistance, kCycles, kSoh };
struct ModuleOid {
  std::size_t tower = 0;
  std::size_t slot = 0;  // 0 for kSoh (a tower figure)
  ModuleField field = ModuleField::kCells;
};
// What a module OID is; nullopt for any other OID.
std::optional<ModuleOid> find_module_oid(std::uint32_t oid);

// Which module slots hold a module, learnt from the cell readings: a slot whose cells all read
// 0 V is empty (or its tower absent). Unknown until read: a slot counts as filled only after a
// reading with a cell above 0 V.
class BatterySlots {
 public:
  // Records a cell reading of a module slot; true when the slot changed between filled and
  // empty. Anything else (another OID, a value of another type) is ignored.
  bool apply(std::uint32_t oid, const Value& value);
  bool filled(std::size_t tower, std::size_t slot) const { return filled_[tower][slot]; }
  bool tower_filled(std::size_t tower) const;

  friend bool operator==(const BatterySlots&, const BatterySlots&) = default;

 private:
  std::array<std::array<bool, kModuleSlots>, kBatteryTowers> filled_{};
};

}  // namespace rct::daemon
