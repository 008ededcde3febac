#include "daemon/session_settings.h"

namespace rct::daemon {

SessionSettings session_settings(const Config& config, std::size_t index,
                                 std::string_view sw_version) {
  SessionSettings s;
  s.inverter = config.inverters.at(index);
  s.base_topic = config.mqtt.base_topic;
  s.qos = config.mqtt.qos;
  s.retain = config.mqtt.retain;
  s.heartbeat = std::chrono::duration_cast<Duration>(config.mqtt.heartbeat);
  s.json_aggregate = config.mqtt.json_aggregate;
  s.poll = config.poll;
  s.writes = config.writes;
  s.battery_modes = config.battery_modes;
  s.discovery_enabled = config.homeassistant.enabled;
  s.discovery = discovery_settings(config, std::string(sw_version));
  return s;
}

}  // namespace rct::daemon
