#include "daemon/app/bridge_connection.h"

#include <asio/post.hpp>
#include <utility>

#include "daemon/topics.h"

namespace rct::daemon {

BridgeConnection::Settings BridgeConnection::settings_of(const Config& config) {
  return Settings{config.mqtt,
                  config.homeassistant.enabled ? config.homeassistant.birth_topic : std::string()};
}

BridgeConnection::BridgeConnection(asio::io_context& io, MqttClientFactory make_client,
                                   MqttObserver& observer, const Config& config)
    : io_(io),
      make_client_(std::move(make_client)),
      observer_(observer),
      settings_(settings_of(config)),
      client_(make_client_(settings_.mqtt)) {
  client_->set_observer(&observer_);
}

BridgeConnection::~BridgeConnection() {
  client_->set_observer(nullptr);
}

std::string BridgeConnection::bridge_topic() const {
  return bridge_status_topic(settings_.mqtt.base_topic);
}

void BridgeConnection::connect() {
  if (!settings_.birth_topic.empty()) client_->subscribe(settings_.birth_topic, 1);
  // Always, writes enabled or not: a command is answered (rejected: writes_disabled) either way.
  client_->subscribe(setting_command_filter(settings_.mqtt.base_topic), 1);
  client_->subscribe(battery_mode_command_filter(settings_.mqtt.base_topic), 1);
  client_->subscribe(bridge_action_command_filter(settings_.mqtt.base_topic), 1);
  client_->connect(MqttWill{bridge_topic(), std::string(kOffline)});
}

void BridgeConnection::replace(const Config& config) {
  const std::string old_bridge_topic = bridge_topic();
  settings_ = settings_of(config);
  if (replacing_ || closed_) return;  // the pending replacement connects with settings_
  replacing_ = true;
  // A clean disconnect does not fire the old LWT: say offline on the old connection first.
  client_->publish(old_bridge_topic, kOffline, 1, true);
  client_->set_observer(nullptr);
  // The new client connects only once the old one is gone: with the same client id, a broker
  // would otherwise take the old session over and might send its will after our "online".
  client_->disconnect(kMqttDisconnectTimeout, [this] {
    // Replaced from a fresh handler, never from inside the old client's own callback.
    asio::post(io_, [this] {
      replacing_ = false;
      if (closed_) return;
      client_ = make_client_(settings_.mqtt);
      client_->set_observer(&observer_);
      connect();
    });
  });
}

void BridgeConnection::close(std::function<void()> done) {
  closed_ = true;
  // The LWT is not sent on a clean disconnect: say offline ourselves.
  client_->publish(bridge_topic(), kOffline, 1, true);
  client_->disconnect(kMqttDisconnectTimeout, std::move(done));
}

bool BridgeConnection::publish(std::string_view topic, std::string_view payload, int qos,
                               bool retain, std::string_view correlation_data) {
  return client_->publish(topic, payload, qos, retain, correlation_data);
}

bool BridgeConnection::connected() const {
  return client_->connected();
}

}  // namespace rct::daemon
