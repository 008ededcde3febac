#include "daemon/app/bridge_figures.h"

namespace rct::daemon {

BridgeSnapshot bridge_figures(const std::vector<std::unique_ptr<InverterSession>>& sessions,
                              const BridgeConnection& mqtt, Instant now) {
  BridgeSnapshot s;
  const MqttStats stats = mqtt.stats();
  s.mqtt.connected = mqtt.connected();
  s.mqtt.published = stats.published;
  s.mqtt.delivered = stats.delivered;
  s.mqtt.failed = stats.failed;
  s.mqtt.dropped_offline = stats.dropped_offline;
  s.mqtt.dropped_backlog = stats.dropped_backlog;
  s.mqtt.in_flight = stats.in_flight;
  s.mqtt.connects = stats.connects;
  s.inverters.reserve(sessions.size());
  for (const auto& session : sessions) s.inverters.push_back(session->figures(now));
  return s;
}

}  // namespace rct::daemon
