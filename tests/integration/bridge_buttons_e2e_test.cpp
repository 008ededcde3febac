// End to end: the bridge's Home Assistant buttons (daemon/bridge_actions.h) pressed through a
// real Mosquitto against the real rct2mqtt process and the simulator (daemon_harness.h). Every
// wait has a deadline.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using namespace rct::test::e2e;
using nlohmann::json;

namespace {

// The first answer on `topic` from line `from` on, parsed.
json button_answer(Subscriber& sub, const std::string& topic, std::size_t from) {
  const auto at = sub.wait_line_topic(topic, 20s, from);
  REQUIRE(at);
  json j = json::parse(sub.lines()[*at].payload, nullptr, false);
  REQUIRE(j.is_object());
  return j;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

}  // namespace

TEST_CASE("the Home Assistant buttons republish discovery and reconnect the inverter",
          "[daemon][e2e][discovery][bridge_actions]") {
  World w;
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string base = "rct2mqtt/" + serial;
  const std::string device_topic = "homeassistant/device/rct2mqtt_" + serial + "/config";
  const auto announced = w.sub->wait_line_topic(device_topic, 40s);
  REQUIRE(announced);
  REQUIRE(w.sub->wait_suffix(base + "/battery/soc", 20s));

  // Both buttons are announced, pressing the topics the daemon listens on.
  const json config = discovery_json(w.sub->lines()[*announced].payload);
  REQUIRE(config.is_object());
  for (const std::string action : {"republish_discovery", "reconnect"}) {
    INFO(action);
    REQUIRE(config["components"].contains("bridge_" + action));
    const json& button = config["components"]["bridge_" + action];
    CHECK(button["platform"] == "button");
    CHECK(button["command_topic"] == base + "/bridge/" + action + "/set");
    CHECK(button["payload_press"] == "PRESS");
  }

  // Republish: the discovery config comes again, answered as accepted.
  std::size_t from = w.sub->lines().size();
  publish_command(w, base + "/bridge/republish_discovery/set", "PRESS");
  const std::string republish_result = base + "/bridge/republish_discovery/set/result";
  const json republished = button_answer(*w.sub, republish_result, from);
  CHECK(republished["outcome"] == "accepted");
  CHECK(republished["key"] == "republish_discovery");
  CHECK(w.sub->wait_line_topic(device_topic, 10s, from));
  // Pressed again at once: refused, rate limited.
  from = w.sub->lines().size();
  publish_command(w, base + "/bridge/republish_discovery/set", "PRESS");
  const json limited = button_answer(*w.sub, republish_result, from);
  CHECK(limited["outcome"] == "rejected");
  CHECK(limited["reason"] == "rate_limited");

  // Reconnect: the simulator serves a new connection, and values keep coming.
  const std::uint64_t served = w.sim->connections_served();
  REQUIRE(served >= 1);
  from = w.sub->lines().size();
  publish_command(w, base + "/bridge/reconnect/set", "PRESS");
  const json reconnected = button_answer(*w.sub, base + "/bridge/reconnect/set/result", from);
  CHECK(reconnected["outcome"] == "accepted");
  const auto deadline = Clock::now() + 20s;
  while (w.sim->connections_served() == served && Clock::now() < deadline) w.sub->pump(100ms);
  REQUIRE(w.sim->connections_served() > served);
  const std::size_t after = w.sub->lines().size();
  const auto value = w.sub->wait(
      [&](const Line& l) {
        return l.topic.rfind(base + "/", 0) == 0 && l.topic.find("/bridge/") == std::string::npos &&
               l.topic != base + "/status";
      },
      30s, after);
  CHECK(value);
  // Availability never dropped: the reconnect took far less than offline_after.
  for (std::size_t i = from; i < w.sub->lines().size(); ++i) {
    CHECK_FALSE(
        (w.sub->lines()[i].topic == base + "/status" && w.sub->lines()[i].payload == "offline"));
  }
  // Every entity has its state (the checker below wants them), the slow values included.
  require_every_state(*w.sub);
  stop_daemon(*daemon);

  const std::string log = daemon->err();
  INFO(log);
  CHECK(count_of(log, "button reconnect pressed: accepted") == 1);
  CHECK(count_of(log, "button republish_discovery pressed: refused (rate_limited)") == 1);
  CHECK(count_of(log, "reconnecting to 127.0.0.1:") == 1);
  CHECK(count_of(log, "connected to 127.0.0.1:") >= 2);

  // Home Assistant's view of everything published, the buttons included, passes the checker.
  check_home_assistant_view(w.sub->lines(), w.dir.path());
}
