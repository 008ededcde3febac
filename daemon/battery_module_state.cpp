#include "daemon/battery_module_state.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/number_text.h"
#include "daemon/battery_cells.h"
#include "daemon/battery_figures.h"

namespace rct::daemon {
namespace {

// `v` rounded to `decimals` as an MQTT payload ("3.312", "-10", "12").
std::string battery_payload(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return payload_number(std::round(v * scale) / scale, false);
}

std::string module_figure_payload(ModuleFigure f, const ModuleFigures& m,
                                  std::optional<std::uint16_t> cycles) {
  const int decimals = figure_look(f).precision;
  switch (f) {
    case ModuleFigure::kVoltageMin:
      return battery_payload(m.voltage_min_mv / 1000.0, decimals);
    case ModuleFigure::kVoltageMax:
      return battery_payload(m.voltage_max_mv / 1000.0, decimals);
    case ModuleFigure::kVoltageMean:
      return battery_payload(m.voltage_mean_mv / 1000.0, decimals);
    case ModuleFigure::kVoltageSpread:
      return battery_payload(m.voltage_spread_mv, decimals);
    case ModuleFigure::kTemperatureMin:
      return battery_payload(m.temperature_min_c, decimals);
    case ModuleFigure::kTemperatureMax:
      return battery_payload(m.temperature_max_c, decimals);
    case ModuleFigure::kResistanceMax:
      return m.resistance_max_mohm ? battery_payload(*m.resistance_max_mohm, decimals) : "";
    case ModuleFigure::kResistanceMean:
      return m.resistance_mean_mohm ? battery_payload(*m.resistance_mean_mohm, decimals) : "";
    case ModuleFigure::kCycles:
      return cycles ? battery_payload(*cycles, 0) : "";
  }
  return "";
}

std::string cells_json(std::size_t tower, std::size_t slot, const std::vector<CellReading>& cells) {
  nlohmann::ordered_json j;
  j["tower"] = tower + 1;
  j["module"] = slot + 1;
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const CellReading& c : cells) {
    nlohmann::ordered_json cell;
    cell["cell"] = c.index + 1;
    cell["voltage"] = c.voltage_mv / 1000.0;  // V
    cell["temperature"] = c.temperature_c;    // °C
    if (c.resistance_mohm) {
      cell["resistance"] = *c.resistance_mohm;  // mΩ
    } else {
      cell["resistance"] = nullptr;
    }
    list.push_back(std::move(cell));
  }
  j["cells"] = std::move(list);
  return j.dump();
}

std::vector<CellReading> slot_cells(const auto& slot) {
  if (!slot.status) return {};
  return module_cells(*slot.status, slot.resistance ? &*slot.resistance : nullptr);
}

}  // namespace

void BatteryModuleState::module_topics(std::size_t tower, std::size_t slot,
                                       std::vector<Topic>& out) const {
  const Slot& s = towers_[tower].slots[slot];
  const std::vector<CellReading> cells = slot_cells(s);
  const auto figures = module_figures(cells);
  if (!figures) return;  // an empty slot
  for (ModuleFigure f : kModuleFigures) {
    std::string payload = module_figure_payload(f, *figures, s.cycles);
    if (!payload.empty()) {
      out.push_back(Topic{module_key(tower, slot, figure_look(f).leaf), std::move(payload)});
    }
  }
  out.push_back(Topic{module_key(tower, slot, kModuleCellsLeaf), cells_json(tower, slot, cells)});
}

void BatteryModuleState::tower_topics(std::size_t tower, std::vector<Topic>& out) const {
  std::vector<std::vector<CellReading>> modules;
  for (const Slot& s : towers_[tower].slots) modules.push_back(slot_cells(s));
  const auto figures = tower_figures(modules);
  if (!figures) return;  // no module in this tower
  if (towers_[tower].soh) {
    out.push_back(Topic{
        tower_key(tower, figure_look(TowerFigure::kSoh).leaf),
        battery_payload(*towers_[tower].soh * 100.0, figure_look(TowerFigure::kSoh).precision)});
  }
  out.push_back(Topic{tower_key(tower, figure_look(TowerFigure::kWeakestCell).leaf),
                      battery_payload(figures->weakest_cell_below_median_mv,
                                      figure_look(TowerFigure::kWeakestCell).precision)});
  if (figures->worst_resistance_above_median_pct) {
    out.push_back(Topic{tower_key(tower, figure_look(TowerFigure::kWorstResistance).leaf),
                        battery_payload(*figures->worst_resistance_above_median_pct,
                                        figure_look(TowerFigure::kWorstResistance).precision)});
  }
}

void BatteryModuleState::topics_of(const ModuleOid& where, std::vector<Topic>& out) const {
  if (where.field != ModuleField::kSoh) module_topics(where.tower, where.slot, out);
  tower_topics(where.tower, out);
}

std::vector<BatteryModuleState::Topic> BatteryModuleState::on_reading(std::uint32_t oid,
                                                                      const Value& value) {
  const auto where = find_module_oid(oid);
  if (!where) return {};
  Tower& tower = towers_[where->tower];
  Slot& slot = tower.slots[where->slot];
  // What this reading's topics held before it: the last payloads published on them.
  std::vector<Topic> before;
  switch (where->field) {
    case ModuleField::kCells: {
      const auto* v = std::get_if<BatteryModuleStatus>(&value);
      if (v == nullptr) return {};
      topics_of(*where, before);
      slot.status = *v;
      break;
    }
    case ModuleField::kResistance: {
      const auto* v = std::get_if<BatteryModuleResistance>(&value);
      if (v == nullptr) return {};
      topics_of(*where, before);
      slot.resistance = *v;
      break;
    }
    case ModuleField::kCycles: {
      const auto* v = std::get_if<std::uint16_t>(&value);
      if (v == nullptr) return {};
      topics_of(*where, before);
      slot.cycles = *v;
      break;
    }
    case ModuleField::kSoh: {
      const auto* v = std::get_if<float>(&value);
      if (v == nullptr || !std::isfinite(*v)) return {};
      topics_of(*where, before);
      tower.soh = *v;
      break;
    }
  }
  std::vector<Topic> after;
  topics_of(*where, after);
  std::erase_if(after, [&before](const Topic& t) {
    return std::find(before.begin(), before.end(), t) != before.end();
  });
  return after;
}

std::vector<BatteryModuleState::Topic> BatteryModuleState::current() const {
  std::vector<Topic> out;
  for (std::size_t tower = 0; tower < kBatteryTowers; ++tower) {
    for (std::size_t slot = 0; slot < kModuleSlots; ++slot) module_topics(tower, slot, out);
    tower_topics(tower, out);
  }
  return out;
}

}  // namespace rct::daemon
