#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/client/latency_histogram.h"
#include "core/client/request_tracker.h"
#include "daemon/instant.h"
#include "daemon/proxy_policy.h"
#include "daemon/value_policy.h"

namespace rct::daemon {

// The bridge's figures at one moment, as plain data: what the Prometheus endpoint
// (daemon/metrics_exposition.h) and the health topic (daemon/bridge_health.h) show. Filled on the
// loop thread from the state the MQTT side uses (the session machines, their clients' request
// trackers, the MQTT client's counters); taking it never asks an inverter anything. Counters
// count from `counting_since` (the session's start: a reload that replaces a session starts its
// counters again, which Prometheus reads as a counter reset).

// The last published value of one key (docs/mqtt.md §2), as a number: booleans are 0 / 1; text
// values (enum names, states) have no number and are left out.
struct ValueFigure {
  std::string key;   // below <base>/<serial>/, e.g. "battery/soc"
  std::string unit;  // Home Assistant's spelling ("W", "%", "°C"); "" when it has none
  double value = 0.0;
};

// One client of an inverter's local proxy, while it is connected (docs/proxy.md).
struct ProxyPeerFigures {
  std::string peer;  // address:port
  ProxyClientFigures counts;
};

// An inverter's local proxy: off, or its clients and counts since the session started.
struct ProxyFigures {
  bool enabled = false;                   // listening
  std::uint64_t connections = 0;          // accepted
  std::uint64_t refused_connections = 0;  // not in proxy_allow, or beyond proxy_clients
  std::uint64_t upstream_requests = 0;    // forwards charged to the inverter's budget
  ProxyClientFigures totals;              // every client's counts, those gone included
  std::vector<ProxyPeerFigures> peers;    // connected now, oldest first
};

struct InverterFigures {
  std::string name;    // [[inverter]] name
  std::string serial;  // "" until the inventory was read
  bool link_up = false;
  bool online = false;
  Instant counting_since{};

  // Frames, from the connection's request tracker (core/client/request_tracker.h).
  std::uint64_t frames_sent = 0;       // retries included
  std::uint64_t frames_answered = 0;   // requests completed by their reply
  std::uint64_t timeouts = 0;          // waits that passed (each attempt)
  std::uint64_t requests_lost = 0;     // requests given up after their retries
  std::uint64_t frames_truncated = 0;  // responses cut short
  std::uint64_t frames_foreign = 0;    // valid responses nobody here asked for
  std::uint64_t frames_unknown_oid = 0;
  std::uint64_t frames_not_response = 0;  // echoed requests, another client's writes
  std::uint64_t frame_errors = 0;         // CRC mismatches, bad commands or lengths, cut frames
  client::LatencyHistogram latency;
  std::uint64_t reconnects = 0;  // link came up again after the first time
  // Values waiting a whole interval or more beyond their slot (the scheduler's lag).
  std::size_t overdue_values = 0;

  std::uint64_t values_published = 0;  // value messages handed to MQTT (republishes included)
  std::array<std::uint64_t, kRejectionCount> values_rejected{};  // by Rejection
  std::vector<ValueFigure> values;                               // sorted by key
  ProxyFigures proxy;
};

struct MqttFigures {
  bool connected = false;
  std::uint64_t published = 0;
  std::uint64_t delivered = 0;
  std::uint64_t failed = 0;
  std::uint64_t dropped_offline = 0;
  std::uint64_t dropped_backlog = 0;
  std::size_t in_flight = 0;
  std::uint64_t connects = 0;
};

struct MemoryFigures {
  std::uint64_t rss_kb = 0;      // resident set
  std::uint64_t private_kb = 0;  // of it, pages no other process shares; 0 when unknown
};

struct BridgeSnapshot {
  Instant taken{};
  Duration uptime{};
  std::string version;
  MqttFigures mqtt;
  MemoryFigures memory;
  std::vector<InverterFigures> inverters;  // in [[inverter]] order
};

}  // namespace rct::daemon
