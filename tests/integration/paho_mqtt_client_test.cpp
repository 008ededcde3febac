#include "daemon/adapters/paho_mqtt_client.h"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "tests/support/catch.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"
#include "tests/support/run_loop.h"

using namespace std::chrono_literals;
using rct::test::MosquittoBroker;
using rct::test::run_until;

namespace {

// Records every event and whether it arrived on the thread that runs the loop.
class RecordingObserver final : public rct::MqttObserver {
 public:
  void on_connected() override {
    check_thread();
    ++connected;
  }
  void on_connection_lost(std::string_view reason) override {
    check_thread();
    lost.emplace_back(reason);
  }
  void on_connect_failed(std::string_view reason) override {
    check_thread();
    failed.emplace_back(reason);
  }
  void on_message(const rct::MqttMessage& message) override {
    check_thread();
    messages.push_back(message);
  }

  int connected = 0;
  std::vector<std::string> lost;
  std::vector<std::string> failed;
  std::vector<rct::MqttMessage> messages;
  int off_loop_events = 0;
  std::thread::id loop_thread = std::this_thread::get_id();

 private:
  void check_thread() {
    if (std::this_thread::get_id() != loop_thread) ++off_loop_events;
  }
};

rct::MqttConfig config_for(const std::string& uri, const std::string& client_id) {
  rct::MqttConfig config;
  config.uri = uri;
  config.client_id = client_id;
  config.reconnect_min = 1s;
  config.reconnect_max = 2s;
  config.connect_timeout = 2s;
  return config;
}

struct Fixture {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  RecordingObserver observer;
};

rct::MqttWill bridge_will() {
  return {"rct2mqtt/bridge/status", "offline"};
}

// Observed by `f`, connected with `will`.
void connect_observed(Fixture& f, rct::PahoMqttClient& client,
                      const rct::MqttWill& will = bridge_will()) {
  client.set_observer(&f.observer);
  client.connect(will);
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));
}

}  // namespace

TEST_CASE("a retained value published by the client is read back by another client",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  Fixture f;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-publish"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));
  CHECK(client.connected());

  REQUIRE(client.publish("rct2mqtt/0123/battery/soc", "56.3", 0, true));
  REQUIRE(client.publish("rct2mqtt/bridge/status", "online", 1, true));
  REQUIRE(run_until(
      f.io, [&] { return client.stats().delivered == 2; }, 5s));
  CHECK(client.stats().in_flight == 0);
  CHECK(client.stats().published == 2);
  CHECK(client.stats().failed == 0);

  auto got = rct::test::mosquitto_sub(broker.port(), "rct2mqtt/#", 2, 5s);
  REQUIRE(got.size() == 2);
  std::map<std::string, rct::test::ReceivedMessage> by_topic;
  for (auto& m : got) by_topic[m.topic] = m;
  CHECK(by_topic["rct2mqtt/0123/battery/soc"].payload == "56.3");
  CHECK(by_topic["rct2mqtt/0123/battery/soc"].retained);
  CHECK(by_topic["rct2mqtt/bridge/status"].payload == "online");
  CHECK(by_topic["rct2mqtt/bridge/status"].retained);
  CHECK(f.observer.off_loop_events == 0);
}

TEST_CASE("the broker publishes the retained offline will when the client's process dies",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  rct::test::ChildProcess probe({MQTT_WILL_PROBE_PATH, broker.uri(), "rct2mqtt/bridge/status"});
  REQUIRE(probe.wait_for_output("online", 10s));
  auto before = rct::test::mosquitto_sub(broker.port(), "rct2mqtt/bridge/status", 1, 5s);
  REQUIRE(before.size() == 1);
  CHECK(before[0].payload == "online");

  probe.signal(SIGKILL);
  REQUIRE(probe.wait(5s) == 128 + SIGKILL);
  // The broker notices the closed socket at once and replaces the retained "online".
  std::vector<rct::test::ReceivedMessage> after;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    after = rct::test::mosquitto_sub(broker.port(), "rct2mqtt/bridge/status", 1, 1s, false, 1);
  } while ((after.empty() || after[0].payload != "offline") &&
           std::chrono::steady_clock::now() < deadline);
  REQUIRE(after.size() == 1);
  CHECK(after[0].payload == "offline");
  CHECK(after[0].retained);
  CHECK(after[0].qos == 1);
}

