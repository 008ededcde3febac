#include "daemon/bridge_health.h"

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using nlohmann::json;
using rct::daemon::bridge_health;
using rct::daemon::BridgeSnapshot;
using rct::daemon::HealthMessage;
using rct::daemon::Instant;
using rct::daemon::InverterFigures;

namespace {

const Instant kHealthStart = Instant{} + 700h;

InverterFigures health_inverter(std::string name, std::string serial) {
  InverterFigures f;
  f.name = std::move(name);
  f.serial = std::move(serial);
  f.counting_since = kHealthStart;
  return f;
}

BridgeSnapshot health_snapshot(Instant taken) {
  BridgeSnapshot s;
  s.taken = taken;
  s.uptime = taken - kHealthStart;
  s.version = "9.9";
  s.memory = {5000, 3000};
  s.mqtt.connected = true;
  s.mqtt.published = 400;
  s.mqtt.in_flight = 1;
  s.mqtt.dropped_offline = 2;
  s.mqtt.dropped_backlog = 3;
  return s;
}

json payload_on(const std::vector<HealthMessage>& messages, const std::string& topic) {
  for (const HealthMessage& m : messages) {
    if (m.topic == topic) return json::parse(m.payload);
  }
  FAIL("no message on " << topic);
  return {};
}

}  // namespace

TEST_CASE("the first health message rates each inverter's counters since its session started",
          "[health]") {
  BridgeSnapshot s = health_snapshot(kHealthStart + 10s);
  InverterFigures f = health_inverter("garage", "SN1");
  f.link_up = true;
  f.online = true;
  f.frames_sent = 50;
  f.frames_answered = 45;
  f.timeouts = 5;
  f.frames_truncated = 1;
  f.frames_foreign = 20;
  s.inverters.push_back(f);
  const auto messages = bridge_health("rct2mqtt", s, nullptr);
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].topic == "rct2mqtt/bridge/health");
  const json bridge = payload_on(messages, "rct2mqtt/bridge/health");
  CHECK(bridge["version"] == "9.9");
  CHECK(bridge["uptime_s"] == 10);
  CHECK(bridge["memory"] == json{{"rss_kb", 5000}, {"private_kb", 3000}});
  CHECK(bridge["mqtt"] ==
        json{{"connected", true}, {"published", 400}, {"in_flight", 1}, {"dropped", 5}});
  REQUIRE(bridge["inverters"].size() == 1);
  const json& inv = bridge["inverters"][0];
  CHECK(inv["serial"] == "SN1");
  CHECK(inv["name"] == "garage");
  CHECK(inv["link"] == "up");
  CHECK(inv["online"] == true);
  CHECK(inv["interval_s"] == 10.0);
  CHECK(inv["frames_per_second"] == 5.0);
  CHECK(inv["answer_rate"] == 90.0);
  CHECK(inv["loss_rate"] == 10.0);
  CHECK(inv["truncation_rate"] == 2.0);
  CHECK(inv["foreign_frames_per_second"] == 2.0);
  // The inverter's own topic carries the same object.
  CHECK(payload_on(messages, "rct2mqtt/SN1/bridge/health") == inv);
}

TEST_CASE("later health messages rate only what happened since the previous one", "[health]") {
  BridgeSnapshot before = health_snapshot(kHealthStart + 60s);
  InverterFigures f = health_inverter("garage", "SN1");
  f.frames_sent = 1000;
  f.frames_answered = 1000;
  f.frames_foreign = 600;
  before.inverters.push_back(f);

  BridgeSnapshot now = health_snapshot(kHealthStart + 120s);
  f.frames_sent = 1300;      // 300 in 60 s
  f.frames_answered = 1270;  // 270 of them answered
  f.timeouts = 30;           // 30 lost
  f.frames_truncated = 3;    // 1 %
  f.frames_foreign = 600;    // none new
  now.inverters.push_back(f);
  const json inv = payload_on(bridge_health("base", now, &before), "base/SN1/bridge/health");
  CHECK(inv["interval_s"] == 60.0);
  CHECK(inv["frames_per_second"] == 5.0);
  CHECK(inv["answer_rate"] == 90.0);
  CHECK(inv["loss_rate"] == 10.0);
  CHECK(inv["truncation_rate"] == 1.0);
  CHECK(inv["foreign_frames_per_second"] == 0.0);
}

TEST_CASE("a session whose counters started again is rated from its new start", "[health]") {
  BridgeSnapshot before = health_snapshot(kHealthStart + 60s);
  InverterFigures old = health_inverter("garage", "SN1");
  old.frames_sent = 5000;
  old.frames_answered = 5000;
  before.inverters.push_back(old);

  // Replaced by a reload 20 s ago: new counters, smaller than the old ones.
  BridgeSnapshot now = health_snapshot(kHealthStart + 120s);
  InverterFigures fresh = health_inverter("garage", "SN1");
  fresh.counting_since = kHealthStart + 100s;
  fresh.frames_sent = 40;
  fresh.frames_answered = 30;
  fresh.timeouts = 10;
  now.inverters.push_back(fresh);
  const json inv = payload_on(bridge_health("base", now, &before), "base/SN1/bridge/health");
  CHECK(inv["interval_s"] == 20.0);
  CHECK(inv["frames_per_second"] == 2.0);
  CHECK(inv["answer_rate"] == 75.0);
}

