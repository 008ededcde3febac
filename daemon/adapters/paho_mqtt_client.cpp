#include "daemon/adapters/paho_mqtt_client.h"

#include <mqtt/properties.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <exception>
#include <utility>

#include "daemon/adapters/paho_connect_options.h"

namespace rct {
namespace {

// Tokens carry the connection epoch in their user context: an opaque tag Paho hands back and
// never dereferences.
void* epoch_context(std::uint64_t epoch) {
  return reinterpret_cast<void*>(  // NOLINT(performance-no-int-to-ptr): a tag, not an address
      static_cast<std::uintptr_t>(epoch));
}
std::uint64_t context_epoch(const mqtt::token& token) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(token.get_user_context()));
}

// MQTT 5 CONNACK and PUBACK reason codes (MQTT 5 §3.2.2.2), the ones a broker sends for a
// refused login or a denied publish in lower case; nullptr for others.
const char* v5_reason_text(int code) {
  switch (code) {
    case MQTTREASONCODE_UNSUPPORTED_PROTOCOL_VERSION:
      return "unsupported protocol version (try mqtt.protocol = \"3.1.1\")";
    case MQTTREASONCODE_CLIENT_IDENTIFIER_NOT_VALID:
      return "client identifier rejected";
    case MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD:
      return "bad user name or password";
    case MQTTREASONCODE_NOT_AUTHORIZED:
      return "not authorized";
    case MQTTREASONCODE_SERVER_UNAVAILABLE:
      return "server unavailable";
    case MQTTREASONCODE_SERVER_BUSY:
      return "server busy";
    case MQTTREASONCODE_BANNED:
      return "banned";
    default:
      return nullptr;
  }
}

std::string describe_failure(const mqtt::token& token) {
  const int rc = token.get_return_code();
  const int reason = static_cast<int>(token.get_reason_code());
  std::string text;
  if (reason >= MQTTREASONCODE_UNSPECIFIED_ERROR) {
    // MQTT 5: the broker's reason code says more than Paho's return code.
    const char* known = v5_reason_text(reason);
    text = known != nullptr ? known
                            : MQTTReasonCode_toString(static_cast<enum MQTTReasonCodes>(reason));
    return text + " (reason " + std::to_string(reason) + ")";
  }
  switch (rc) {
    // Paho's text for -1 is just "Failure"; for a connect it means the socket or TLS layer.
    case MQTTASYNC_FAILURE:
      text = "TCP/TLS connect failure";
      break;
    // Positive codes below 128 are MQTT 3.1.1 CONNACK refusals (MQTT 3.1.1 §3.2.2.3); MQTT 5
    // ones (128 and up) are reason codes.
    case 1:
      text = "unacceptable protocol version";
      break;
    case 2:
      text = "client identifier rejected";
      break;
    case 3:
      text = "server unavailable";
      break;
    case 4:
      text = "bad user name or password";
      break;
    case 5:
      text = "not authorized";
      break;
    default:
      if (const char* known = v5_reason_text(rc)) {
        text = known;
      } else {
        text = mqtt::exception::error_str(rc);
      }
      break;
  }
  if (text.empty()) text = "error";
  return text + " (rc " + std::to_string(rc) + ")";
}

// An MQTT v5 property of a received message as bytes; empty when it is absent.
std::string string_property(const mqtt::properties& props, mqtt::property::code code) {
  if (!props.contains(code)) return {};
  return mqtt::get<std::string>(props, code);
}

// Margin on top of the disconnect timeout before `done` runs without Paho's answer.
constexpr std::chrono::milliseconds kDisconnectMargin{1000};
// Under MQTT 5 paho-mqtt-c 1.3 queues the publishes beyond the broker's Receive Maximum
// (Mosquitto's: 20) and sometimes leaves that queue unsent after the acknowledgements came,
// until its next command: measured here, 53 of a 602-message burst still unsent 6 s later, 4
// runs in 10. When messages are with Paho and none completed for this long, an UNSUBSCRIBE of a
// filter never subscribed (harmless: the broker answers "no subscription") wakes it. Keeping
// fewer messages with Paho instead cost throughput: 4× the messages dropped for backlog with 50
// inverters starting at once.
constexpr std::chrono::milliseconds kStallWatch{50};
// While nothing completes (a broker that stopped answering), one wake-up per this long: the
// UNSUBSCRIBEs would otherwise pile up in Paho until the keep-alive notices.
constexpr std::chrono::milliseconds kWakeSpacing{200};
constexpr const char* kWakeFilter = "rct2mqtt/$wake-paho";
// How soon held messages are offered again when no completion came to free Paho's quota.
constexpr std::chrono::milliseconds kHeldRetry{20};

