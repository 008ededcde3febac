#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

// The daemon's view of an MQTT connection: the seam between the loop and Paho. Every method is
// called on the loop thread and returns without waiting for the network; every event reaches the
// observer on the loop thread too.

namespace rct {

struct MqttConfig;

struct MqttMessage {
  MqttMessage() = default;
  // Written like an aggregate of the first four; the v5 properties only where a test sets them.
  MqttMessage(std::string on, std::string body, int qos_level = 0, bool from_store = false,
              std::string reply_topic = {}, std::string correlation = {})
      : topic(std::move(on)),
        payload(std::move(body)),
        qos(qos_level),
        retained(from_store),
        response_topic(std::move(reply_topic)),
        correlation_data(std::move(correlation)) {}

  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;  // delivered from the broker's retained store (or sent with retain)
  // MQTT v5 request/response: where the sender wants an answer, and the bytes (binary, any
  // content) to copy into it. Both empty under MQTT 3.1.1 or when the sender set none.
  std::string response_topic;
  std::string correlation_data;

  friend bool operator==(const MqttMessage&, const MqttMessage&) = default;
};

// The last will: the broker publishes it, retained at QoS 1, when the connection dies without a
// clean disconnect (the bridge status topic with "offline").
struct MqttWill {
  std::string topic;
  std::string payload;
};

struct MqttStats {
  std::uint64_t published = 0;        // handed to the library
  std::uint64_t delivered = 0;        // completed (QoS 0: written to the socket; QoS 1: acked)
  std::uint64_t failed = 0;           // rejected by the library or failed after hand-over
  std::uint64_t dropped_offline = 0;  // publish() while not connected; never buffered
  std::uint64_t dropped_backlog = 0;  // publish() while the in-flight bound was reached
  std::size_t in_flight = 0;          // accepted, completion not yet seen (held ones too)
  std::uint64_t connects = 0;         // connected events (initial and every reconnect)
  std::uint64_t subscribe_failures = 0;
};

// Receives the client's events on the loop thread.
class MqttObserver {
 public:
  // Initial connect and every reconnect. The subscriptions made so far have already been
  // re-issued (a clean session forgets them); the observer republishes the full state.
  virtual void on_connected() = 0;
  // An established connection broke; the client reconnects by itself.
  virtual void on_connection_lost(std::string_view reason) = 0;
  // A connect attempt the client started failed; it keeps retrying.
  virtual void on_connect_failed(std::string_view reason) = 0;
  virtual void on_message(const MqttMessage& message) = 0;

 protected:
  ~MqttObserver() = default;
};

// How long in-flight messages (an offline status among them) get before a clean DISCONNECT.
inline constexpr std::chrono::milliseconds kMqttDisconnectTimeout{2000};

class MqttClient {
 public:
  virtual ~MqttClient() = default;

  // Not owned; must outlive the client. Events arriving while none is set are discarded.
  virtual void set_observer(MqttObserver* observer) = 0;
  // Starts connecting and keeps reconnecting forever until disconnect().
  virtual void connect(const MqttWill& will) = 0;
  // Never blocks, never throws. False when the message was not handed over: not connected (no
  // offline buffering: the daemon republishes its full state on reconnect), too many messages
  // still in flight, or rejected by the library. Each case is counted in stats().
  // `correlation_data` (MQTT v5, binary) is sent when not empty: an answer to a request that
  // carried it. Under MQTT 3.1.1 it is left out.
  virtual bool publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                       std::string_view correlation_data) = 0;
  bool publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
    return publish(topic, payload, qos, retain, {});
  }
  // Remembered: issued now when connected and again after every reconnect.
  virtual void subscribe(std::string_view filter, int qos) = 0;
  // Clean exit: refuses new messages, lets the accepted ones complete, then sends DISCONNECT
  // (so the will is not published) and stops reconnecting. When they have not completed after
  // `timeout` plus a margin, it gives up: `done` runs and the library's DISCONNECT follows when
  // the client is destroyed. `done` runs on the loop exactly once, also when the library never
  // answers.
  virtual void disconnect(std::chrono::milliseconds timeout, std::function<void()> done) = 0;

  virtual bool connected() const = 0;
  virtual MqttStats stats() const = 0;
};

// Makes the client for an [mqtt] section (not yet connected). The daemon's factory builds a Paho
// client on its loop; tests hand in one that records. Called on the loop thread.
using MqttClientFactory = std::function<std::unique_ptr<MqttClient>(const MqttConfig& config)>;

}  // namespace rct