TEST_CASE("answers to frames sent before the interval keep the answer rate at or below 100 %",
          "[health]") {
  BridgeSnapshot before = health_snapshot(kHealthStart + 60s);
  InverterFigures f = health_inverter("garage", "SN1");
  f.frames_sent = 1003;  // 3 of them still waiting for their answer
  f.frames_answered = 1000;
  before.inverters.push_back(f);

  BridgeSnapshot now = health_snapshot(kHealthStart + 61s);
  f.frames_sent = 1089;      // 86 sent in this second
  f.frames_answered = 1088;  // 88 answered in it: the 3 waiting ones, 85 of the new
  f.timeouts = 1;            // 1 lost
  now.inverters.push_back(f);
  const json inv = payload_on(bridge_health("base", now, &before), "base/SN1/bridge/health");
  CHECK(inv["frames_per_second"] == 86.0);
  CHECK(inv["answer_rate"] == 98.88);  // 88 of 89 waits ended
  CHECK(inv["loss_rate"] == 1.12);
}

TEST_CASE("an inverter never reached has null rates, a null serial and no topic of its own",
          "[health]") {
  BridgeSnapshot s = health_snapshot(kHealthStart + 30s);
  s.inverters.push_back(health_inverter("roof", ""));
  const auto messages = bridge_health("rct2mqtt", s, nullptr);
  REQUIRE(messages.size() == 1);
  const json inv = payload_on(messages, "rct2mqtt/bridge/health")["inverters"][0];
  CHECK(inv["serial"].is_null());
  CHECK(inv["name"] == "roof");
  CHECK(inv["link"] == "down");
  CHECK(inv["online"] == false);
  CHECK(inv["frames_per_second"] == 0.0);  // time passed, nothing sent
  CHECK(inv["answer_rate"].is_null());     // nothing to divide by
  CHECK(inv["loss_rate"].is_null());
  CHECK(inv["truncation_rate"].is_null());
  CHECK(inv["foreign_frames_per_second"] == 0.0);

  // No time at all: no rate either.
  BridgeSnapshot instant = health_snapshot(kHealthStart);
  instant.inverters.push_back(health_inverter("roof", ""));
  const json zero =
      payload_on(bridge_health("rct2mqtt", instant, nullptr), "rct2mqtt/bridge/health");
  CHECK(zero["inverters"][0]["frames_per_second"].is_null());
}

TEST_CASE("an inverter's health carries its proxy's totals and each connected client", "[health]") {
  BridgeSnapshot s = health_snapshot(kHealthStart + 100s);
  InverterFigures f = health_inverter("garage", "SN1");
  f.proxy.enabled = true;
  f.proxy.connections = 3;
  f.proxy.refused_connections = 1;
  f.proxy.upstream_requests = 12;
  f.proxy.totals.frames_in = 50;
  f.proxy.totals.from_cache = 38;
  f.proxy.totals.forwarded = 12;
  f.proxy.totals.queries = 3;
  f.proxy.totals.queries_answered = 2;
  rct::daemon::ProxyClientFigures peer;
  peer.connected = kHealthStart + 70s;
  peer.frames_in = 20;
  peer.from_cache = 18;
  peer.forwarded = 2;
  peer.answered = 2;
  peer.bytes_in = 180;
  peer.bytes_out = 260;
  f.proxy.peers.push_back({"192.168.1.20:51234", peer});
  s.inverters.push_back(f);
  const json inv = payload_on(bridge_health("base", s, nullptr), "base/SN1/bridge/health");
  REQUIRE(inv.contains("proxy"));
  const json& p = inv["proxy"];
  CHECK(p["clients"] == 1);
  CHECK(p["connections"] == 3);
  CHECK(p["refused_connections"] == 1);
  CHECK(p["upstream_requests"] == 12);
  CHECK(p["frames_in"] == 50);
  CHECK(p["from_cache"] == 38);
  CHECK(p["forwarded"] == 12);
  CHECK(p["queries"] == 3);
  CHECK(p["queries_answered"] == 2);
  REQUIRE(p["peers"].size() == 1);
  const json& one = p["peers"][0];
  CHECK(one["peer"] == "192.168.1.20:51234");
  CHECK(one["connected_s"] == 30);
  CHECK(one["from_cache"] == 18);
  CHECK(one["answered"] == 2);
  CHECK(one["bytes_out"] == 260);

  // Without a proxy there is no proxy object at all.
  s.inverters[0].proxy = {};
  const json none = payload_on(bridge_health("base", s, nullptr), "base/SN1/bridge/health");
  CHECK_FALSE(none.contains("proxy"));
}
