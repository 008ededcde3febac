#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/poll_item.h"

// Home Assistant discovery of the fault events (docs/mqtt.md): an `event` entity on
// <base>/<serial>/inverter/fault_event whose event_types list every type the session publishes
// (daemon/fault_sensor.h kFaultEventTypes; Home Assistant drops an event of an unlisted type),
// and two device triggers (device_automation) on the same topic, "fault_raised" and
// "fault_cleared", matching the event's type. Announced only when the fault sensor is polled.
// Full key names; the discovery builder (daemon/discovery.h) places them like its own entities.

namespace rct::daemon {

struct FaultComponent {
  std::string object_id;
  std::string platform;           // "event" or "device_automation"
  nlohmann::ordered_json config;  // without platform, device, origin and availability
  bool entity = true;             // false: a device trigger (no entity, no availability)
};

// `unique_id_prefix`: "rct2mqtt_<serial>"; `event_topic`: the full event topic.
std::vector<FaultComponent> fault_components(const std::vector<PollItem>& items,
                                             std::string_view unique_id_prefix,
                                             const std::string& event_topic);

}  // namespace rct::daemon
