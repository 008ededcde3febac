#pragma once

#include <mqtt/connect_options.h>
#include <mqtt/create_options.h>

#include "config/config.h"

namespace rct {

// Paho's version constant for the configured protocol.
int paho_version(MqttProtocol protocol);

// The options every Paho client of ours is created with: the configured protocol version. Before
// the first client of the process it tells Paho to leave OpenSSL's initialisation to OpenSSL,
// which does it itself when a TLS connection first needs it: Paho's own loads every cipher, digest
// and error string at once, 1.6 MB of libcrypto's pages resident in a process that never speaks
// TLS (docs/architecture.md §9).
mqtt::create_options paho_create_options(MqttProtocol protocol);

// What every MQTT connection of ours (the daemon's, rctclient doctor's) takes from the [mqtt]
// configuration: the protocol version with its clean flag, the credentials and, with `tls`, the
// TLS options (CA, client certificate and key, verification unless `insecure`). The caller adds
// keep-alive, timeouts, reconnects and a will before finalize().
mqtt::connect_options_builder paho_connect_builder(const MqttConfig& config, bool tls);

}  // namespace rct