mqtt::connect_options build_connect_options(const MqttConfig& config, const MqttWill& will) {
  return paho_connect_builder(config, is_tls(config.scheme))
      .keep_alive_interval(config.keepalive)
      .connect_timeout(config.connect_timeout)
      .automatic_reconnect(config.reconnect_min, config.reconnect_max)
      .will(mqtt::message(will.topic, will.payload, 1, true))
      .finalize();
}

}  // namespace

std::string PahoMqttClient::default_client_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') return "rct2mqtt";
  return std::string("rct2mqtt-") + host;
}

PahoMqttClient::PahoMqttClient(asio::io_context& io, const MqttConfig& config,
                               std::size_t max_in_flight)
    : io_(io),
      config_(config),
      client_id_(config.client_id.empty() ? default_client_id() : config.client_id),
      max_in_flight_(max_in_flight),
      retry_timer_(io),
      held_timer_(io),
      stall_watch_(io),
      disconnect_timer_(io),
      client_(config.uri, client_id_, paho_create_options(config.protocol), nullptr) {
  // Paho threads from here on: copy and post, nothing else.
  client_.set_connected_handler([this](const std::string&) {
    post_to_loop([](PahoMqttClient& self) { self.on_connected(); });
  });
  client_.set_connection_lost_handler([this](const std::string& cause) {
    post_to_loop([cause](PahoMqttClient& self) { self.on_connection_lost(cause); });
  });
  client_.set_message_callback([this](const mqtt::const_message_ptr& msg) {
    if (!msg) return;
    const mqtt::properties& props = msg->get_properties();
    MqttMessage copy{msg->get_topic(),
                     msg->get_payload_str(),
                     msg->get_qos(),
                     msg->is_retained(),
                     string_property(props, mqtt::property::RESPONSE_TOPIC),
                     string_property(props, mqtt::property::CORRELATION_DATA)};
    post_to_loop([copy = std::move(copy)](PahoMqttClient& self) {
      if (self.observer_ != nullptr) self.observer_->on_message(copy);
    });
  });
}

// Loop thread (or after the loop stopped). Paho ends a session still open by itself: with a
// DISCONNECT (no will) when it is idle; seen with commands still pending (a stalled stop), without
// one, and the broker then publishes the will. Timer handlers and posted events still queued find
// `guard_` gone and do nothing.
PahoMqttClient::~PahoMqttClient() = default;

// Paho's thread. bind() only copies the guard's token here (its count is atomic; the guard is
// never reset, and client_ is destroyed before it, which ends Paho's callbacks); whether the
// client is still there is checked on the loop thread, when the posted handler runs.
void PahoMqttClient::post_to_loop(std::function<void(PahoMqttClient&)> fn) {
  asio::post(io_, guard_.bind([this, fn = std::move(fn)] { fn(*this); }));
}

void PahoMqttClient::Listener::on_success(const mqtt::token& token) {
  const Request request = request_;
  const std::uint64_t epoch = context_epoch(token);
  owner_.post_to_loop(
      [request, epoch](PahoMqttClient& self) { self.on_request_done(request, epoch, true, {}); });
}

void PahoMqttClient::Listener::on_failure(const mqtt::token& token) {
  const Request request = request_;
  const std::uint64_t epoch = context_epoch(token);
  std::string error = describe_failure(token);
  owner_.post_to_loop([request, epoch, error = std::move(error)](PahoMqttClient& self) {
    self.on_request_done(request, epoch, false, error);
  });
}

void PahoMqttClient::connect(const MqttWill& will) {
  if (connect_started_ || stopping_) return;
  connect_started_ = true;
  connect_options_ = build_connect_options(config_, will);
  start_connect();
}

void PahoMqttClient::start_connect() {
  try {
    client_.connect(connect_options_, epoch_context(epoch_), connect_listener_);
  } catch (const std::exception& e) {
    // Paho refused to start an attempt (e.g. one is still running); try again later.
    if (observer_ != nullptr) observer_->on_connect_failed(e.what());
    arm_retry_timer();
  }
}

// Paho's automatic reconnect also retries after a failed first connect (paho-mqtt-c 1.3.12) and
// reports each failed attempt through the connect token. This timer is the fallback for a Paho
// that goes quiet: it fires only when no attempt has been reported for twice the reconnect cap.
void PahoMqttClient::arm_retry_timer() {
  retry_timer_.expires_after(2 * config_.reconnect_max + config_.connect_timeout);
  retry_timer_.async_wait(guard_.bind([this](const std::error_code& ec) {
    if (ec || connected_ || stopping_) return;
    start_connect();
  }));
}

