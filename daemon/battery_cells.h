#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/value.h"

namespace rct::daemon {

// Cell statistics of battery modules (docs/mqtt.md §2.8), pure functions over decoded module
// payloads. A cell slot reading 0 mV holds no cell: it is left out of every figure, its
// resistance included.

// One cell as published: voltage mV, temperature °C, resistance mΩ (nullopt: not read yet).
struct CellReading {
  std::size_t index = 0;  // 0-based position in the module payload
  int voltage_mv = 0;
  int temperature_c = 0;
  std::optional<double> resistance_mohm;
};

// The module's cells (empty slots left out); `resistance` may be null (not read yet).
std::vector<CellReading> module_cells(const BatteryModuleStatus& status,
                                      const BatteryModuleResistance* resistance);

struct ModuleFigures {
  int voltage_min_mv = 0;
  int voltage_max_mv = 0;
  double voltage_mean_mv = 0;
  int voltage_spread_mv = 0;  // max - min
  int temperature_min_c = 0;
  int temperature_max_c = 0;
  // Over the cells with a resistance above 0; nullopt without any.
  std::optional<double> resistance_max_mohm;
  std::optional<double> resistance_mean_mohm;
  std::size_t cell_count = 0;
};
// nullopt when no cell is present (an empty module slot).
std::optional<ModuleFigures> module_figures(std::span<const CellReading> cells);

struct TowerFigures {
  // Median cell voltage of the tower minus its lowest cell, mV (≥ 0).
  double weakest_cell_below_median_mv = 0;
  // (highest resistance - median) / median × 100; nullopt without resistances.
  std::optional<double> worst_resistance_above_median_pct;
};
// Over the cells of every module of a tower; nullopt without any cell.
std::optional<TowerFigures> tower_figures(std::span<const std::vector<CellReading>> modules);

// The median of `values` (the mean of the two middle ones for an even count); `values` is
// reordered. 0 when empty.
double median_of(std::vector<double>& values);

}  // namespace rct::daemon
