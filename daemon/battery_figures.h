#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace rct::daemon {

// The published battery module and tower figures (docs/mqtt.md §2.8): their topic leaves and
// how Home Assistant shows them. Keys below <base>/<serial>/:
//   battery/tower_<t>/<tower leaf>
//   battery/tower_<t>/module_<m>/<module leaf>
//   battery/tower_<t>/module_<m>/cells      JSON with every cell (Node-RED)
// Towers and modules are numbered from 1.

enum class ModuleFigure {
  kVoltageMin,
  kVoltageMax,
  kVoltageMean,
  kVoltageSpread,
  kTemperatureMin,
  kTemperatureMax,
  kResistanceMax,
  kResistanceMean,
  kCycles,
};
enum class TowerFigure { kSoh, kWeakestCell, kWorstResistance };

inline constexpr std::array kModuleFigures = {
    ModuleFigure::kVoltageMin,    ModuleFigure::kVoltageMax,     ModuleFigure::kVoltageMean,
    ModuleFigure::kVoltageSpread, ModuleFigure::kTemperatureMin, ModuleFigure::kTemperatureMax,
    ModuleFigure::kResistanceMax, ModuleFigure::kResistanceMean, ModuleFigure::kCycles,
};
inline constexpr std::array kTowerFigures = {TowerFigure::kSoh, TowerFigure::kWeakestCell,
                                             TowerFigure::kWorstResistance};

struct FigureLook {
  std::string_view leaf;  // last topic level
  std::string_view name;  // Home Assistant entity name without the module / tower
  std::string_view device_class;
  std::string_view unit;
  std::string_view state_class;
  int precision = 0;        // decimals published and suggested for display
  bool enabled = true;      // Home Assistant enabled_by_default; the long tail is not
  std::string_view icon;    // "" for none
  bool diagnostic = false;  // entity_category diagnostic
};
FigureLook figure_look(ModuleFigure f);
FigureLook figure_look(TowerFigure f);

inline constexpr std::string_view kModuleCellsLeaf = "cells";

std::string tower_key(std::size_t tower, std::string_view leaf);
std::string module_key(std::size_t tower, std::size_t slot, std::string_view leaf);

}  // namespace rct::daemon
