#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

// Home Assistant discovery of the bridge's buttons (daemon/bridge_actions.h, docs/mqtt.md §7.6):
// one `button` entity per action, "Republish discovery" and "Reconnect inverter", with
// command_topic <base>/<serial>/bridge/<action>/set, payload_press "PRESS", QoS 1,
// entity_category config (Home Assistant's category for buttons that act on a device). They
// follow the bridge LWT only, like the bridge's diagnostics: a reconnect is what one presses
// while the inverter is unreachable. Full key names; the discovery builder (daemon/discovery.h)
// places them like its own entities.

namespace rct::daemon {

inline constexpr std::string_view kButtonPlatform = "button";

struct ButtonComponent {
  std::string object_id;          // bridge_<action>
  nlohmann::ordered_json config;  // without platform, device and origin; with availability
};

// `serial_id`: topic_id of the serial.
std::vector<ButtonComponent> bridge_buttons(std::string_view base_topic,
                                            std::string_view serial_id);

}  // namespace rct::daemon
