#include "daemon/fault_discovery.h"

#include <algorithm>

#include "daemon/fault_sensor.h"

namespace rct::daemon {

std::vector<FaultComponent> fault_components(const std::vector<PollItem>& items,
                                             std::string_view unique_id_prefix,
                                             const std::string& event_topic) {
  std::vector<FaultComponent> out;
  const bool polled = std::any_of(items.begin(), items.end(), [](const PollItem& item) {
    return std::any_of(item.sensors.begin(), item.sensors.end(),
                       [](const SensorSpec& s) { return s.derivation == Derivation::kFaultState; });
  });
  if (!polled) return out;

  const std::string prefix(unique_id_prefix);
  {
    nlohmann::ordered_json j;
    const std::string object_id = "inverter_fault_event";
    j["name"] = "Fault event";
    j["unique_id"] = prefix + "_" + object_id;
    j["default_entity_id"] = "event." + prefix + "_" + object_id;
    j["state_topic"] = event_topic;
    nlohmann::ordered_json types = nlohmann::ordered_json::array();
    for (std::string_view t : kFaultEventTypes) types.push_back(std::string(t));
    j["event_types"] = std::move(types);
    j["icon"] = "mdi:alert-circle-outline";
    out.push_back(FaultComponent{object_id, "event", std::move(j), true});
  }
  for (std::string_view type : kFaultEventTypes) {
    nlohmann::ordered_json j;
    j["automation_type"] = "trigger";
    j["topic"] = event_topic;
    j["type"] = "fault_" + std::string(type);
    j["subtype"] = "inverter";
    j["value_template"] = "{{ value_json.event_type }}";
    j["payload"] = std::string(type);
    out.push_back(FaultComponent{"inverter_fault_" + std::string(type), "device_automation",
                                 std::move(j), false});
  }
  return out;
}

}  // namespace rct::daemon
