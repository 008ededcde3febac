#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/discovery.h"
#include "daemon/inventory_state.h"
#include "daemon/poll_item.h"

namespace rct::daemon {

// One sensor of a tower device: its object id and config (full key names, without platform,
// device, origin and availability, which daemon/discovery.cpp adds as for the inverter's).
struct TowerSensor {
  std::string object_id;
  nlohmann::ordered_json config;
};

// A battery tower as a Home Assistant device of its own (docs/mqtt.md §6.6), `via_device` the
// inverter: the device message's object id, the device block, the tower's figures and every
// filled module's figures (daemon/battery_figures.h).
struct TowerDevice {
  std::string object_id;  // rct2mqtt_<serial>_battery_tower_<t>
  nlohmann::ordered_json device;
  std::vector<TowerSensor> sensors;
};

// Every tower with a filled module slot (inventory.battery_slots); nothing when the serial is
// unknown or no slot is filled. daemon/discovery.cpp places them: in device mode one message per
// tower (split like the inverter's if it grows), in entity mode one per entity; keys abbreviated
// there. `items` gives the module poll interval for expire_after.
std::vector<TowerDevice> battery_tower_devices(const DiscoverySettings& settings,
                                               const Inventory& inventory,
                                               const std::vector<PollItem>& items);

// "rct2mqtt_<serial>_battery_tower_<t>" (t from 1), the tower device's identifier.
std::string battery_tower_device_id(std::string_view serial, std::size_t tower);

}  // namespace rct::daemon
