#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"
#include "tools/rctclient/doctor_report.h"

namespace rct::cli::doctor {

struct MqttProbeOptions {
  // uri (tcp:// or ssl://), protocol, username, password, tls as the daemon would use them.
  MqttConfig mqtt;
  std::string host;
  std::uint16_t port = 1883;
  bool tls = false;
  bool discovery_enabled = true;
  std::string discovery_prefix = "homeassistant";
  std::string base_topic = "rct2mqtt";
  std::string serial;  // inverter_sn; empty: any rct2mqtt device
  double listen_s = 5;
  std::chrono::milliseconds timeout{5000};
};

// mqtt.tcp, mqtt.tls, mqtt.login, mqtt.discovery, mqtt.values, in this order: a plain TCP
// connect, a TLS handshake of our own (for the verification error in words), a Paho login, and
// `listen_s` seconds subscribed to the discovery and value topics (retained messages arrive at
// once). No summary or figure holds the password. Blocks for the duration of the checks.
std::vector<Check> probe_mqtt(const MqttProbeOptions& options);

}  // namespace rct::cli::doctor
