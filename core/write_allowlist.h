#pragma once

#include <concepts>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/battery_status.h"
#include "core/data_type.h"
#include "core/enum_tables.h"

namespace rct {

// The only OIDs anything in this project may write (docs/protocol.md §13): each with its bounds
// in the unit people use and the interlocks checked against fresh reads before the WRITE goes
// out. Only safety facts live here; how Home Assistant shows a setting (platform, entity name,
// device class) is the daemon's (daemon/setting_presentation.h). The table is data
// (core/write_allowlist_data.inc, checked at compile time); `com_service` (the flash / reset
// trigger, docs/protocol.md §15.6) is deliberately absent, and a static_assert and a unit test keep
// it so.

// How a command's value is read and checked (write_validation.h). It follows from the OID's
// type, so it is not a column of the table.
enum class WriteKind {
  kNumber,  // a number in the user unit, min..max on the step grid
  kEnum,    // one of the enum values min..max, by label or by number
  kBool,    // ON / OFF (or 1 / 0)
};

// Preconditions checked against values read from the device just before a write
// (write_validation.h). Bit flags of WritableEntry::interlocks.
enum class Interlock : unsigned {
  // power_mng.soc_strategy other than Internal, power_mng.battery_power_extern other than 0 W:
  // only while no bit that WritePolicy::battery blocks is set in battery.bat_status or
  // battery.status2 (by default: calibrating; core/battery_status.h, docs/writes.md §3). Balancing
  // and bat_status 1032 / 2048 are normal operation and pass. Internal and 0 W always pass: they
  // hand control back to the inverter and are the dead-man's revert targets.
  kBatteryBits = 1u << 0,
  // power_mng.soc_strategy = External only while power_mng.battery_power_extern is 0, so that the
  // switch does not apply a power left over from an earlier session.
  kExternPowerZero = 1u << 1,
  // power_mng.battery_power_extern ≠ 0 only while power_mng.soc_strategy is External (2); 0 is
  // always allowed (it is the safe value and the first revert write).
  kStrategyExternal = 1u << 2,
  // The new minimum (soc_min, soc_min_island) must not exceed the current power_mng.soc_max.
  kNotAboveSocMax = 1u << 3,
  // The new power_mng.soc_max must not be below the current soc_min nor soc_min_island.
  kNotBelowSocMins = 1u << 4,
  // power_mng.soc_min must not exceed the current battery.soc: the inverter would charge the
  // battery up to it, from the grid if need be (9.6 kW seen on a real system;
  // docs/protocol.md §13).
  kNotAboveSoc = 1u << 5,
};
inline constexpr unsigned kNoInterlocks = 0;
// The flag set of the interlocks named, as table rows write it: interlocks(Interlock::kA, ...).
template <std::same_as<Interlock>... I>
constexpr unsigned interlocks(I... i) {
  return (0u | ... | static_cast<unsigned>(i));
}
inline constexpr bool has_interlock(unsigned set, Interlock i) {
  return (set & static_cast<unsigned>(i)) != 0;
}
std::string_view interlock_name(Interlock i);  // "battery_bits", "extern_power_zero", ...
inline constexpr Interlock kAllInterlocks[] = {
    Interlock::kBatteryBits,    Interlock::kExternPowerZero, Interlock::kStrategyExternal,
    Interlock::kNotAboveSocMax, Interlock::kNotBelowSocMins, Interlock::kNotAboveSoc,
};

// One writable OID. Values exist in two units: the wire unit of the registry (what READ returns
// and WRITE carries, e.g. a fraction 0..1) and the user unit (`unit`, e.g. "%", what MQTT
// commands and Home Assistant use): user = wire × scale. Bounds and step are in the user unit;
// an enum's bounds are enum values, a BOOL has 0..1.
struct WritableEntry {
  std::uint32_t oid = 0;
  std::string_view name;               // registry name, "power_mng.soc_min"
  std::string_view key;                // MQTT command key, snake_case, stable: "soc_min"
  DataType type = DataType::kUnknown;  // the registry's request type (checked by a unit test)
  std::string_view unit;               // user unit in Home Assistant's spelling: "%", "W", ""
  double scale = 1.0;                  // user = wire × scale
  double min = 0.0;
  double max = 0.0;
  double step = 1.0;
  unsigned interlocks = kNoInterlocks;  // Interlock flags
  std::string_view note;                // what a write does and why the bounds are what they are
};

// kBool for BOOL, kEnum for ENUM, kNumber for FLOAT and the integer types.
constexpr WriteKind write_kind(DataType t) {
  switch (t) {
    case DataType::kBool:
      return WriteKind::kBool;
    case DataType::kEnum:
      return WriteKind::kEnum;
    case DataType::kUnknown:
    case DataType::kUint8:
    case DataType::kInt8:
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kUint32:
    case DataType::kInt32:
    case DataType::kFloat:
    case DataType::kString:
    case DataType::kTimeSeries:
    case DataType::kEventTable:
    case DataType::kBatteryModuleStatus:
    case DataType::kBatteryModuleStatistics:
    case DataType::kBatteryModuleResistance:
      break;  // the table holds only FLOAT and the integer types besides (checked where it is)
  }
  return WriteKind::kNumber;
}
constexpr WriteKind write_kind(const WritableEntry& e) {
  return write_kind(e.type);
}

// The allowlist, sorted by OID.
std::span<const WritableEntry> writable_entries();
const WritableEntry* find_writable(std::uint32_t oid);
const WritableEntry* find_writable(std::string_view name);  // registry name
const WritableEntry* find_writable_key(std::string_view key);

// An enum setting's options: the enum entries of values min..max, ascending (labels from
// enum_tables); empty for other kinds.
std::vector<EnumEntry> enum_options(const WritableEntry& entry);

// OIDs the interlocks read (the values write_validation.h's check_interlocks needs).
// battery.bat_status and battery.status2: kOidBatteryStatus, kOidBatteryStatus2
// (core/battery_status.h).
inline constexpr std::uint32_t kOidBatterySoc = 0x959930BF;          // battery.soc, FLOAT 0..1
inline constexpr std::uint32_t kOidSocStrategy = 0xF168B748;         // power_mng.soc_strategy
inline constexpr std::uint32_t kOidBatteryPowerExtern = 0xBD008E29;  // W, positive = discharge
inline constexpr std::uint32_t kOidSocMin = 0xCE266F0F;
inline constexpr std::uint32_t kOidSocMax = 0x97997C93;
inline constexpr std::uint32_t kOidSocMinIsland = 0x8EBF9574;
// The flash / reset trigger (docs/protocol.md §13, §15.6): never writable. Named so tests can say
// so.
inline constexpr std::uint32_t kOidComService = 0x8FC89B10;

// power_mng.soc_strategy values (docs/protocol.md §15.6).
inline constexpr std::uint8_t kStrategyExternal = 2;
inline constexpr std::uint8_t kStrategyInternal = 4;  // the device default

}  // namespace rct
