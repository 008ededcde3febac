#pragma once

#include <mqtt/async_client.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/lifetime_guard.h"
#include "daemon/adapters/mqtt_client.h"

namespace rct {

// MqttClient over Paho's mqtt::async_client: no persistence, no offline buffer, MQTT 5 (or
// 3.1.1, config.protocol), clean start / clean session, automatic reconnect between the
// configured bounds. Under MQTT 5 received messages carry their response topic and correlation
// data, and publish() sends correlation data.
//
// Threads: Paho runs its callbacks on its own threads. They only asio::post a lambda carrying
// copies onto `io`; everything else (state, counters, the observer) lives on the loop thread,
// and the loop never waits on a Paho token. `io` must outlive this object.
//
// Connection states, as the loop sees them:
//   idle → connecting (connect()) → connected ⇄ reconnecting (Paho's automatic reconnect)
//   connecting --failure--> connecting (Paho retries; a loop timer retries too if Paho goes quiet)
//   any → draining (disconnect(): no new publishes; what was accepted goes out and is
//         acknowledged) → stopping (DISCONNECT sent) → stopped
//   draining --timeout--> stopped (Paho ends the session when the client is destroyed)
class PahoMqttClient final : public MqttClient {
 public:
  static constexpr std::size_t kDefaultMaxInFlight = 1000;

  // Throws mqtt::exception for a URI Paho rejects (before the loop runs). An empty
  // config.client_id becomes default_client_id().
  PahoMqttClient(asio::io_context& io, const MqttConfig& config,
                 std::size_t max_in_flight = kDefaultMaxInFlight);
  ~PahoMqttClient() override;
  PahoMqttClient(const PahoMqttClient&) = delete;
  PahoMqttClient& operator=(const PahoMqttClient&) = delete;

  void set_observer(MqttObserver* observer) override { observer_ = observer; }
  void connect(const MqttWill& will) override;
  using MqttClient::publish;
  bool publish(std::string_view topic, std::string_view payload, int qos, bool retain,
               std::string_view correlation_data) override;
  void subscribe(std::string_view filter, int qos) override;
  void disconnect(std::chrono::milliseconds timeout, std::function<void()> done) override;
  bool connected() const override { return connected_; }
  MqttStats stats() const override;

  const std::string& client_id() const { return client_id_; }

  // "rct2mqtt-<hostname>".
  static std::string default_client_id();

 private:
  // Which request a Paho token belongs to; tokens carry (kind, epoch) in their user context.
  enum class Request { kConnect, kPublish, kSubscribe, kDisconnect };

  // Receives token completions on Paho's threads and posts them to the loop.
  class Listener final : public mqtt::iaction_listener {
   public:
    Listener(PahoMqttClient& owner, Request request) : owner_(owner), request_(request) {}
    void on_success(const mqtt::token& token) override;
    void on_failure(const mqtt::token& token) override;

   private:
    PahoMqttClient& owner_;
    Request request_;
  };

  struct Subscription {
    std::string filter;
    int qos = 0;
  };

  // A message accepted by publish() that waits for the broker's quota (MQTT 5 Receive Maximum).
  struct HeldMessage {
    std::string topic;
    std::string payload;
    int qos = 0;
    bool retain = false;
    std::string correlation_data;
  };
  enum class SendResult { kSent, kQuotaFull, kFailed };

  // Loop thread: hands `m` to Paho.
  SendResult send(const HeldMessage& m);
  // Loop thread: sends held messages in order while the quota allows.
  void send_held();
  void arm_stall_watch();
  void arm_held_timer();

  // Paho threads: copy, then post `fn` to the loop; it runs only while this object lives.
  void post_to_loop(std::function<void(PahoMqttClient&)> fn);

  // Loop thread.
  void start_connect();
  void on_connected();
  void on_connection_lost(const std::string& reason);
  void on_request_done(Request request, std::uint64_t epoch, bool ok, const std::string& error);
  void issue_subscription(const Subscription& s);
  void arm_retry_timer();
  void finish_disconnect();
  void send_disconnect_when_drained();

  asio::io_context& io_;
  MqttConfig config_;
  std::string client_id_;
  std::size_t max_in_flight_;
  MqttObserver* observer_ = nullptr;
  mqtt::connect_options connect_options_;
  std::vector<Subscription> subscriptions_;

  bool connect_started_ = false;
  bool connected_ = false;
  bool stopping_ = false;
  // DISCONNECT went to Paho (once everything accepted was acknowledged, or at once when not
  // connected), or the deadline passed and `done` ran: nothing is sent after that.
  bool disconnect_settled_ = false;
  std::chrono::milliseconds disconnect_timeout_{0};
  // Bumped when a connection ends: completions from an older connection no longer count as in
  // flight (their messages are gone with the clean session), so a lost completion cannot wedge
  // the in-flight bound.
  std::uint64_t epoch_ = 0;
  MqttStats stats_;
  // Accepted, counted in stats_.in_flight, not yet handed to Paho; sent in order as
  // acknowledgements free the broker's quota; dropped with the connection.
  std::deque<HeldMessage> held_;
  std::function<void()> disconnect_done_;

  asio::steady_timer retry_timer_;
  asio::steady_timer held_timer_;
  bool held_timer_armed_ = false;
  asio::steady_timer stall_watch_;
  bool stall_watch_armed_ = false;
  std::uint64_t completions_ = 0;  // publishes Paho reported done, this connection or earlier
  std::uint64_t woken_at_completions_ = 0;  // completions_ at the last wake-up of Paho
  std::chrono::steady_clock::time_point woken_at_{};
  asio::steady_timer disconnect_timer_;

  // Posted lambdas check this from the loop thread before touching the object. Never reset:
  // post_to_loop() binds to it from Paho's thread.
  LifetimeGuard guard_;

  // Declared before client_ so that they outlive every token Paho may still complete.
  Listener connect_listener_{*this, Request::kConnect};
  Listener publish_listener_{*this, Request::kPublish};
  Listener subscribe_listener_{*this, Request::kSubscribe};
  Listener disconnect_listener_{*this, Request::kDisconnect};

  mqtt::async_client client_;
};

}  // namespace rct