void PahoMqttClient::on_connected() {
  if (stopping_) return;
  connected_ = true;
  ++stats_.connects;
  retry_timer_.cancel();
  for (const Subscription& s : subscriptions_) issue_subscription(s);
  if (observer_ != nullptr) observer_->on_connected();
}

void PahoMqttClient::on_connection_lost(const std::string& reason) {
  if (!connected_) return;
  connected_ = false;
  ++epoch_;
  stats_.in_flight = 0;
  held_.clear();  // gone with the clean session, as the messages in flight
  if (stopping_) send_disconnect_when_drained();
  if (observer_ != nullptr)
    observer_->on_connection_lost(reason.empty() ? "connection lost" : reason);
}

void PahoMqttClient::on_request_done(Request request, std::uint64_t epoch, bool ok,
                                     const std::string& error) {
  switch (request) {
    case Request::kConnect:
      // Success is reported through the connected handler, which also covers reconnects.
      if (!ok && !connected_ && !stopping_) {
        if (observer_ != nullptr) observer_->on_connect_failed(error);
        arm_retry_timer();
      }
      return;
    case Request::kPublish:
      if (ok) {
        ++stats_.delivered;
      } else {
        ++stats_.failed;
      }
      if (epoch == epoch_ && stats_.in_flight > 0) --stats_.in_flight;
      ++completions_;
      if (epoch == epoch_) send_held();
      return;
    case Request::kSubscribe:
      if (!ok) ++stats_.subscribe_failures;
      return;
    case Request::kDisconnect:
      finish_disconnect();
      return;
  }
}

bool PahoMqttClient::publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                             std::string_view correlation_data) {
  if (!connected_ || stopping_) {
    ++stats_.dropped_offline;
    return false;
  }
  if (stats_.in_flight >= max_in_flight_) {
    ++stats_.dropped_backlog;
    return false;
  }
  HeldMessage m{std::string(topic), std::string(payload), qos, retain,
                std::string(correlation_data)};
  // Behind held messages, so that the broker sees every message in publish order.
  if (!held_.empty()) {
    held_.push_back(std::move(m));
    ++stats_.in_flight;
    return true;
  }
  switch (send(m)) {
    case SendResult::kSent:
      break;
    case SendResult::kQuotaFull:
      held_.push_back(std::move(m));
      break;
    case SendResult::kFailed:
      return false;
  }
  ++stats_.in_flight;
  return true;
}

PahoMqttClient::SendResult PahoMqttClient::send(const HeldMessage& m) {
  try {
    auto msg = mqtt::make_message(m.topic, m.payload.data(), m.payload.size(), m.qos, m.retain);
    if (!m.correlation_data.empty() && config_.protocol == MqttProtocol::kV5) {
      mqtt::properties props;
      props.add(
          mqtt::property(mqtt::property::CORRELATION_DATA, mqtt::string_ref(m.correlation_data)));
      msg->set_properties(std::move(props));
    }
    client_.publish(std::move(msg), epoch_context(epoch_), publish_listener_);
  } catch (const mqtt::exception& e) {
    // Paho refuses a message while its queue of unsent publishes is full (maxBufferedMessages,
    // 100: a discovery burst under load reaches it) or while the QoS 1/2 messages awaiting their
    // acknowledgement fill the broker's Receive Maximum (MQTT 5). It is held here and sent when
    // one of ours completes, instead of being lost.
    if (e.get_return_code() == MQTTASYNC_MAX_BUFFERED_MESSAGES ||
        e.get_return_code() == MQTTASYNC_MAX_MESSAGES_INFLIGHT) {
      return SendResult::kQuotaFull;
    }
    // Typically -3 "disconnected": the loss event is already on its way to the loop.
    ++stats_.failed;
    return SendResult::kFailed;
  } catch (const std::exception&) {
    ++stats_.failed;
    return SendResult::kFailed;
  }
  ++stats_.published;
  arm_stall_watch();
  return SendResult::kSent;
}

void PahoMqttClient::send_held() {
  while (!held_.empty() && connected_) {
    const SendResult r = send(held_.front());
    if (r == SendResult::kQuotaFull) {
      arm_held_timer();
      return;
    }
    held_.pop_front();
    if (r == SendResult::kFailed && stats_.in_flight > 0) --stats_.in_flight;
  }
  if (stopping_) send_disconnect_when_drained();
}

