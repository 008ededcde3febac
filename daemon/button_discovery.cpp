#include "daemon/button_discovery.h"

#include "daemon/bridge_actions.h"
#include "daemon/discovery.h"
#include "daemon/topics.h"
#include "ha/vocabulary.h"

namespace rct::daemon {

namespace {

struct ButtonLook {
  std::string_view name;
  std::string_view icon;
};

ButtonLook button_look(BridgeAction action) {
  switch (action) {
    case BridgeAction::kRepublishDiscovery:
      return {"Republish discovery", "mdi:refresh"};
    case BridgeAction::kReconnect:
      return {"Reconnect inverter", "mdi:lan-connect"};
  }
  return {"?", ""};
}

}  // namespace

std::vector<ButtonComponent> bridge_buttons(std::string_view base_topic,
                                            std::string_view serial_id) {
  std::vector<ButtonComponent> out;
  for (const BridgeAction action : kBridgeActions) {
    const ButtonLook look = button_look(action);
    const std::string object_id = "bridge_" + std::string(bridge_action_name(action));
    const std::string unique_id = device_id(serial_id) + "_" + object_id;
    nlohmann::ordered_json j;
    j["name"] = look.name;
    j["unique_id"] = unique_id;
    j["default_entity_id"] = std::string(kButtonPlatform) + "." + unique_id;
    j["command_topic"] =
        bridge_action_command_topic(base_topic, serial_id, bridge_action_name(action));
    j["payload_press"] = kPressPayload;
    j["qos"] = 1;
    j["icon"] = look.icon;
    j["entity_category"] = ha::kConfig;
    nlohmann::ordered_json availability = nlohmann::ordered_json::array();
    availability.push_back(nlohmann::ordered_json{{"topic", bridge_status_topic(base_topic)}});
    j["availability"] = std::move(availability);
    out.push_back(ButtonComponent{object_id, std::move(j)});
  }
  return out;
}

}  // namespace rct::daemon