TEST_CASE("a clean disconnect completes on the loop and does not trigger the will",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  Fixture f;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-disconnect"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));
  REQUIRE(client.publish(bridge_will().topic, "online", 1, true));

  int done = 0;
  std::thread::id done_thread;
  client.disconnect(2s, [&] {
    ++done;
    done_thread = std::this_thread::get_id();
  });
  REQUIRE(run_until(
      f.io, [&] { return done > 0; }, 5s));
  rct::test::run_for(f.io, 200ms);
  CHECK(done == 1);
  CHECK(done_thread == f.observer.loop_thread);
  CHECK_FALSE(client.connected());
  // The queued "online" went out before DISCONNECT, and the will stayed unpublished.
  auto status = rct::test::mosquitto_sub(broker.port(), bridge_will().topic, 1, 2s);
  REQUIRE(status.size() == 1);
  CHECK(status[0].payload == "online");
  CHECK_FALSE(client.publish("rct2mqtt/x", "1", 0, false));
}

TEST_CASE("a last word published behind a burst still reaches the broker before DISCONNECT",
          "[mqtt][integration]") {
  // The daemon's stop: "offline" (retained) right after a discovery burst, then disconnect().
  // Held behind the burst, it used to be refused by Paho once DISCONNECT had gone out, and the
  // clean DISCONNECT kept the will from saying it either: the status stayed "online".
  MosquittoBroker broker;
  Fixture f;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-last-word"));
  connect_observed(f, client);
  REQUIRE(client.publish(bridge_will().topic, "online", 1, true));
  constexpr int kBurst = 600;
  for (int i = 0; i < kBurst; ++i) {
    REQUIRE(client.publish("burst/" + std::to_string(i % 7), std::to_string(i), 1, true));
  }
  REQUIRE(client.publish(bridge_will().topic, "offline", 1, true));
  int done = 0;
  client.disconnect(5s, [&] { ++done; });
  CHECK_FALSE(client.publish("burst/late", "refused", 1, true));
  REQUIRE(run_until(
      f.io, [&] { return done > 0; }, 15s));
  CHECK(client.stats().failed == 0);
  auto status = rct::test::mosquitto_sub(broker.port(), bridge_will().topic, 1, 5s);
  REQUIRE(status.size() == 1);
  CHECK(status[0].payload == "offline");
  // Everything accepted before disconnect() arrived: the burst's last retained value per topic.
  auto last = rct::test::mosquitto_sub(broker.port(), "burst/6", 1, 5s);
  REQUIRE(last.size() == 1);
  int expected = kBurst - 1;
  while (expected % 7 != 6) --expected;
  CHECK(last[0].payload == std::to_string(expected));
}

