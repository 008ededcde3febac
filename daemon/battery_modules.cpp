#include "daemon/battery_modules.h"

#include <algorithm>

namespace rct::daemon {
namespace {

// Ids from the registry (core/registry_data.inc); a unit test checks them against the names.
constexpr std::array<TowerOids, kBatteryTowers> kTowerOids{{
    {"battery",
     {0xF8C0D255, 0x8EF6FBBD, 0x69B8FF28, 0xC8609C8E, 0x1348AB07, 0x62D645D9, 0x40FF01B7},
     {0x649B10DA, 0x71CB0B57, 0xF3FD8CE6, 0x993C06F6, 0xDEE1957F, 0x501A162D, 0xEB4C2597},
     {0xA6C4FD4A, 0x0CFA8BC4, 0x5BA122A5, 0x89B25F4B, 0x5A9EEFF0, 0x2A30A97E, 0x27C39CEA},
     0x381B8BF9},
    {"battery_placeholder[0]",
     {0x4D684EF2, 0x97DC2ECB, 0x2F84A0A9, 0x7C863EDB, 0x1D83D2A5, 0x9095FD74, 0x60435F1C},
     {0x0C2A7286, 0xE19C8B79, 0x7D839AE6, 0xF1DE6E99, 0x1FA192E3, 0xA8FEAEB9, 0x24AC4CBB},
     {0xC937D38D, 0x51E5377D, 0x7BF3886B, 0x90C2AC13, 0x8AFD1410, 0x9AAA9CAA, 0x78228507},
     0x1781CD31},
}};

}  // namespace

std::span<const TowerOids, kBatteryTowers> battery_tower_oids() {
  return kTowerOids;
}

std::optional<ModuleOid> find_module_oid(std::uint32_t oid) {
  for (std::size_t t = 0; t < kBatteryTowers; ++t) {
    const TowerOids& tower = kTowerOids[t];
    if (tower.soh == oid) return ModuleOid{t, 0, ModuleField::kSoh};
    for (std::size_t s = 0; s < kModuleSlots; ++s) {
      if (tower.cells[s] == oid) return ModuleOid{t, s, ModuleField::kCells};
      if (tower.resist[s] == oid) return ModuleOid{t, s, ModuleField::kResistance};
      if (tower.cycles[s] == oid) return ModuleOid{t, s, ModuleField::kCycles};
    }
  }
  return std::nullopt;
}

bool BatterySlots::apply(std::uint32_t oid, const Value& value) {
  const auto* status = std::get_if<BatteryModuleStatus>(&value);
  if (status == nullptr) return false;
  const auto where = find_module_oid(oid);
  if (!where || where->field != ModuleField::kCells) return false;
  const bool filled = std::any_of(status->cells.begin(), status->cells.end(),
                                  [](const CellStatus& c) { return c.voltage_mv > 0; });
  bool& slot = filled_[where->tower][where->slot];
  if (slot == filled) return false;
  slot = filled;
  return true;
}

bool BatterySlots::tower_filled(std::size_t tower) const {
  return std::any_of(filled_[tower].begin(), filled_[tower].end(), [](bool f) { return f; });
}

}  // namespace rct::daemon
