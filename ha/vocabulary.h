#pragma once

#include <algorithm>
#include <span>
#include <string_view>

// Home Assistant's MQTT discovery vocabulary, every list of it this project uses: entity
// platforms, device classes, state classes, entity categories, the units Home Assistant accepts
// per device class, the icon syntax. Strings are Home Assistant's exact spelling (HA 2025).
// Header-only constexpr data, so that the daemon's tables are checked against it at compile
// time; config/ validates user overrides with it and daemon/ builds discovery from it. It depends
// on nothing, so both layers can use it without config/ depending on daemon/.

namespace rct::ha {

// The entity platforms (discovery components) this bridge announces.
enum class Platform {
  kSensor,
  kBinarySensor,
  kNumber,  // a writable number setting: min / max / step / unit
  kSelect,  // a writable enum setting: options
  kSwitch,  // a writable BOOL setting: ON / OFF
};

constexpr std::string_view platform_name(Platform p) {
  switch (p) {
    case Platform::kSensor:
      return "sensor";
    case Platform::kBinarySensor:
      return "binary_sensor";
    case Platform::kNumber:
      return "number";
    case Platform::kSelect:
      return "select";
    case Platform::kSwitch:
      return "switch";
  }
  return "?";
}

inline constexpr std::string_view kMeasurement = "measurement";
inline constexpr std::string_view kTotal = "total";
inline constexpr std::string_view kTotalIncreasing = "total_increasing";

// State classes of a sensor, in the order error messages list them.
inline constexpr std::string_view kStateClasses[] = {kMeasurement, "measurement_angle", kTotal,
                                                     kTotalIncreasing};

inline constexpr std::string_view kDiagnostic = "diagnostic";
inline constexpr std::string_view kConfig = "config";  // settings only: HA refuses it on sensors

// Entity categories, in the order error messages list them.
inline constexpr std::string_view kEntityCategories[] = {kDiagnostic, kConfig};

// Sensor device classes. wind_direction and wind_speed are left out: nothing on an inverter
// measures wind.
inline constexpr std::string_view kSensorDeviceClasses[] = {
    "apparent_power",
    "aqi",
    "area",
    "atmospheric_pressure",
    "battery",
    "blood_glucose_concentration",
    "carbon_dioxide",
    "carbon_monoxide",
    "conductivity",
    "current",
    "data_rate",
    "data_size",
    "date",
    "distance",
    "duration",
    "energy",
    "energy_distance",
    "energy_storage",
    "enum",
    "frequency",
    "gas",
    "humidity",
    "illuminance",
    "irradiance",
    "moisture",
    "monetary",
    "nitrogen_dioxide",
    "nitrogen_monoxide",
    "nitrous_oxide",
    "ozone",
    "ph",
    "pm1",
    "pm10",
    "pm25",
    "power",
    "power_factor",
    "precipitation",
    "precipitation_intensity",
    "pressure",
    "reactive_power",
    "signal_strength",
    "sound_pressure",
    "speed",
    "sulphur_dioxide",
    "temperature",
    "timestamp",
    "volatile_organic_compounds",
    "volatile_organic_compounds_parts",
    "voltage",
    "volume",
    "volume_flow_rate",
    "volume_storage",
    "water",
    "weight",
};

// Sensor device classes whose state is not a number; every other one is also a number device
// class.
inline constexpr std::string_view kNonNumericDeviceClasses[] = {"date", "enum", "timestamp"};

// Binary sensor device classes. window is left out: nothing on an inverter has one.
inline constexpr std::string_view kBinarySensorDeviceClasses[] = {
    "battery",
    "battery_charging",
    "carbon_monoxide",
    "cold",
    "connectivity",
    "door",
    "garage_door",
    "gas",
    "heat",
    "light",
    "lock",
    "moisture",
    "motion",
    "moving",
    "occupancy",
    "opening",
    "plug",
    "power",
    "presence",
    "problem",
    "running",
    "safety",
    "smoke",
    "sound",
    "tamper",
    "update",
    "vibration",
};

// The units Home Assistant accepts for the device classes of electrical and thermal values, and
// the state classes it allows with them (its DEVICE_CLASS_UNITS and DEVICE_CLASS_STATE_CLASSES).
// "" is "no unit". The bridge's own tables use no other device class (checked where they are).
struct DeviceClassRule {
  std::string_view device_class;
  std::span<const std::string_view> units;
  std::span<const std::string_view> state_classes;
};

namespace detail {
inline constexpr std::string_view kMeasurementOnly[] = {kMeasurement};
inline constexpr std::string_view kTotals[] = {kTotal, kTotalIncreasing};
inline constexpr std::string_view kApparentPowerUnits[] = {"VA"};
inline constexpr std::string_view kPercentUnits[] = {"%"};
inline constexpr std::string_view kCurrentUnits[] = {"mA", "A"};
inline constexpr std::string_view kEnergyUnits[] = {
    "J", "kJ", "MJ", "GJ", "mWh", "Wh", "kWh", "MWh", "GWh", "TWh", "cal", "kcal", "Mcal", "Gcal"};
inline constexpr std::string_view kFrequencyUnits[] = {"Hz", "kHz", "MHz", "GHz"};
inline constexpr std::string_view kPowerUnits[] = {"mW", "W", "kW", "MW", "GW", "TW"};
inline constexpr std::string_view kPowerFactorUnits[] = {"%", ""};
inline constexpr std::string_view kReactivePowerUnits[] = {"var", "kvar"};
inline constexpr std::string_view kTemperatureUnits[] = {"°C", "°F", "K"};
inline constexpr std::string_view kVoltageUnits[] = {"\u00b5V", "mV", "V", "kV", "MV"};
}  // namespace detail

inline constexpr DeviceClassRule kDeviceClassRules[] = {
    {"apparent_power", detail::kApparentPowerUnits, detail::kMeasurementOnly},
    {"battery", detail::kPercentUnits, detail::kMeasurementOnly},
    {"current", detail::kCurrentUnits, detail::kMeasurementOnly},
    {"energy", detail::kEnergyUnits, detail::kTotals},
    {"frequency", detail::kFrequencyUnits, detail::kMeasurementOnly},
    {"power", detail::kPowerUnits, detail::kMeasurementOnly},
    {"power_factor", detail::kPowerFactorUnits, detail::kMeasurementOnly},
    {"reactive_power", detail::kReactivePowerUnits, detail::kMeasurementOnly},
    {"temperature", detail::kTemperatureUnits, detail::kMeasurementOnly},
    {"voltage", detail::kVoltageUnits, detail::kMeasurementOnly},
};

constexpr bool one_of(std::span<const std::string_view> list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

constexpr bool is_state_class(std::string_view s) {
  return one_of(kStateClasses, s);
}

constexpr bool is_entity_category(std::string_view s) {
  return one_of(kEntityCategories, s);
}

// A sensor or binary sensor device class: what a user may name for a polled value, whose
// platform follows from its type.
constexpr bool is_device_class(std::string_view s) {
  return one_of(kSensorDeviceClasses, s) || one_of(kBinarySensorDeviceClasses, s);
}

constexpr bool is_device_class(Platform p, std::string_view s) {
  switch (p) {
    case Platform::kSensor:
      return one_of(kSensorDeviceClasses, s);
    case Platform::kBinarySensor:
      return one_of(kBinarySensorDeviceClasses, s);
    case Platform::kNumber:
      return one_of(kSensorDeviceClasses, s) && !one_of(kNonNumericDeviceClasses, s);
    case Platform::kSelect:
    case Platform::kSwitch:
      return false;  // none used here
  }
  return false;
}

// Whether a sensor (or number) of `device_class` may have `unit` and `state_class` ("" for
// none): false for a device class without a rule in kDeviceClassRules.
constexpr bool fits_device_class(std::string_view device_class, std::string_view unit,
                                 std::string_view state_class) {
  for (const DeviceClassRule& r : kDeviceClassRules) {
    if (r.device_class != device_class) continue;
    return one_of(r.units, unit) && (state_class.empty() || one_of(r.state_classes, state_class));
  }
  return false;
}

// An icon such as "mdi:solar-power": a prefix and a name of lower-case letters, digits, '-', '_'.
constexpr bool is_icon(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size()) return false;
  const auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  };
  const std::string_view prefix = s.substr(0, colon);
  const std::string_view name = s.substr(colon + 1);
  return std::all_of(prefix.begin(), prefix.end(), ok) && std::all_of(name.begin(), name.end(), ok);
}

}  // namespace rct::ha
