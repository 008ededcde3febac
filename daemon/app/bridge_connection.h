#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "daemon/adapters/mqtt_client.h"

namespace rct::daemon {

// The bridge's MQTT connection: one client at a time, made by the factory, connected with the
// bridge's last will (<base>/bridge/status offline) and its subscriptions (commands, and the
// Home Assistant birth topic when discovery is on). A reload that changes [mqtt] replaces the
// client. Lives on the loop thread; every client event goes to `observer`.
//
// States: connecting/connected (the client reconnects by itself) → replacing (the old client
// says offline and disconnects; no client events) → connecting with a new client; any → closed.
class BridgeConnection {
 public:
  // `io` and `observer` must outlive the connection. Makes the first client (not connected).
  BridgeConnection(asio::io_context& io, MqttClientFactory make_client, MqttObserver& observer,
                   const Config& config);
  ~BridgeConnection();
  BridgeConnection(const BridgeConnection&) = delete;
  BridgeConnection& operator=(const BridgeConnection&) = delete;

  // Subscribes and starts connecting (and reconnecting, until close()).
  void connect();
  // A reloaded configuration whose [mqtt] or birth settings differ: the old client says offline
  // and disconnects cleanly, then a new client for `config` connects. A second replace() while
  // one is pending only updates the settings the new client gets.
  void replace(const Config& config);
  // Says offline, disconnects cleanly; `done` runs on the loop once the client is gone.
  void close(std::function<void()> done);

  // `correlation_data`: MQTT v5, sent when not empty (MqttClient::publish).
  bool publish(std::string_view topic, std::string_view payload, int qos, bool retain,
               std::string_view correlation_data = {});
  bool connected() const;
  MqttStats stats() const { return client_->stats(); }
  // The current client (--remove-discovery drives it without the bridge's subscriptions).
  MqttClient& client() { return *client_; }

 private:
  struct Settings {
    MqttConfig mqtt;
    std::string birth_topic;  // empty: Home Assistant discovery is off
  };
  static Settings settings_of(const Config& config);
  std::string bridge_topic() const;

  asio::io_context& io_;
  MqttClientFactory make_client_;
  MqttObserver& observer_;
  Settings settings_;
  std::unique_ptr<MqttClient> client_;
  bool replacing_ = false;
  bool closed_ = false;
};

}  // namespace rct::daemon
