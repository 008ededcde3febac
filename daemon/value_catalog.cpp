#include "daemon/value_catalog.h"

#include <array>
#include <cstddef>

#include "core/enum_tables.h"

namespace rct::daemon {
namespace {

using Q = Quantity;
using P = PollClass;
using R = Requirement;

constexpr CatalogEntry kCatalog[] = {
#include "daemon/value_catalog_data.inc"
};

// Signs as documented in docs/mqtt.md §2.2 / docs/protocol.md §15.2: grid power positive = import,
// battery power positive = discharge. The split sensors are both ≥ 0.
constexpr DerivedEntry kDerived[] = {
    {0x91617C58, "grid/import_power", "Grid import power", Derivation::kPositivePart},
    {0x91617C58, "grid/export_power", "Grid export power", Derivation::kNegativePart},
    {0x400F015B, "battery/discharge_power", "Battery discharge power", Derivation::kPositivePart},
    {0x400F015B, "battery/charge_power", "Battery charge power", Derivation::kNegativePart},
};

constexpr double kMaxPowerW = 100'000.0;  // far above any RCT model (≤ 20 kW)

// Indexed by Quantity. Units are HA's exact strings and frozen (docs/mqtt.md §2.3).
// Deadbands are in published units and sit just above the measurement noise.
const std::array<QuantityTraits, 19> kTraits = {{
    // kPower
    {Platform::kSensor, "power", "measurement", "W", 1, 0, Bounds{-kMaxPowerW, kMaxPowerW}, 1},
    // kApparentPower
    {Platform::kSensor, "apparent_power", "measurement", "VA", 1, 0,
     Bounds{-kMaxPowerW, kMaxPowerW}, 1},
    // kReactivePower
    {Platform::kSensor, "reactive_power", "measurement", "var", 1, 0,
     Bounds{-kMaxPowerW, kMaxPowerW}, 1},
    // kEnergy: 10 GWh is far beyond any inverter lifetime; counters override state_class.
    {Platform::kSensor, "energy", "total", "Wh", 1, 0, Bounds{0, 1e10}, 0},
    // kCharge: HA has no device class for Ah.
    {Platform::kSensor, "", "measurement", "Ah", 1, 1, Bounds{0, 1e8}, 0},
    // kCount
    {Platform::kSensor, "", "measurement", "", 1, 0, Bounds{0, 1e7}, 0},
    // kVoltage: small negative readings are ADC offsets at night.
    {Platform::kSensor, "voltage", "measurement", "V", 1, 1, Bounds{-100, 2000}, 0.2},
    // kCellVoltage
    {Platform::kSensor, "voltage", "measurement", "V", 1, 3, Bounds{0, 10}, 0.001},
    // kCurrent
    {Platform::kSensor, "current", "measurement", "A", 1, 2, Bounds{-1000, 1000}, 0.01},
    // kFrequency: 0 while the PLL is not locked.
    {Platform::kSensor, "frequency", "measurement", "Hz", 1, 2, Bounds{0, 100}, 0.01},
    // kTemperature
    {Platform::kSensor, "temperature", "measurement", "°C", 1, 1, Bounds{-60, 200}, 0.1},
    // kSoc: a 0..1 fraction on the wire (docs/protocol.md §15.2), % in HA.
    {Platform::kSensor, "battery", "measurement", "%", 100, 0, Bounds{0, 1.01}, 0},
    // kFraction: efficiency may exceed 1 briefly after a calibration.
    {Platform::kSensor, "", "measurement", "%", 100, 1, Bounds{0, 2}, 0},
    // kPowerFactor
    {Platform::kSensor, "power_factor", "measurement", "", 1, 2, Bounds{-1.01, 1.01}, 0.01},
    // kResistance: HA has no device class for Ω.
    {Platform::kSensor, "", "measurement", "Ω", 1, 0, Bounds{0, 1e12}, 0},
    // kNumber
    {Platform::kSensor, "", "measurement", "", 1, -1, std::nullopt, 0},
    // kCode
    {Platform::kSensor, "", "", "", 1, -1, std::nullopt, 0},
    // kText
    {Platform::kSensor, "", "", "", 1, -1, std::nullopt, 0},
    // kFlag
    {Platform::kBinarySensor, "", "", "", 1, -1, std::nullopt, 0},
}};
static_assert(static_cast<std::size_t>(Quantity::kFlag) + 1 == 19, "one trait row per Quantity");

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
  if ((e.flags & kDiagnostic) != 0) s.entity_category = "diagnostic";
  s.scale = t.scale;
  s.sign = (e.flags & kAbsolute) != 0 ? Sign::kAbsolute : Sign::kAsIs;
  if ((e.flags & kLifetime) != 0) {
    s.counter = CounterKind::kLifetime;
    s.state_class = "total_increasing";
  } else if ((e.flags & kPeriodic) != 0) {
    // total_increasing treats the drop at the period boundary as a meter reset
    // (docs/protocol.md §15.3).
    s.counter = CounterKind::kPeriodic;
    s.state_class = "total_increasing";
  }
  s.bounds = t.bounds;
  s.deadband = t.deadband;
  s.enum_text = type == DataType::kEnum && !enum_entries(e.oid).empty();
  return s;
}

SensorSpec sensor_from_derived(const DerivedEntry& d, const SensorSpec& source) {
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
