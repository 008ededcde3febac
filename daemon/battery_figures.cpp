#include "daemon/battery_figures.h"

#include "ha/vocabulary.h"

namespace rct::daemon {

FigureLook figure_look(ModuleFigure f) {
  switch (f) {
    case ModuleFigure::kVoltageMin:
      return {"cell_voltage_min",
              "min cell voltage",
              "voltage",
              "V",
              ha::kMeasurement,
              3,
              true,
              "",
              true};
    case ModuleFigure::kVoltageMax:
      return {"cell_voltage_max",
              "max cell voltage",
              "voltage",
              "V",
              ha::kMeasurement,
              3,
              true,
              "",
              true};
    case ModuleFigure::kVoltageMean:
      return {"cell_voltage_mean",
              "mean cell voltage",
              "voltage",
              "V",
              ha::kMeasurement,
              3,
              false,
              "",
              true};
    case ModuleFigure::kVoltageSpread:
      return {"cell_voltage_spread",
              "cell voltage spread",
              "voltage",
              "mV",
              ha::kMeasurement,
              0,
              true,
              "",
              true};
    case ModuleFigure::kTemperatureMin:
      return {"cell_temperature_min",
              "min cell temperature",
              "temperature",
              "°C",
              ha::kMeasurement,
              0,
              true,
              "",
              true};
    case ModuleFigure::kTemperatureMax:
      return {"cell_temperature_max",
              "max cell temperature",
              "temperature",
              "°C",
              ha::kMeasurement,
              0,
              false,
              "",
              true};
    case ModuleFigure::kResistanceMax:
      return {"cell_resistance_max",
              "max cell resistance",
              "",
              "mΩ",
              ha::kMeasurement,
              3,
              false,
              "mdi:omega",
              true};
    case ModuleFigure::kResistanceMean:
      return {"cell_resistance_mean",
              "mean cell resistance",
              "",
              "mΩ",
              ha::kMeasurement,
              3,
              false,
              "mdi:omega",
              true};
    case ModuleFigure::kCycles:
      return {"cycles", "cycles", "", "", ha::kTotalIncreasing, 0, false, "mdi:battery-sync", true};
  }
  return {};
}

FigureLook figure_look(TowerFigure f) {
  switch (f) {
    case TowerFigure::kSoh:
      return {"soh", "state of health",           "",   "%", ha::kMeasurement, 1,
              true,  "mdi:battery-heart-variant", false};
    case TowerFigure::kWeakestCell:
      return {"weakest_cell_below_median",
              "weakest cell below median",
              "voltage",
              "mV",
              ha::kMeasurement,
              1,
              true,
              "",
              true};
    case TowerFigure::kWorstResistance:
      return {"worst_resistance_above_median",
              "worst cell resistance above median",
              "",
              "%",
              ha::kMeasurement,
              1,
              true,
              "mdi:omega",
              true};
  }
  return {};
}

std::string tower_key(std::size_t tower, std::string_view leaf) {
  return "battery/tower_" + std::to_string(tower + 1) + "/" + std::string(leaf);
}

std::string module_key(std::size_t tower, std::size_t slot, std::string_view leaf) {
  return "battery/tower_" + std::to_string(tower + 1) + "/module_" + std::to_string(slot + 1) +
         "/" + std::string(leaf);
}

}  // namespace rct::daemon
