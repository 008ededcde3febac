#include "daemon/inventory_state.h"

#include <utility>

namespace rct::daemon {
namespace {

constexpr std::uint8_t kNoBattery = 5;  // power_mng.battery_type "No battery"

template <typename T, typename Stored>
bool set_if(const Value& value, std::optional<Stored>& field) {
  const T* v = std::get_if<T>(&value);
  if (v == nullptr) return false;
  const Stored s = static_cast<Stored>(*v);
  if (field == s) return false;
  field = s;
  return true;
}

bool set_enum(const Value& value, std::optional<std::uint8_t>& field) {
  const EnumValue* v = std::get_if<EnumValue>(&value);
  if (v == nullptr) return false;
  if (field == v->value) return false;
  field = v->value;
  return true;
}

bool set_string(const Value& value, std::string& field) {
  const std::string* v = std::get_if<std::string>(&value);
  if (v == nullptr || *v == field) return false;
  field = *v;
  return true;
}

}  // namespace

bool Inventory::apply(std::uint32_t oid, const Value& value) {
  if (battery_slots.apply(oid, value)) return true;
  for (const InventoryOid& o : inventory_oids()) {
    if (o.id != oid) continue;
    switch (o.item) {
      case InventoryItem::kPvInputA:
        return set_if<bool>(value, pv_input_a);
      case InventoryItem::kPvInputB:
        return set_if<bool>(value, pv_input_b);
      case InventoryItem::kPowerSwitch:
        return set_if<bool>(value, power_switch);
      case InventoryItem::kBatteryType:
        return set_enum(value, battery_type);
      case InventoryItem::kBatteryCount:
        return set_if<std::uint8_t>(value, battery_count);
      case InventoryItem::kExternalSensors:
        return set_if<bool>(value, external_sensors);
      case InventoryItem::kPlantRole:
        return set_enum(value, plant_role);
      case InventoryItem::kSerialNumber:
        return set_string(value, serial);
      case InventoryItem::kDeviceName:
        return set_string(value, device_name);
      case InventoryItem::kFirmwareVersion:
        return set_string(value, firmware);
    }
  }
  return false;
}

std::optional<bool> Inventory::has_battery() const {
  if (battery_type) return *battery_type != kNoBattery;
  if (battery_count) return *battery_count > 0;
  return std::nullopt;
}

bool Inventory::satisfies(Requirement r) const {
  switch (r) {
    case Requirement::kNone:
      return true;
    case Requirement::kPvInputA:
      return pv_input_a.value_or(true);
    case Requirement::kPvInputB:
      return pv_input_b.value_or(true);
    case Requirement::kBattery:
      return has_battery().value_or(true);
    case Requirement::kPowerSwitch:
      return power_switch.value_or(true);
  }
  return true;
}

std::string Inventory::model() const {
  const auto battery = has_battery();
  if (!battery) return "Inverter";
  return *battery ? "Power Storage" : "Power Inverter";
}

}  // namespace rct::daemon
