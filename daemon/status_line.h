#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rct::daemon {

// One inverter as `systemctl status` shows it.
struct InverterStatus {
  std::string_view name;
  bool online = false;      // a valid answer within offline_after
  bool link_up = false;     // the TCP connection is up (not yet or no longer answering)
  std::string_view serial;  // empty until the inventory read it
};

// The STATUS= text: "mqtt connected; inverter1 online (0123456789); inverter2 unreachable".
std::string status_line(bool mqtt_connected, const std::vector<InverterStatus>& inverters);

}  // namespace rct::daemon
