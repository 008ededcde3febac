#include "daemon/value_catalog.h"

#include <algorithm>
#include <array>
#include <cstddef>

#include "core/enum_tables.h"
#include "core/required.h"
#include "daemon/battery_state_sensor.h"
#include "daemon/fault_sensor.h"
#include "ha/vocabulary.h"

namespace rct::daemon {
namespace {

using Q = Quantity;
using P = PollClass;
using R = Requirement;

// A row of daemon/value_catalog_data.inc: every field must be named (Required has no default).
struct CatalogRow {
  Required<std::uint32_t> oid;
  Required<std::string_view> key;
  Required<std::string_view> name;
  Required<Quantity> quantity;
  Required<PollClass> poll;
  Required<Requirement> requirement;
  Required<unsigned> flags;
};

constexpr CatalogRow kCatalogRows[] = {
#include "daemon/value_catalog_data.inc"
};

constexpr std::array<CatalogEntry, std::size(kCatalogRows)> catalog_of_rows() {
  std::array<CatalogEntry, std::size(kCatalogRows)> out{};
  for (std::size_t i = 0; i < out.size(); ++i) {
    const CatalogRow& r = kCatalogRows[i];
    out[i] = CatalogEntry{.oid = r.oid.value,
                          .key = r.key.value,
                          .name = r.name.value,
                          .quantity = r.quantity.value,
                          .poll = r.poll.value,
                          .requirement = r.requirement.value,
                          .flags = r.flags.value};
  }
  return out;
}

constexpr std::array<CatalogEntry, std::size(kCatalogRows)> kCatalog = catalog_of_rows();

// Signs as documented in docs/mqtt.md / docs/protocol.md §15.2: grid power positive = import,
// battery power positive = discharge. The split sensors are both ≥ 0.
constexpr DerivedEntry kDerived[] = {
    {.source_oid = 0x91617C58,
     .key = "grid/import_power",
     .name = "Grid import power",
     .derivation = Derivation::kPositivePart},
    {.source_oid = 0x91617C58,
     .key = "grid/export_power",
     .name = "Grid export power",
     .derivation = Derivation::kNegativePart},
    {.source_oid = 0x400F015B,
     .key = "battery/discharge_power",
     .name = "Battery discharge power",
     .derivation = Derivation::kPositivePart},
    {.source_oid = 0x400F015B,
     .key = "battery/charge_power",
     .name = "Battery charge power",
     .derivation = Derivation::kNegativePart},
    // battery.status2 with battery.bat_status (docs/mqtt.md, docs/protocol.md §14.2).
    {.source_oid = 0x0DE3D20D,
     .key = "battery/state",
     .name = "Battery state",
     .derivation = Derivation::kBatteryState},
    // fault[3].flt with fault[0..2].flt (docs/mqtt.md, docs/protocol.md §14.1).
    {.source_oid = 0x7F813D73,
     .key = "inverter/faults",
     .name = "Faults",
     .derivation = Derivation::kFaultState},
};

constexpr double kMaxPowerW = 100'000.0;  // far above any RCT model (≤ 20 kW)

// QuantityTraits as written in traits_of: every field named.
struct TraitsRow {
  Required<ha::Platform> platform;
  Required<std::string_view> device_class;
  Required<std::string_view> state_class;
  Required<std::string_view> unit;
  Required<double> scale;
  Required<int> precision;
  Required<std::optional<Bounds>> bounds;
  Required<double> deadband;
};

// Units are Home Assistant's exact strings and frozen (docs/mqtt.md). Deadbands are in published
// units and sit just above the measurement noise. A switch, so that every Quantity has its row
// (-Wswitch) and reordering the enum cannot shift one.
constexpr TraitsRow traits_row(Quantity q) {
  using ha::kMeasurement;
  constexpr auto kSensor = ha::Platform::kSensor;
  constexpr Bounds kPowerBounds{.min = -kMaxPowerW, .max = kMaxPowerW};
  switch (q) {
    case Q::kPower:
      return {.platform = kSensor,
              .device_class = "power",
              .state_class = kMeasurement,
              .unit = "W",
              .scale = 1,
              .precision = 0,
              .bounds = kPowerBounds,
              .deadband = 1};
    case Q::kApparentPower:
      return {.platform = kSensor,
              .device_class = "apparent_power",
              .state_class = kMeasurement,
              .unit = "VA",
              .scale = 1,
              .precision = 0,
              .bounds = kPowerBounds,
              .deadband = 1};
    case Q::kReactivePower:
      return {.platform = kSensor,
              .device_class = "reactive_power",
              .state_class = kMeasurement,
              .unit = "var",
              .scale = 1,
              .precision = 0,
              .bounds = kPowerBounds,
              .deadband = 1};
    case Q::kEnergy:
      // 10 GWh is far beyond any inverter lifetime; counters override state_class.
      return {.platform = kSensor,
              .device_class = "energy",
              .state_class = ha::kTotal,
              .unit = "Wh",
              .scale = 1,
              .precision = 0,
              .bounds = Bounds{.min = 0, .max = 1e10},
              .deadband = 0};
    case Q::kCharge:
      // Home Assistant has no device class for Ah.
      return {.platform = kSensor,
              .device_class = "",
              .state_class = kMeasurement,
              .unit = "Ah",
              .scale = 1,
              .precision = 1,
              .bounds = Bounds{.min = 0, .max = 1e8},
              .deadband = 0};
    case Q::kCount:
      return {.platform = kSensor,
              .device_class = "",
              .state_class = kMeasurement,
              .unit = "",
              .scale = 1,
              .precision = 0,
              .bounds = Bounds{.min = 0, .max = 1e7},
              .deadband = 0};
    case Q::kVoltage:
      // Small negative readings are ADC offsets at night.
      return {.platform = kSensor,
              .device_class = "voltage",
              .state_class = kMeasurement,
              .unit = "V",
              .scale = 1,
              .precision = 1,
              .bounds = Bounds{.min = -100, .max = 2000},
              .deadband = 0.2};
    case Q::kCellVoltage:
      return {.platform = kSensor,
              .device_class = "voltage",
              .state_class = kMeasurement,
              .unit = "V",
              .scale = 1,
              .precision = 3,
              .bounds = Bounds{.min = 0, .max = 10},
              .deadband = 0.001};
    case Q::kCurrent:
      return {.platform = kSensor,
              .device_class = "current",
              .state_class = kMeasurement,
              .unit = "A",
              .scale = 1,
              .precision = 2,
              .bounds = Bounds{.min = -1000, .max = 1000},
              .deadband = 0.01};
    case Q::kFrequency:
      // 0 while the PLL is not locked.
      return {.platform = kSensor,
              .device_class = "frequency",
              .state_class = kMeasurement,
              .unit = "Hz",
              .scale = 1,
              .precision = 2,
              .bounds = Bounds{.min = 0, .max = 100},
              .deadband = 0.01};
    case Q::kTemperature:
      return {.platform = kSensor,
              .device_class = "temperature",
              .state_class = kMeasurement,
              .unit = "°C",
              .scale = 1,
              .precision = 1,
              .bounds = Bounds{.min = -60, .max = 200},
              .deadband = 0.1};
    case Q::kSoc:
      // A 0..1 fraction on the wire (docs/protocol.md §15.2), % in Home Assistant.
      return {.platform = kSensor,
              .device_class = "battery",
              .state_class = kMeasurement,
              .unit = "%",
              .scale = 100,
              .precision = 0,
              .bounds = Bounds{.min = 0, .max = 1.01},
              .deadband = 0};
    case Q::kFraction:
      // Efficiency may exceed 1 briefly after a calibration.
      return {.platform = kSensor,
              .device_class = "",
              .state_class = kMeasurement,
              .unit = "%",
              .scale = 100,
              .precision = 1,
              .bounds = Bounds{.min = 0, .max = 2},
              .deadband = 0};
    case Q::kPowerFactor:
      return {.platform = kSensor,
              .device_class = "power_factor",
              .state_class = kMeasurement,
              .unit = "",
              .scale = 1,
              .precision = 2,
              .bounds = Bounds{.min = -1.01, .max = 1.01},
              .deadband = 0.01};
    case Q::kResistance:
      // Home Assistant has no device class for Ω.
      return {.platform = kSensor,
              .device_class = "",
              .state_class = kMeasurement,
              .unit = "Ω",
              .scale = 1,
              .precision = 0,
              .bounds = Bounds{.min = 0, .max = 1e12},
              .deadband = 0};
    case Q::kNumber:
      return {.platform = kSensor,
              .device_class = "",
              .state_class = kMeasurement,
              .unit = "",
              .scale = 1,
              .precision = -1,
              .bounds = std::nullopt,
              .deadband = 0};
    case Q::kCode:
    case Q::kText:
      return {.platform = kSensor,
              .device_class = "",
              .state_class = "",
              .unit = "",
              .scale = 1,
              .precision = -1,
              .bounds = std::nullopt,
              .deadband = 0};
    case Q::kFlag:
      return {.platform = ha::Platform::kBinarySensor,
              .device_class = "",
              .state_class = "",
              .unit = "",
              .scale = 1,
              .precision = -1,
              .bounds = std::nullopt,
              .deadband = 0};
  }
  return {.platform = kSensor,
          .device_class = "",
          .state_class = "",
          .unit = "",
          .scale = 1,
          .precision = -1,
          .bounds = std::nullopt,
          .deadband = 0};
}

constexpr std::size_t kQuantities = static_cast<std::size_t>(Quantity::kFlag) + 1;

constexpr std::array<QuantityTraits, kQuantities> traits_of_every_quantity() {
  std::array<QuantityTraits, kQuantities> out{};
  for (std::size_t i = 0; i < kQuantities; ++i) {
    const TraitsRow r = traits_row(static_cast<Quantity>(i));
    out[i] = QuantityTraits{.platform = r.platform.value,
                            .device_class = r.device_class.value,
                            .state_class = r.state_class.value,
                            .unit = r.unit.value,
                            .scale = r.scale.value,
                            .precision = r.precision.value,
                            .bounds = r.bounds.value,
                            .deadband = r.deadband.value};
  }
  return out;
}

constexpr std::array<QuantityTraits, kQuantities> kTraits = traits_of_every_quantity();

// Compile-time checks of the tables above. The unit tests check what needs the registry.

template <typename T, std::size_t N, typename Pred>
constexpr bool every_row_of(const std::array<T, N>& table, Pred pred) {
  return std::all_of(table.begin(), table.end(), pred);
}

constexpr bool traits_consistent(const QuantityTraits& t) {
  if (!(t.scale > 0 && t.deadband >= 0 && t.precision >= -1)) return false;
  if (t.bounds && !(t.bounds->min < t.bounds->max)) return false;
  if (!t.state_class.empty() && !ha::is_state_class(t.state_class)) return false;
  switch (t.platform) {
    case ha::Platform::kSensor:
      // Counters publish as total_increasing: that must fit the device class too.
      return t.device_class.empty() ||
             (ha::is_device_class(t.platform, t.device_class) &&
              ha::fits_device_class(t.device_class, t.unit, t.state_class) &&
              (t.state_class != ha::kTotal ||
               ha::fits_device_class(t.device_class, t.unit, ha::kTotalIncreasing)));
    case ha::Platform::kBinarySensor:
      return t.unit.empty() && t.state_class.empty() && t.precision == -1 && !t.bounds &&
             (t.device_class.empty() || ha::is_device_class(t.platform, t.device_class));
    case ha::Platform::kNumber:
    case ha::Platform::kSelect:
    case ha::Platform::kSwitch:
      return false;  // read-only values are sensors
  }
  return false;
}
static_assert(every_row_of(kTraits, traits_consistent),
              "traits_row: a bound, scale, deadband or Home Assistant word does not fit (device "
              "class, unit and state class as ha/vocabulary.h allows them)");

constexpr bool key_syntax(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '/';
    if (!ok || (c == '/' && key[i - 1] == '/')) return false;
  }
  return true;
}

constexpr unsigned kKnownFlags = kDisabled | kDiagnostic | kLifetime | kPeriodic | kAbsolute;

static_assert(every_row_of(kCatalog,
                           [](const CatalogEntry& e) {
                             return key_syntax(e.key) && !e.name.empty() &&
                                    (e.flags & ~kKnownFlags) == 0 &&
                                    (e.flags & (kLifetime | kPeriodic)) != (kLifetime | kPeriodic);
                           }),
              "daemon/value_catalog_data.inc: keys are lower case words and '/' levels, names "
              "are required, flags are known and lifetime / periodic are exclusive");

constexpr bool unique_oids_and_keys() {
  for (std::size_t i = 0; i < kCatalog.size(); ++i) {
    for (std::size_t j = i + 1; j < kCatalog.size(); ++j) {
      if (kCatalog[i].oid == kCatalog[j].oid || kCatalog[i].key == kCatalog[j].key) return false;
    }
    for (const DerivedEntry& d : kDerived) {
      if (kCatalog[i].key == d.key) return false;
    }
  }
  return true;
}
static_assert(unique_oids_and_keys(), "daemon/value_catalog_data.inc: an OID or key twice");

bool is_integer(DataType t) {
  switch (t) {
    case DataType::kUint8:
    case DataType::kInt8:
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kUint32:
    case DataType::kInt32:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::span<const CatalogEntry> catalog() {
  return kCatalog;
}

std::span<const DerivedEntry> derived_sensors() {
  return kDerived;
}

const CatalogEntry* find_catalog_entry(std::uint32_t oid) {
  for (const CatalogEntry& e : kCatalog) {
    if (e.oid == oid) return &e;
  }
  return nullptr;
}

const QuantityTraits& quantity_traits(Quantity q) {
  return kTraits[static_cast<std::size_t>(q)];
}

bool quantity_accepts(Quantity q, DataType t) {
  switch (q) {
    case Quantity::kPower:
    case Quantity::kApparentPower:
    case Quantity::kReactivePower:
    case Quantity::kEnergy:
    case Quantity::kCharge:
    case Quantity::kVoltage:
    case Quantity::kCellVoltage:
    case Quantity::kCurrent:
    case Quantity::kFrequency:
    case Quantity::kTemperature:
    case Quantity::kSoc:
    case Quantity::kFraction:
    case Quantity::kPowerFactor:
    case Quantity::kResistance:
      return t == DataType::kFloat;
    case Quantity::kCount:
    case Quantity::kNumber:
      return t == DataType::kFloat || is_integer(t);
    case Quantity::kCode:
      return is_integer(t) || t == DataType::kEnum;
    case Quantity::kText:
      return t == DataType::kString || t == DataType::kEnum || is_integer(t);
    case Quantity::kFlag:
      return t == DataType::kBool;
  }
  return false;
}

SensorSpec sensor_from_catalog(const CatalogEntry& e, DataType type) {
  const QuantityTraits& t = quantity_traits(e.quantity);
  SensorSpec s;
  s.key = e.key;
  s.object_id = object_id_from_key(e.key);
  s.name = e.name;
  s.platform = t.platform;
  s.quantity = e.quantity;
  s.device_class = t.device_class;
  s.state_class = t.state_class;
  s.unit = t.unit;
  if (t.precision >= 0) s.display_precision = t.precision;
  s.enabled_by_default = (e.flags & kDisabled) == 0;
  if ((e.flags & kDiagnostic) != 0) s.entity_category = ha::kDiagnostic;
  s.scale = t.scale;
  s.sign = (e.flags & kAbsolute) != 0 ? Sign::kAbsolute : Sign::kAsIs;
  if ((e.flags & kLifetime) != 0) {
    s.counter = CounterKind::kLifetime;
    s.state_class = ha::kTotalIncreasing;
  } else if ((e.flags & kPeriodic) != 0) {
    // total_increasing treats the drop at the period boundary as a meter reset
    // (docs/protocol.md §15.3).
    s.counter = CounterKind::kPeriodic;
    s.state_class = ha::kTotalIncreasing;
  }
  s.bounds = t.bounds;
  s.deadband = t.deadband;
  s.enum_text = type == DataType::kEnum && !enum_entries(e.oid).empty();
  return s;
}

SensorSpec sensor_from_derived(const DerivedEntry& d, const SensorSpec& source) {
  if (d.derivation == Derivation::kBatteryState) return battery_state_sensor(d.key, d.name);
  if (d.derivation == Derivation::kFaultState) return fault_sensor(d.key, d.name);
  SensorSpec s = source;
  s.key = d.key;
  s.object_id = object_id_from_key(d.key);
  s.name = d.name;
  s.derivation = d.derivation;
  s.sign = Sign::kAsIs;
  s.counter = CounterKind::kNone;
  return s;
}

}  // namespace rct::daemon
