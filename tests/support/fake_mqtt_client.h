#pragma once

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "daemon/adapters/mqtt_client.h"

namespace rct::test {

// What one client made by a FakeMqtt did, kept after the client is gone (the App destroys a
// client it replaces).
struct FakeMqttRecord {
  MqttConfig config;  // as the factory got it
  std::vector<std::string> subscriptions;
  std::optional<MqttWill> will;        // set by connect()
  std::vector<MqttMessage> published;  // handed over while connected, in order
  std::size_t dropped = 0;             // publish() while not connected
  bool disconnected = false;           // disconnect() was called
  bool destroyed = false;
};

// An MqttClient with no network: it records what the daemon hands it, and the test decides when
// the connection comes up, breaks, or carries a message. Events are posted onto the loop, as the
// Paho client posts them, and are discarded once the client is gone.
class FakeMqttClient final : public MqttClient {
 public:
  FakeMqttClient(asio::io_context& io, FakeMqttRecord& record) : io_(io), record_(record) {}
  ~FakeMqttClient() override { record_.destroyed = true; }

  void set_observer(MqttObserver* observer) override { observer_ = observer; }
  void connect(const MqttWill& will) override { record_.will = will; }
  using MqttClient::publish;
  // The correlation data is recorded in the message's field of that name.
  bool publish(std::string_view topic, std::string_view payload, int qos, bool retain,
               std::string_view correlation_data) override {
    if (!connected_) {
      ++record_.dropped;
      return false;
    }
    record_.published.push_back(MqttMessage{std::string(topic), std::string(payload), qos, retain,
                                            "", std::string(correlation_data)});
    return true;
  }
  void subscribe(std::string_view filter, int) override {
    record_.subscriptions.emplace_back(filter);
  }
  // Nothing is in flight (publish() records at once): the disconnect completes on the next turn.
  void disconnect(std::chrono::milliseconds, std::function<void()> done) override {
    connected_ = false;
    record_.disconnected = true;
    asio::post(io_, std::move(done));
  }
  bool connected() const override { return connected_; }
  MqttStats stats() const override {
    MqttStats s;
    s.published = record_.published.size();
    s.dropped_offline = record_.dropped;
    return s;
  }

  // The test's side, called on the loop thread.
  // The broker accepted the connection (first connect or a reconnect).
  void accept() {
    connected_ = true;
    post([](MqttObserver& o) { o.on_connected(); });
  }
  // The established connection broke.
  void drop(std::string reason) {
    connected_ = false;
    post([reason = std::move(reason)](MqttObserver& o) { o.on_connection_lost(reason); });
  }
  // A message arrived on one of the subscriptions.
  void deliver(MqttMessage message) {
    post([message = std::move(message)](MqttObserver& o) { o.on_message(message); });
  }

 private:
  template <typename F>
  void post(F event) {
    asio::post(io_, [alive = std::weak_ptr<int>(alive_), this, event = std::move(event)] {
      if (alive.expired() || observer_ == nullptr) return;
      event(*observer_);
    });
  }

  asio::io_context& io_;
  FakeMqttRecord& record_;
  MqttObserver* observer_ = nullptr;
  bool connected_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// The factory side: makes FakeMqttClients and keeps their records (and the live clients) for
// the test.
class FakeMqtt {
 public:
  explicit FakeMqtt(asio::io_context& io) : io_(io) {}
  FakeMqtt(const FakeMqtt&) = delete;
  FakeMqtt& operator=(const FakeMqtt&) = delete;

  MqttClientFactory factory() {
    return [this](const MqttConfig& config) -> std::unique_ptr<MqttClient> {
      records_.emplace_back().config = config;
      auto client = std::make_unique<FakeMqttClient>(io_, records_.back());
      clients_.push_back(client.get());
      return client;
    };
  }

  std::size_t made() const { return records_.size(); }
  const FakeMqttRecord& record(std::size_t i) const { return records_.at(i); }
  // The newest client; the test must know it still exists (record().destroyed is false).
  FakeMqttClient& last() { return *clients_.back(); }

 private:
  asio::io_context& io_;
  std::deque<FakeMqttRecord> records_;  // stable addresses: the clients hold references
  std::vector<FakeMqttClient*> clients_;
};

}  // namespace rct::test
