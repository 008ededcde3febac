#include "daemon/reload_plan.h"

#include "config/client_settings.h"

namespace rct::daemon {

bool same_connection(const InverterConfig& running, const InverterConfig& next) {
  return client_options(running) == client_options(next) && running.address == next.address &&
         running.proxy == next.proxy;
}

ReloadPlan plan_reload(const Config& running, const Config& next) {
  ReloadPlan plan;
  const std::size_t old_count = running.inverters.size();
  for (std::size_t i = 0; i < next.inverters.size(); ++i) {
    if (i >= old_count) {
      plan.sessions.push_back(SessionChange::kStart);
    } else if (same_connection(running.inverters[i], next.inverters[i])) {
      plan.sessions.push_back(SessionChange::kKeep);
    } else {
      plan.sessions.push_back(SessionChange::kReplace);
    }
  }
  plan.stopped = old_count > next.inverters.size() ? old_count - next.inverters.size() : 0;
  plan.reconnect_mqtt = !(next.mqtt == running.mqtt) ||
                        next.homeassistant.enabled != running.homeassistant.enabled ||
                        next.homeassistant.birth_topic != running.homeassistant.birth_topic;
  plan.state_dir_changed = next.state_dir != running.state_dir;
  return plan;
}

}  // namespace rct::daemon
