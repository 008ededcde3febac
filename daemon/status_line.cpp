#include "daemon/status_line.h"

namespace rct::daemon {

std::string status_line(bool mqtt_connected, const std::vector<InverterStatus>& inverters) {
  std::string text = mqtt_connected ? "mqtt connected" : "mqtt disconnected";
  for (const auto& i : inverters) {
    text += "; ";
    text += i.name;
    text += i.online ? " online" : (i.link_up ? " connected" : " unreachable");
    if (!i.serial.empty()) {
      text += " (";
      text += i.serial;
      text += ')';
    }
  }
  return text;
}

}  // namespace rct::daemon
