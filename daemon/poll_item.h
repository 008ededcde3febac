#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/data_type.h"
#include "ha/vocabulary.h"

// What the daemon polls and what each reading becomes: one PollItem per OID, carrying the
// sensors (MQTT topics / Home Assistant entities) that a reading of that OID feeds. Built by
// build_poll_list (daemon/poll_list.h) from the catalog (daemon/value_catalog.h) and the config.

namespace rct::daemon {

// How often a value is read (intervals come from PollConfig).
enum class PollClass {
  kFast,    // power flows, SOC, main voltages
  kSlow,    // energy counters, temperatures, the long tail
  kStatic,  // identity, firmware, settings: at start, after reconnect, then rarely
};
std::string_view poll_class_name(PollClass c);

// A read-only value is a kSensor or a kBinarySensor (BOOL).
using Platform = ha::Platform;
using ha::platform_name;

// What a value measures. It decides the Home Assistant vocabulary (device class, unit, state
// class), the scale, the plausible range and the default deadband (value_catalog.h traits).
enum class Quantity {
  kPower,          // W
  kApparentPower,  // VA
  kReactivePower,  // var
  kEnergy,         // Wh
  kCharge,         // Ah
  kCount,          // cycles
  kVoltage,        // V
  kCellVoltage,    // V, millivolt resolution
  kCurrent,        // A
  kFrequency,      // Hz
  kTemperature,    // °C
  kSoc,            // 0..1 on the wire, % published; HA "battery"
  kFraction,       // 0..1 on the wire, % published
  kPowerFactor,    // -1..1
  kResistance,     // Ω
  kNumber,         // a number without a known quantity (user additions)
  kCode,           // status word or bit field, published as the integer
  kText,           // strings, enum texts, version numbers
  kFlag,           // BOOL, a binary_sensor
};
std::string_view quantity_name(Quantity q);

// Sign handling before scaling (docs/protocol.md §15.2).
enum class Sign {
  kAsIs,
  kAbsolute,  // energy.e_grid_feed_*: the device reports feed-in as negative numbers
};

// A sensor computed from its item's reading instead of showing it (docs/mqtt.md §2.2:
// non-negative split power sensors; the signed source is published too).
enum class Derivation {
  kNone,
  kPositivePart,  // max(x, 0): grid import, battery discharge
  kNegativePart,  // max(-x, 0): grid export, battery charge
  // The decoded battery state (core/battery_status.h) from battery.status2 and the latest
  // battery.bat_status reading (daemon/battery_state_sensor.h); text with JSON attributes.
  kBatteryState,
  // The active faults of fault[0..3].flt (core/fault_words.h) from the fault[3] reading and the
  // latest readings of the other three (daemon/fault_sensor.h); text with JSON attributes.
  kFaultState,
};

// Counter semantics for the counter guard (daemon/value_policy.h, docs/protocol.md §15.3).
enum class CounterKind {
  kNone,
  kLifetime,  // total_increasing that never decreases, across restarts too
  kPeriodic,  // day/month/year: rises within its period, drops to about 0 at the boundary
};

// Hardware a value needs (docs/protocol.md §15.7); values whose hardware is absent are not polled.
enum class Requirement { kNone, kPvInputA, kPvInputB, kBattery, kPowerSwitch };
std::string_view requirement_name(Requirement r);

// Plausible range of a reading in the OID's own units, after the sign rule and before scaling.
struct Bounds {
  double min = 0;
  double max = 0;
  bool contains(double v) const { return v >= min && v <= max; }
  friend bool operator==(const Bounds&, const Bounds&) = default;
};

// One published value: an MQTT topic and a Home Assistant entity. Strings are owned because
// config overrides may replace them. An empty Home Assistant string means "field left out".
struct SensorSpec {
  std::string key;        // topic below <base>/<serial>/, e.g. "battery/soc"
  std::string object_id;  // key with '/' → '_': HA component id, unique_id suffix
  std::string name;       // short HA entity name, e.g. "Battery SOC"
  Platform platform = Platform::kSensor;
  Quantity quantity = Quantity::kNumber;
  std::string device_class;
  std::string state_class;
  std::string unit;             // HA's exact spelling: W, Wh, %, °C
  std::string icon;             // "mdi:..."
  std::string entity_category;  // "" or "diagnostic" (ha::kDiagnostic)
  std::optional<int> display_precision;
  bool enabled_by_default = true;
  double scale = 1.0;  // published = value (after sign / derivation) × scale
  Sign sign = Sign::kAsIs;
  Derivation derivation = Derivation::kNone;
  CounterKind counter = CounterKind::kNone;
  std::optional<Bounds> bounds;  // nullopt: any finite value
  double deadband = 0.0;         // published units; a change must exceed it to be published
  bool enum_text = false;        // ENUM with a table: publish the text (core/enum_tables.h)
  // Key of a JSON attributes topic (Home Assistant json_attributes_topic) beside the state;
  // empty: none.
  std::string json_attributes_key;

  friend bool operator==(const SensorSpec&, const SensorSpec&) = default;
};

struct PollItem {
  std::uint32_t oid = 0;
  DataType type = DataType::kUnknown;  // response type
  std::string name;                    // registry name, or "0x...." for an unknown OID
  PollClass poll_class = PollClass::kSlow;
  Millis interval{0};      // 0: read once (and again after every reconnect)
  bool inventory = false;  // docs/protocol.md §15.7: read before everything else
  Requirement requirement = Requirement::kNone;
  std::vector<SensorSpec> sensors;  // empty for inventory OIDs nobody publishes

  friend bool operator==(const PollItem&, const PollItem&) = default;
};

// "battery/soc" → "battery_soc".
std::string object_id_from_key(std::string_view key);

// A text sensor, enabled by default, whose state a derivation builds from several readings and
// whose JSON attributes go to <key>/attributes (the battery state, the faults).
SensorSpec attributed_text_sensor(std::string_view key, std::string_view name,
                                  std::string_view icon, Derivation derivation);

}  // namespace rct::daemon