TEST_CASE("a stop whose last word is not acknowledged in time ends by its deadline",
          "[mqtt][integration]") {
  // The broker stops answering during the stop: disconnect() does not wait for it beyond its
  // deadline. Once the broker answers again, the status is not "online": the last word, handed
  // over before, arrives, and the will may follow it (how Paho ends a session it was still
  // waking up is its own affair; the daemon's will says "offline" too).
  MosquittoBroker broker;
  Fixture f;
  auto client =
      std::make_unique<rct::PahoMqttClient>(f.io, config_for(broker.uri(), "rct-test-late-word"));
  // A will of its own, to tell it from the last word.
  connect_observed(f, *client, rct::MqttWill{bridge_will().topic, "will"});
  REQUIRE(client->publish(bridge_will().topic, "online", 1, true));
  REQUIRE(run_until(
      f.io, [&] { return client->stats().in_flight == 0; }, 10s));

  broker.pause();
  REQUIRE(client->publish(bridge_will().topic, "offline", 1, true));
  int done = 0;
  client->disconnect(200ms, [&] { ++done; });
  REQUIRE(run_until(
      f.io, [&] { return done > 0; }, 10s));
  CHECK(done == 1);
  CHECK(client->stats().delivered == 1);  // the "online" only: "offline" was never acknowledged
  client.reset();
  broker.resume();
  std::vector<rct::test::ReceivedMessage> status;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    status = rct::test::mosquitto_sub(broker.port(), bridge_will().topic, 1, 1s, false, 1);
  } while ((status.empty() || status[0].payload == "online") &&
           std::chrono::steady_clock::now() < deadline);
  REQUIRE(status.size() == 1);
  CHECK((status[0].payload == "offline" || status[0].payload == "will"));
  CHECK(status[0].retained);
}

TEST_CASE("publishing while the broker is unreachable returns false at once and buffers nothing",
          "[mqtt][integration]") {
  Fixture f;
  const std::uint16_t port = rct::test::free_loopback_port();  // nobody listens here
  rct::PahoMqttClient client(
      f.io, config_for("tcp://127.0.0.1:" + std::to_string(port), "rct-test-down"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return !f.observer.failed.empty(); }, 10s));
  CHECK_FALSE(client.connected());

  constexpr int kCount = 20000;
  const auto start = std::chrono::steady_clock::now();
  int accepted = 0;
  for (int i = 0; i < kCount; ++i) {
    if (client.publish("rct2mqtt/0123/value", std::string(200, 'x'), 0, true)) ++accepted;
  }
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(accepted == 0);
  CHECK(elapsed < 1s);  // a counter bump per call, no network, no waiting
  const rct::MqttStats stats = client.stats();
  CHECK(stats.dropped_offline == kCount);
  CHECK(stats.published == 0);
  CHECK(stats.in_flight == 0);
  CHECK(f.observer.off_loop_events == 0);
}

TEST_CASE("publishing after the broker died returns false and the connection loss is reported",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  Fixture f;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-lost"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));

  broker.kill();
  REQUIRE(run_until(
      f.io, [&] { return !f.observer.lost.empty(); }, 10s));
  CHECK_FALSE(client.connected());
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(client.publish("rct2mqtt/v", "1", 0, true));
  CHECK(client.stats().dropped_offline == 1000);
  CHECK(client.stats().in_flight == 0);
}

TEST_CASE("after a broker restart the client reconnects by itself and resubscribes",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  Fixture f;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-restart"));
  client.set_observer(&f.observer);
  client.subscribe("homeassistant/status", 1);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));

  // A live (non-retained) message while the subscription is known to be in place: retry until
  // the broker has processed the SUBSCRIBE.
  REQUIRE(run_until(
      f.io,
      [&] {
        if (!f.observer.messages.empty()) return true;
        rct::test::mosquitto_pub(broker.port(), "homeassistant/status", "online");
        return false;
      },
      10s));
  CHECK(f.observer.messages.front().topic == "homeassistant/status");
  CHECK(f.observer.messages.front().payload == "online");
  CHECK_FALSE(f.observer.messages.front().retained);

  broker.kill();
  REQUIRE(run_until(
      f.io, [&] { return !f.observer.lost.empty(); }, 10s));
  broker.restart();
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 2; }, 20s));
  CHECK(client.connected());
  CHECK(client.stats().connects == 2);

  // The new broker knows nothing of the old session: only the re-issued subscription can
  // deliver these.
  f.observer.messages.clear();
  REQUIRE(run_until(
      f.io,
      [&] {
        if (!f.observer.messages.empty()) return true;
        rct::test::mosquitto_pub(broker.port(), "homeassistant/status", "online");
        return false;
      },
      10s));
  CHECK(f.observer.messages.front().topic == "homeassistant/status");
  CHECK(f.observer.messages.front().payload == "online");
  CHECK(client.stats().subscribe_failures == 0);

  // Publishing works again on the new connection.
  REQUIRE(client.publish("rct2mqtt/0123/battery/soc", "57.0", 0, true));
  REQUIRE(run_until(
      f.io, [&] { return client.stats().in_flight == 0; }, 5s));
  auto got = rct::test::mosquitto_sub(broker.port(), "rct2mqtt/0123/battery/soc", 1, 5s);
  REQUIRE(got.size() == 1);
  CHECK(got[0].payload == "57.0");
  CHECK(f.observer.off_loop_events == 0);
}

