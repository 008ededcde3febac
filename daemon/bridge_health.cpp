#include "daemon/bridge_health.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "daemon/discovery.h"
#include "daemon/topics.h"

namespace rct::daemon {

namespace {

using HealthJson = nlohmann::ordered_json;

// Counter increases over one interval of one inverter.
struct HealthDeltas {
  double seconds = 0.0;
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t truncated = 0;
  std::uint64_t foreign = 0;
};

HealthDeltas deltas_of(const InverterFigures& now, Instant taken, const InverterFigures* before,
                       Instant before_taken) {
  HealthDeltas d;
  const InverterFigures zero;
  const InverterFigures& base = before != nullptr ? *before : zero;
  const Instant from = before != nullptr ? before_taken : now.counting_since;
  d.seconds = std::chrono::duration<double>(taken - from).count();
  // A counter below its earlier value has started again (it never happens for a kept session).
  const auto grew = [](std::uint64_t a, std::uint64_t b) { return a >= b ? a - b : a; };
  d.sent = grew(now.frames_sent, base.frames_sent);
  d.answered = grew(now.frames_answered, base.frames_answered);
  d.timeouts = grew(now.timeouts, base.timeouts);
  d.truncated = grew(now.frames_truncated, base.frames_truncated);
  d.foreign = grew(now.frames_foreign, base.frames_foreign);
  return d;
}

// Rounded to two decimals: figures for people and Home Assistant, not for arithmetic.
double health_round(double v) {
  return std::round(v * 100.0) / 100.0;
}

HealthJson per_second(std::uint64_t count, double seconds) {
  if (seconds <= 0.0) return nullptr;
  return health_round(static_cast<double>(count) / seconds);
}

HealthJson percent_of(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return nullptr;
  return health_round(100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

const InverterFigures* previous_of(const InverterFigures& f, const BridgeSnapshot* previous) {
  if (previous == nullptr) return nullptr;
  for (const InverterFigures& p : previous->inverters) {
    if (p.name == f.name && p.counting_since == f.counting_since) return &p;
  }
  return nullptr;
}

HealthJson proxy_counts(const ProxyClientFigures& c) {
  return {{"frames_in", c.frames_in},   {"from_cache", c.from_cache},
          {"forwarded", c.forwarded},   {"answered", c.answered},
          {"queries", c.queries},       {"queries_answered", c.queries_answered},
          {"refused", c.refused},       {"dropped", c.dropped},
          {"bad_frames", c.bad_frames}, {"bytes_in", c.bytes_in},
          {"bytes_out", c.bytes_out}};
}

// The local proxy's part (docs/proxy.md §3): counts since the session started, and each client
// connected now.
HealthJson proxy_health(const ProxyFigures& p, Instant taken) {
  HealthJson j = proxy_counts(p.totals);
  j["clients"] = p.peers.size();
  j["connections"] = p.connections;
  j["refused_connections"] = p.refused_connections;
  j["upstream_requests"] = p.upstream_requests;
  HealthJson peers = HealthJson::array();
  for (const ProxyPeerFigures& peer : p.peers) {
    HealthJson one;
    one["peer"] = peer.peer;
    one["connected_s"] =
        std::chrono::duration_cast<std::chrono::seconds>(taken - peer.counts.connected).count();
    one.update(proxy_counts(peer.counts));
    peers.push_back(std::move(one));
  }
  j["peers"] = std::move(peers);
  return j;
}

HealthJson inverter_health(const InverterFigures& f, const BridgeSnapshot& now,
                           const BridgeSnapshot* previous) {
  const InverterFigures* before = previous_of(f, previous);
  const HealthDeltas d =
      deltas_of(f, now.taken, before, previous != nullptr ? previous->taken : Instant{});
  HealthJson j;
  j["serial"] = f.serial.empty() ? HealthJson(nullptr) : HealthJson(f.serial);
  j["name"] = f.name;
  j["link"] = f.link_up ? "up" : "down";
  j["online"] = f.online;
  j["interval_s"] = health_round(d.seconds);
  j["frames_per_second"] = per_second(d.sent, d.seconds);
  // Rated per wait that ended in the interval (answered or passed), not per frame sent in it:
  // a frame sent just before the interval began may be answered inside it, so answers can
  // outnumber the frames sent, and a rate per frame sent would pass 100 %.
  const std::uint64_t ended = d.answered + d.timeouts;
  j["answer_rate"] = percent_of(d.answered, ended);
  j["loss_rate"] = percent_of(d.timeouts, ended);
  j["truncation_rate"] = percent_of(d.truncated, ended);
  j["foreign_frames_per_second"] = per_second(d.foreign, d.seconds);
  if (f.proxy.enabled) j["proxy"] = proxy_health(f.proxy, now.taken);
  return j;
}

}  // namespace

std::vector<HealthMessage> bridge_health(std::string_view base_topic, const BridgeSnapshot& now,
                                         const BridgeSnapshot* previous) {
  std::vector<HealthMessage> out;
  HealthJson bridge;
  bridge["version"] = now.version;
  bridge["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(now.uptime).count();
  bridge["memory"] = {{"rss_kb", now.memory.rss_kb}, {"private_kb", now.memory.private_kb}};
  bridge["mqtt"] = {{"connected", now.mqtt.connected},
                    {"published", now.mqtt.published},
                    {"in_flight", now.mqtt.in_flight},
                    {"dropped", now.mqtt.dropped_offline + now.mqtt.dropped_backlog}};
  HealthJson inverters = HealthJson::array();
  for (const InverterFigures& f : now.inverters) {
    HealthJson one = inverter_health(f, now, previous);
    if (!f.serial.empty()) {
      out.push_back({value_topic(base_topic, f.serial, kBridgeHealthKey), one.dump()});
    }
    inverters.push_back(std::move(one));
  }
  bridge["inverters"] = std::move(inverters);
  out.insert(out.begin(), HealthMessage{bridge_health_topic(base_topic), bridge.dump()});
  return out;
}

}  // namespace rct::daemon
