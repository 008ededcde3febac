#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/config.h"
#include "daemon/discovery.h"
#include "daemon/instant.h"

namespace rct::daemon {

// What one inverter session needs of the configuration, and nothing else: not the other
// inverters, not the MQTT credentials. Built by session_settings; a reload builds a new one.
struct SessionSettings {
  InverterConfig inverter;
  std::string base_topic = "rct2mqtt";
  int qos = 0;         // values and settings topics
  bool retain = true;  // values
  Duration heartbeat = std::chrono::seconds{300};
  bool json_aggregate = false;
  PollConfig poll;
  WritesConfig writes;
  BatteryModesConfig battery_modes;
  bool discovery_enabled = true;
  // With the rct2mqtt version; `writable` lists the settings of [writes] when enabled.
  DiscoverySettings discovery;

  // Not for a plant slave: the writer cannot address one.
  bool writes_possible() const { return !inverter.address.has_value(); }
};

// The settings of `config.inverters[index]` (which must exist).
SessionSettings session_settings(const Config& config, std::size_t index,
                                 std::string_view sw_version);

}  // namespace rct::daemon
