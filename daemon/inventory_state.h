#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/inventory.h"
#include "core/value.h"
#include "daemon/battery_modules.h"
#include "daemon/poll_item.h"

namespace rct::daemon {

// What the daemon has learned about one inverter's hardware from the inventory OIDs
// (core/inventory.h, docs/protocol.md §15.7). nullopt / empty: not read (yet) or not answered.
struct Inventory {
  std::optional<bool> pv_input_a;
  std::optional<bool> pv_input_b;
  std::optional<bool> power_switch;
  std::optional<std::uint8_t> battery_type;  // 5 = no battery
  std::optional<std::uint8_t> battery_count;
  std::optional<bool> external_sensors;
  std::optional<std::uint8_t> plant_role;  // 0 standalone, 1 master, 2 slave
  std::string serial;                      // inverter_sn
  std::string device_name;                 // android_description
  std::string firmware;                    // svnversion
  // Which battery module slots hold a module, from the module cell readings (polled once the
  // inventory says there is a battery; docs/mqtt.md §2.8).
  BatterySlots battery_slots;

  // Records a reading if `oid` is an inventory OID and the value has the expected type.
  // Returns true when something changed.
  bool apply(std::uint32_t oid, const Value& value);

  // Whether the hardware a value needs is present. Unknown counts as present: a missing
  // inventory answer must never hide data, and a value that does not exist just goes
  // unanswered.
  bool satisfies(Requirement r) const;
  std::optional<bool> has_battery() const;

  // For the Home Assistant device block: "Power Storage" with a battery, "Power Inverter"
  // without, "Inverter" when unknown.
  std::string model() const;

  friend bool operator==(const Inventory&, const Inventory&) = default;
};

}  // namespace rct::daemon