void PahoMqttClient::arm_stall_watch() {
  if (stall_watch_armed_) return;
  stall_watch_armed_ = true;
  const std::uint64_t seen = completions_;
  stall_watch_.expires_after(kStallWatch);
  stall_watch_.async_wait(guard_.bind([this, seen](const std::error_code& ec) {
    stall_watch_armed_ = false;
    if (ec || !connected_ || disconnect_settled_) return;
    const std::size_t with_paho = stats_.in_flight - held_.size();
    if (with_paho == 0) return;
    const auto now = std::chrono::steady_clock::now();
    if (completions_ == seen &&
        (completions_ != woken_at_completions_ || now - woken_at_ >= kWakeSpacing)) {
      woken_at_completions_ = completions_;
      woken_at_ = now;
      try {
        client_.unsubscribe(kWakeFilter);
      } catch (const std::exception&) {
        // Not connected any more: the loss event is on its way.
      }
    }
    arm_stall_watch();
  }));
}

// Paho may report a completion before it frees the message's place in its own quota; the offer
// that completion triggers then finds the quota full, and with no further completion to come
// (the last messages of a burst, the bridge's "offline" before DISCONNECT) the held messages
// would wait for the next publish. This timer offers them again.
void PahoMqttClient::arm_held_timer() {
  if (held_timer_armed_) return;
  held_timer_armed_ = true;
  held_timer_.expires_after(kHeldRetry);
  held_timer_.async_wait(guard_.bind([this](const std::error_code& ec) {
    held_timer_armed_ = false;
    if (ec) return;
    send_held();
  }));
}

void PahoMqttClient::subscribe(std::string_view filter, int qos) {
  Subscription s{std::string(filter), qos};
  for (Subscription& existing : subscriptions_) {
    if (existing.filter == s.filter) {
      existing.qos = qos;
      if (connected_) issue_subscription(existing);
      return;
    }
  }
  subscriptions_.push_back(std::move(s));
  if (connected_) issue_subscription(subscriptions_.back());
}

void PahoMqttClient::issue_subscription(const Subscription& s) {
  try {
    client_.subscribe(s.filter, s.qos, epoch_context(epoch_), subscribe_listener_);
  } catch (const std::exception&) {
    ++stats_.subscribe_failures;
  }
}

void PahoMqttClient::disconnect(std::chrono::milliseconds timeout, std::function<void()> done) {
  if (stopping_) {
    // A second request: answer it once the first one finishes.
    if (disconnect_done_) {
      disconnect_done_ = [first = std::move(disconnect_done_), second = std::move(done)] {
        first();
        if (second) second();
      };
    } else if (done) {
      asio::post(io_, std::move(done));
    }
    return;
  }
  stopping_ = true;
  retry_timer_.cancel();
  disconnect_done_ = std::move(done);
  if (!disconnect_done_) disconnect_done_ = [] {};
  disconnect_timeout_ = timeout;
  disconnect_timer_.expires_after(timeout + kDisconnectMargin);
  disconnect_timer_.async_wait(guard_.bind([this](const std::error_code& ec) {
    if (ec) return;
    finish_disconnect();
  }));
  send_disconnect_when_drained();
}

// DISCONNECT only once every accepted message has been handed to Paho and acknowledged (QoS 1)
// or sent (QoS 0): Paho refuses publishes after DISCONNECT, so a message still held here (the
// bridge's "offline" behind a discovery burst) would be lost, and with it the retained status.
// Also when not connected: DISCONNECT stops Paho's automatic reconnect.
void PahoMqttClient::send_disconnect_when_drained() {
  if (disconnect_settled_ || (connected_ && stats_.in_flight > 0)) return;
  disconnect_settled_ = true;
  try {
    client_.disconnect(static_cast<int>(disconnect_timeout_.count()), epoch_context(epoch_),
                       disconnect_listener_);
  } catch (const std::exception&) {
    asio::post(io_, guard_.bind([this] { finish_disconnect(); }));
  }
}

void PahoMqttClient::finish_disconnect() {
  disconnect_settled_ = true;
  connected_ = false;
  ++epoch_;
  stats_.in_flight = 0;
  held_.clear();
  disconnect_timer_.cancel();
  if (!disconnect_done_) return;
  auto done = std::move(disconnect_done_);
  disconnect_done_ = nullptr;
  done();
}

MqttStats PahoMqttClient::stats() const {
  return stats_;
}

}  // namespace rct
