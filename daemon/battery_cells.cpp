#include "daemon/battery_cells.h"

#include <algorithm>

namespace rct::daemon {

std::vector<CellReading> module_cells(const BatteryModuleStatus& status,
                                      const BatteryModuleResistance* resistance) {
  std::vector<CellReading> out;
  for (std::size_t i = 0; i < status.cells.size(); ++i) {
    const CellStatus& c = status.cells[i];
    if (c.voltage_mv == 0) continue;  // no cell in this slot
    CellReading r;
    r.index = i;
    r.voltage_mv = c.voltage_mv;
    // The signed byte (-128..127 °C) by way of its unsigned bits.
    const auto bits = static_cast<std::uint8_t>(c.temperature_c);
    r.temperature_c = bits > 127 ? bits - 256 : bits;
    if (resistance != nullptr) r.resistance_mohm = resistance->raw[i] / 256.0;  // 1/256 mΩ
    out.push_back(r);
  }
  return out;
}

std::optional<ModuleFigures> module_figures(std::span<const CellReading> cells) {
  if (cells.empty()) return std::nullopt;
  ModuleFigures f;
  f.voltage_min_mv = cells.front().voltage_mv;
  f.voltage_max_mv = cells.front().voltage_mv;
  f.temperature_min_c = cells.front().temperature_c;
  f.temperature_max_c = cells.front().temperature_c;
  double voltage_sum = 0;
  double resistance_sum = 0;
  std::size_t resistances = 0;
  for (const CellReading& c : cells) {
    f.voltage_min_mv = std::min(f.voltage_min_mv, c.voltage_mv);
    f.voltage_max_mv = std::max(f.voltage_max_mv, c.voltage_mv);
    f.temperature_min_c = std::min(f.temperature_min_c, c.temperature_c);
    f.temperature_max_c = std::max(f.temperature_max_c, c.temperature_c);
    voltage_sum += c.voltage_mv;
    if (c.resistance_mohm && *c.resistance_mohm > 0) {
      f.resistance_max_mohm = std::max(f.resistance_max_mohm.value_or(0), *c.resistance_mohm);
      resistance_sum += *c.resistance_mohm;
      ++resistances;
    }
  }
  f.cell_count = cells.size();
  f.voltage_mean_mv = voltage_sum / static_cast<double>(cells.size());
  f.voltage_spread_mv = f.voltage_max_mv - f.voltage_min_mv;
  if (resistances > 0) f.resistance_mean_mohm = resistance_sum / static_cast<double>(resistances);
  return f;
}

double median_of(std::vector<double>& values) {
  if (values.empty()) return 0;
  const std::size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

std::optional<TowerFigures> tower_figures(std::span<const std::vector<CellReading>> modules) {
  std::vector<double> voltages;
  std::vector<double> resistances;
  for (const auto& cells : modules) {
    for (const CellReading& c : cells) {
      voltages.push_back(c.voltage_mv);
      if (c.resistance_mohm && *c.resistance_mohm > 0) resistances.push_back(*c.resistance_mohm);
    }
  }
  if (voltages.empty()) return std::nullopt;
  TowerFigures f;
  const double lowest = *std::min_element(voltages.begin(), voltages.end());
  f.weakest_cell_below_median_mv = median_of(voltages) - lowest;
  if (!resistances.empty()) {
    const double highest = *std::max_element(resistances.begin(), resistances.end());
    const double median = median_of(resistances);
    if (median > 0) f.worst_resistance_above_median_pct = (highest - median) / median * 100.0;
  }
  return f;
}

}  // namespace rct::daemon
