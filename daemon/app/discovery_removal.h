#pragma once

#include <spdlog/logger.h>

#include <asio/io_context.hpp>
#include <chrono>

#include "config/config.h"
#include "daemon/adapters/mqtt_client.h"
#include "daemon/persistent_state.h"

namespace rct::daemon {

// rct2mqtt --remove-discovery: connects `mqtt` (with the bridge's will), publishes an empty
// retained config for every discovery topic `state` records as announced, disconnects cleanly.
// Runs `io` on the calling thread until that is done or `timeout` passes without a connection.
// On success the records' discovery is cleared (the caller saves the state) and true is returned.
// `mqtt` is left without an observer.
bool remove_announced_discovery(asio::io_context& io, MqttClient& mqtt, const MqttConfig& config,
                                PersistentState& state, spdlog::logger& log,
                                std::chrono::milliseconds timeout);

}  // namespace rct::daemon
