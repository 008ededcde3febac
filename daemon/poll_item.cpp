#include "daemon/poll_item.h"

namespace rct::daemon {

std::string_view poll_class_name(PollClass c) {
  switch (c) {
    case PollClass::kFast:
      return "fast";
    case PollClass::kSlow:
      return "slow";
    case PollClass::kStatic:
      return "static";
  }
  return "?";
}

std::string_view quantity_name(Quantity q) {
  switch (q) {
    case Quantity::kPower:
      return "power";
    case Quantity::kApparentPower:
      return "apparent_power";
    case Quantity::kReactivePower:
      return "reactive_power";
    case Quantity::kEnergy:
      return "energy";
    case Quantity::kCharge:
      return "charge";
    case Quantity::kCount:
      return "count";
    case Quantity::kVoltage:
      return "voltage";
    case Quantity::kCellVoltage:
      return "cell_voltage";
    case Quantity::kCurrent:
      return "current";
    case Quantity::kFrequency:
      return "frequency";
    case Quantity::kTemperature:
      return "temperature";
    case Quantity::kSoc:
      return "soc";
    case Quantity::kFraction:
      return "fraction";
    case Quantity::kPowerFactor:
      return "power_factor";
    case Quantity::kResistance:
      return "resistance";
    case Quantity::kNumber:
      return "number";
    case Quantity::kCode:
      return "code";
    case Quantity::kText:
      return "text";
    case Quantity::kFlag:
      return "flag";
  }
  return "?";
}

std::string_view requirement_name(Requirement r) {
  switch (r) {
    case Requirement::kNone:
      return "none";
    case Requirement::kPvInputA:
      return "pv_input_a";
    case Requirement::kPvInputB:
      return "pv_input_b";
    case Requirement::kBattery:
      return "battery";
    case Requirement::kPowerSwitch:
      return "power_switch";
  }
  return "?";
}

std::string object_id_from_key(std::string_view key) {
  std::string id(key);
  for (char& c : id) {
    if (c == '/') c = '_';
  }
  return id;
}

SensorSpec attributed_text_sensor(std::string_view key, std::string_view name,
                                  std::string_view icon, Derivation derivation) {
  SensorSpec s;
  s.key = key;
  s.object_id = object_id_from_key(key);
  s.name = name;
  s.platform = Platform::kSensor;
  s.quantity = Quantity::kText;
  s.icon = icon;
  s.enabled_by_default = true;
  s.derivation = derivation;
  s.json_attributes_key = std::string(key) + "/attributes";
  return s;
}

}  // namespace rct::daemon