TEST_CASE("a retained message is delivered flagged as retained, a live one is not",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  REQUIRE(rct::test::mosquitto_pub(broker.port(), "rct2mqtt/0123/cmd", "stored", true, 1));
  Fixture f;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-retained"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));
  // Subscribing after the connect issues the SUBSCRIBE at once.
  client.subscribe("rct2mqtt/0123/#", 1);
  REQUIRE(run_until(
      f.io, [&] { return f.observer.messages.size() == 1; }, 10s));
  CHECK(f.observer.messages[0].topic == "rct2mqtt/0123/cmd");
  CHECK(f.observer.messages[0].payload == "stored");
  CHECK(f.observer.messages[0].retained);
  CHECK(f.observer.messages[0].qos == 1);

  REQUIRE(rct::test::mosquitto_pub(broker.port(), "rct2mqtt/0123/cmd", "live", false, 0));
  REQUIRE(run_until(
      f.io, [&] { return f.observer.messages.size() == 2; }, 10s));
  CHECK(f.observer.messages[1].payload == "live");
  CHECK_FALSE(f.observer.messages[1].retained);
  CHECK(f.observer.messages[1].qos == 0);
  CHECK(f.observer.off_loop_events == 0);
}

TEST_CASE("a first connect that fails is reported and the client connects once a broker appears",
          "[mqtt][integration]") {
  Fixture f;
  const std::uint16_t port = rct::test::free_loopback_port();
  rct::PahoMqttClient client(
      f.io, config_for("tcp://127.0.0.1:" + std::to_string(port), "rct-test-late"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return !f.observer.failed.empty(); }, 10s));
  CHECK(f.observer.connected == 0);

  MosquittoBroker broker({.port = port});
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 20s));
  CHECK(client.connected());
  REQUIRE(client.publish("rct2mqtt/bridge/status", "online", 1, true));
  REQUIRE(run_until(
      f.io, [&] { return client.stats().delivered == 1; }, 5s));
  CHECK(f.observer.off_loop_events == 0);
}

TEST_CASE("while the broker does not answer, messages in flight are bounded and the rest dropped",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  Fixture f;
  constexpr std::size_t kBound = 50;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-backlog"), kBound);
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));

  broker.pause();
  int accepted = 0;
  for (int i = 0; i < 200; ++i) {
    if (client.publish("rct2mqtt/0123/value/" + std::to_string(i), std::to_string(i), 1, true)) {
      ++accepted;
    }
  }
  rct::test::run_for(f.io, 300ms);  // QoS 1: nothing completes without the broker's PUBACK
  CHECK(accepted == static_cast<int>(kBound));
  CHECK(client.stats().in_flight == kBound);
  CHECK(client.stats().dropped_backlog == 200 - kBound);
  CHECK_FALSE(client.publish("rct2mqtt/0123/more", "1", 1, true));

  broker.resume();
  REQUIRE(run_until(
      f.io, [&] { return client.stats().in_flight == 0; }, 10s));
  CHECK(client.stats().delivered == kBound);
  CHECK(client.publish("rct2mqtt/0123/more", "1", 1, true));
}

