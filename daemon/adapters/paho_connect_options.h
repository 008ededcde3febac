#pragma once

#include <mqtt/connect_options.h>

#include "config/config.h"

namespace rct {

// Paho's version constant for the configured protocol.
int paho_version(MqttProtocol protocol);

// What every MQTT connection of ours (the daemon's, rctclient doctor's) takes from the [mqtt]
// configuration: the protocol version with its clean flag, the credentials and, with `tls`, the
// TLS options (CA, client certificate and key, verification unless `insecure`). The caller adds
// keep-alive, timeouts, reconnects and a will before finalize().
mqtt::connect_options_builder paho_connect_builder(const MqttConfig& config, bool tls);

}  // namespace rct
