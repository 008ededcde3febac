#pragma once

#include <vector>

#include "daemon/discovery.h"
#include "daemon/inventory_state.h"
#include "daemon/poll_item.h"

namespace rct::daemon {

// Home Assistant discovery of the battery towers (docs/mqtt.md §6.6): each tower with a filled
// module slot (inventory.battery_slots) is a device of its own, `via_device` the inverter, with
// the tower's figures and every filled module's figures (daemon/battery_figures.h). Device mode:
// one message per tower on <prefix>/device/rct2mqtt_<serial>_battery_tower_<t>/config; entity
// mode: one message per entity, as the inverter's. Full key names; compact JSON. Nothing when the
// serial is unknown or no module slot is filled. `items` gives the module poll interval for
// expire_after.
std::vector<DiscoveryMessage> battery_tower_discovery(const DiscoverySettings& settings,
                                                      const Inventory& inventory,
                                                      const std::vector<PollItem>& items);

// "rct2mqtt_<serial>_battery_tower_<t>" (t from 1), the tower device's identifier.
std::string battery_tower_device_id(std::string_view serial, std::size_t tower);

}  // namespace rct::daemon