TEST_CASE("disconnect runs its completion once even when never connected", "[mqtt][integration]") {
  Fixture f;
  const std::uint16_t port = rct::test::free_loopback_port();
  rct::PahoMqttClient client(
      f.io, config_for("tcp://127.0.0.1:" + std::to_string(port), "rct-test-stop"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return !f.observer.failed.empty(); }, 10s));
  int done = 0;
  client.disconnect(500ms, [&] { ++done; });
  REQUIRE(run_until(
      f.io, [&] { return done > 0; }, 3s));

  // Reconnecting has stopped: a broker appearing now sees no connection from us.
  MosquittoBroker broker({.port = port});
  rct::test::run_for(f.io, 3s);
  CHECK(done == 1);
  CHECK(f.observer.connected == 0);
  CHECK_FALSE(client.connected());
}

TEST_CASE("the client logs in with user name and password; a wrong password is refused by name",
          "[mqtt][integration]") {
  MosquittoBroker broker({.user_password = std::make_pair("rct", "s3cret pass")});
  {
    Fixture f;
    rct::MqttConfig config = config_for(broker.uri(), "rct-test-login");
    config.username = "rct";
    config.password = rct::Secret("s3cret pass");
    rct::PahoMqttClient client(f.io, config);
    client.set_observer(&f.observer);
    client.connect(bridge_will());
    REQUIRE(run_until(
        f.io, [&] { return f.observer.connected == 1; }, 10s));
    CHECK(f.observer.failed.empty());
  }
  {
    Fixture f;
    rct::MqttConfig config = config_for(broker.uri(), "rct-test-badlogin");
    config.username = "rct";
    config.password = rct::Secret("wrong");
    rct::PahoMqttClient client(f.io, config);
    client.set_observer(&f.observer);
    client.connect(bridge_will());
    REQUIRE(run_until(
        f.io, [&] { return !f.observer.failed.empty(); }, 10s));
    CHECK(f.observer.connected == 0);
    // MQTT 3.1.1 CONNACK 5 (mosquitto answers a bad password with "not authorized").
    CHECK_THAT(f.observer.failed.front(), Catch::Contains("not authorized"));
    CHECK_THAT(f.observer.failed.front(), !Catch::Contains("wrong"));
  }
}

TEST_CASE("under MQTT 5 a command's response topic and binary correlation data arrive and go back",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  Fixture f;
  rct::PahoMqttClient bridge(f.io, config_for(broker.uri(), "rct-test-v5-bridge"));
  bridge.set_observer(&f.observer);
  bridge.subscribe("rct2mqtt/+/settings/+/set", 1);
  bridge.connect(bridge_will());
  RecordingObserver requester_events;
  rct::PahoMqttClient requester(f.io, config_for(broker.uri(), "rct-test-v5-requester"));
  requester.set_observer(&requester_events);
  requester.subscribe("replies/test", 1);
  requester.connect({"test/requester/status", "offline"});
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1 && requester_events.connected == 1; }, 10s));

  // mosquitto_pub speaks MQTT 5 with -V 5 and sets the request/response properties.
  const auto pub = rct::test::find_executable("mosquitto_pub");
  REQUIRE(pub);
  const auto sent = rct::test::run_process({*pub,
                                            "-h",
                                            "127.0.0.1",
                                            "-p",
                                            std::to_string(broker.port()),
                                            "-V",
                                            "5",
                                            "-q",
                                            "1",
                                            "-t",
                                            "rct2mqtt/SN/settings/soc_target/set",
                                            "-m",
                                            "50",
                                            "-D",
                                            "publish",
                                            "response-topic",
                                            "replies/test",
                                            "-D",
                                            "publish",
                                            "correlation-data",
                                            "req-42"},
                                           {}, 10s);
  INFO(sent.err);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(run_until(
      f.io, [&] { return f.observer.messages.size() == 1; }, 10s));
  CHECK(f.observer.messages[0].payload == "50");
  CHECK(f.observer.messages[0].response_topic == "replies/test");
  CHECK(f.observer.messages[0].correlation_data == "req-42");

  // The answer carries correlation data byte for byte: a NUL and bytes that are no UTF-8.
  const std::string binary("\x00\xff\x01z", 4);
  REQUIRE(bridge.publish("replies/test", R"({"outcome":"verified"})", 1, false, binary));
  REQUIRE(run_until(
      f.io, [&] { return requester_events.messages.size() == 1; }, 10s));
  CHECK(requester_events.messages[0].payload == R"({"outcome":"verified"})");
  CHECK(requester_events.messages[0].correlation_data == binary);
  CHECK(requester_events.messages[0].response_topic.empty());
  CHECK(f.observer.off_loop_events == 0);
  CHECK(broker.log().find("rct-test-v5-bridge (p5") != std::string::npos);  // MQTT 5
}

