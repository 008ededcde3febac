#include "daemon/reload_plan.h"

#include <chrono>
#include <vector>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::Config;
using rct::InverterConfig;
using rct::daemon::plan_reload;
using rct::daemon::SessionChange;

namespace {

InverterConfig inverter(std::string name, std::string host) {
  InverterConfig i;
  i.name = std::move(name);
  i.host = std::move(host);
  return i;
}

Config with_inverters(std::vector<InverterConfig> inverters) {
  Config c;
  c.inverters = std::move(inverters);
  return c;
}

}  // namespace

TEST_CASE("a reload keeps a session whose connection settings are unchanged", "[reload_plan]") {
  const Config running = with_inverters({inverter("a", "10.0.0.1"), inverter("b", "10.0.0.2")});
  Config next = running;
  next.inverters[0].name = "renamed";
  next.inverters[0].offline_after = 5s;
  next.inverters[0].frames_per_second = 20;
  next.inverters[1].port = 9000;
  next.poll.fast_interval = 2s;

  const auto plan = plan_reload(running, next);
  CHECK(plan.sessions == std::vector<SessionChange>{SessionChange::kKeep, SessionChange::kReplace});
  CHECK(plan.stopped == 0);
  CHECK_FALSE(plan.reconnect_mqtt);
  CHECK_FALSE(plan.state_dir_changed);
}

TEST_CASE("a reload replaces a session whose host, timeouts or plant address changed",
          "[reload_plan]") {
  const Config running = with_inverters({inverter("a", "10.0.0.1")});
  Config host = running;
  host.inverters[0].host = "10.0.0.9";
  Config timeout = running;
  timeout.inverters[0].request_timeout = 7s;
  Config address = running;
  address.inverters[0].address = 0x1234;
  for (const Config* next : {&host, &timeout, &address}) {
    CHECK(plan_reload(running, *next).sessions ==
          std::vector<SessionChange>{SessionChange::kReplace});
  }
  CHECK(rct::daemon::same_connection(running.inverters[0], running.inverters[0]));
  CHECK_FALSE(rct::daemon::same_connection(running.inverters[0], address.inverters[0]));
}

TEST_CASE("a reload starts sessions for added inverters and stops those removed", "[reload_plan]") {
  const Config one = with_inverters({inverter("a", "10.0.0.1")});
  const Config three = with_inverters(
      {inverter("a", "10.0.0.1"), inverter("b", "10.0.0.2"), inverter("c", "10.0.0.3")});
  const auto grow = plan_reload(one, three);
  CHECK(grow.sessions == std::vector<SessionChange>{SessionChange::kKeep, SessionChange::kStart,
                                                    SessionChange::kStart});
  CHECK(grow.stopped == 0);
  const auto shrink = plan_reload(three, one);
  CHECK(shrink.sessions == std::vector<SessionChange>{SessionChange::kKeep});
  CHECK(shrink.stopped == 2);
}

TEST_CASE("a reload reconnects MQTT only for changed [mqtt] or birth settings", "[reload_plan]") {
  const Config running;
  Config uri = running;
  uri.mqtt.uri = "tcp://10.0.0.5:1883";
  Config heartbeat = running;
  heartbeat.mqtt.heartbeat = 60s;
  Config birth = running;
  birth.homeassistant.birth_topic = "ha/status";
  Config off = running;
  off.homeassistant.enabled = false;
  Config delay = running;
  delay.homeassistant.republish_delay_max = 1s;
  Config state_dir = running;
  state_dir.state_dir = "/tmp/elsewhere";

  CHECK(plan_reload(running, uri).reconnect_mqtt);
  CHECK(plan_reload(running, heartbeat).reconnect_mqtt);
  CHECK(plan_reload(running, birth).reconnect_mqtt);
  CHECK(plan_reload(running, off).reconnect_mqtt);
  CHECK_FALSE(plan_reload(running, delay).reconnect_mqtt);
  CHECK_FALSE(plan_reload(running, state_dir).reconnect_mqtt);
  CHECK(plan_reload(running, state_dir).state_dir_changed);
}
