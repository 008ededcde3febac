// A process that holds a PahoMqttClient, for the last-will test: the will only fires when the
// connection dies without DISCONNECT, which needs a client in a process the test can SIGKILL.
// Usage: mqtt_will_probe URI STATUS_TOPIC. Publishes "online" (retained, QoS 1) on connect and
// prints "online" once the broker acknowledged it, then runs until killed.
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "config/config.h"
#include "daemon/adapters/paho_mqtt_client.h"

namespace {

class Probe final : public rct::MqttObserver {
 public:
  Probe(asio::io_context& io, rct::PahoMqttClient& client, std::string topic)
      : timer_(io), client_(client), topic_(std::move(topic)) {}

  void on_connected() override {
    client_.publish(topic_, "online", 1, true);
    wait_for_ack();
  }
  void on_connection_lost(std::string_view) override {}
  void on_connect_failed(std::string_view reason) override {
    std::fprintf(stderr, "connect failed: %.*s\n", static_cast<int>(reason.size()), reason.data());
  }
  void on_message(const rct::MqttMessage&) override {}

 private:
  void wait_for_ack() {
    timer_.expires_after(std::chrono::milliseconds(10));
    timer_.async_wait([this](const std::error_code& ec) {
      if (ec) return;
      if (client_.stats().delivered > 0) {
        std::printf("online\n");
        std::fflush(stdout);
        return;
      }
      wait_for_ack();
    });
  }

  asio::steady_timer timer_;
  rct::PahoMqttClient& client_;
  std::string topic_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: mqtt_will_probe URI STATUS_TOPIC\n");
    return 2;
  }
  try {
    asio::io_context io;
    auto work = asio::make_work_guard(io);
    rct::MqttConfig config;
    config.uri = argv[1];
    config.client_id = "rct2mqtt-will-probe";
    rct::PahoMqttClient client(io, config);
    Probe probe(io, client, argv[2]);
    client.set_observer(&probe);
    client.connect(rct::MqttWill{argv[2], "offline"});
    io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mqtt_will_probe: %s\n", e.what());
    return 1;
  }
  return 0;
}