TEST_CASE("with protocol 3.1.1 the client connects, publishes and receives without v5 properties",
          "[mqtt][integration]") {
  MosquittoBroker broker;
  Fixture f;
  rct::MqttConfig config = config_for(broker.uri(), "rct-test-v311");
  config.protocol = rct::MqttProtocol::kV311;
  rct::PahoMqttClient client(f.io, config);
  client.set_observer(&f.observer);
  client.subscribe("rct2mqtt/+/settings/+/set", 1);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));
  // A v5 sender's properties do not reach a 3.1.1 subscriber.
  const auto pub = rct::test::find_executable("mosquitto_pub");
  REQUIRE(pub);
  const auto sent =
      rct::test::run_process({*pub, "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-V",
                              "5", "-q", "1", "-t", "rct2mqtt/SN/settings/soc_target/set", "-m",
                              "60", "-D", "publish", "response-topic", "replies/test"},
                             {}, 10s);
  REQUIRE(sent.exit_code == 0);
  REQUIRE(run_until(
      f.io, [&] { return f.observer.messages.size() == 1; }, 10s));
  CHECK(f.observer.messages[0].payload == "60");
  CHECK(f.observer.messages[0].response_topic.empty());
  // Correlation data is left out under 3.1.1; the message itself goes out.
  REQUIRE(client.publish("rct2mqtt/SN/settings/soc_target/set/result", "{}", 1, false, "x"));
  REQUIRE(run_until(
      f.io, [&] { return client.stats().delivered == 1; }, 5s));
  CHECK(client.stats().failed == 0);
  CHECK(broker.log().find("rct-test-v311 (p2") != std::string::npos);  // MQTT 3.1.1
}

TEST_CASE("a burst larger than Paho's buffer of unsent publishes arrives whole and in order",
          "[mqtt][integration]") {
  // A discovery announcement is a burst of ~130 QoS 1 messages in one loop turn; Paho refuses
  // publishes beyond 100 that it has not sent yet. None may be lost.
  MosquittoBroker broker;
  Fixture f;
  rct::PahoMqttClient client(f.io, config_for(broker.uri(), "rct-test-burst"));
  client.set_observer(&f.observer);
  client.connect(bridge_will());
  REQUIRE(run_until(
      f.io, [&] { return f.observer.connected == 1; }, 10s));
  client.subscribe("burst/#", 1);
  // The subscription is in place once a message on it comes back.
  REQUIRE(client.publish("burst/probe", "probe", 1, false));
  REQUIRE(run_until(
      f.io, [&] { return !f.observer.messages.empty(); }, 10s));
  f.observer.messages.clear();

  constexpr int kBurst = 600;
  for (int i = 0; i < kBurst; ++i) {
    REQUIRE(client.publish("burst/" + std::to_string(i % 7), std::to_string(i), 1, false));
  }
  REQUIRE(run_until(
      f.io, [&] { return f.observer.messages.size() >= kBurst; }, 30s));
  CHECK(client.stats().failed == 0);
  REQUIRE(f.observer.messages.size() == kBurst);
  for (int i = 0; i < kBurst; ++i) {
    INFO(i);
    CHECK(f.observer.messages[static_cast<std::size_t>(i)].payload == std::to_string(i));
  }
  REQUIRE(run_until(
      f.io, [&] { return client.stats().in_flight == 0; }, 10s));
}
