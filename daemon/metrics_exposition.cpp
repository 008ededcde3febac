#include "daemon/metrics_exposition.h"

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/number_text.h"

namespace rct::daemon {

namespace {

// A published value that gets a metric of its own beside rct2mqtt_value, for dashboards that
// want a stable name (in the spirit of rctmon's rctmon_* names). Values keep the unit they are
// published in (docs/mqtt.md §2.6): the SOC is in %, powers in W.
struct WellKnownMetric {
  std::string_view key;
  std::string_view name;  // entries of one family follow each other
  std::string_view help;
  std::string_view generator;  // "": no generator label
};
constexpr std::array<WellKnownMetric, 7> kWellKnownMetrics = {{
    {"battery/soc", "rct2mqtt_battery_state_of_charge",
     "Battery state of charge in percent (battery/soc).", ""},
    {"battery/power", "rct2mqtt_battery_power_watts",
     "Battery power in W as published on battery/power.", ""},
    {"grid/power", "rct2mqtt_grid_power_watts", "Grid power in W as published on grid/power.", ""},
    {"house/power", "rct2mqtt_house_power_watts", "House consumption in W (house/power).", ""},
    {"inverter/power", "rct2mqtt_inverter_power_watts", "Inverter AC power in W (inverter/power).",
     ""},
    {"pv/a/power", "rct2mqtt_solar_generator_power_watts",
     "PV generator power in W (pv/a/power, pv/b/power).", "a"},
    {"pv/b/power", "rct2mqtt_solar_generator_power_watts", "", "b"},
}};

// Label names and values of one sample, in order.
using MetricLabels = std::vector<std::pair<std::string_view, std::string>>;

class ExpositionWriter {
 public:
  explicit ExpositionWriter(std::size_t capacity) { out_.reserve(capacity); }
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (const char c : help) {
      if (c == '\\') {
        out_ += "\\\\";
      } else if (c == '\n') {
        out_ += "\\n";
      } else {
        out_ += c;
      }
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  void sample(std::string_view name, const MetricLabels& labels, double value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      for (std::size_t i = 0; i < labels.size(); ++i) {
        if (i > 0) out_ += ',';
        out_ += labels[i].first;
        out_ += "=\"";
        out_ += escape_label_value(labels[i].second);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += metric_number(value);
    out_ += '\n';
  }
  void sample(std::string_view name, const MetricLabels& labels, std::uint64_t value) {
    sample(name, labels, static_cast<double>(value));
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

MetricLabels inverter_labels(const InverterFigures& f) {
  return {{"serial", f.serial}, {"name", f.name}};
}

MetricLabels with_label(MetricLabels labels, std::string_view name, std::string value) {
  labels.emplace_back(name, std::move(value));
  return labels;
}

double exposition_seconds(Duration d) {
  return std::chrono::duration<double>(d).count();
}

double gauge_flag(bool b) {
  return b ? 1.0 : 0.0;
}

void write_bridge(ExpositionWriter& w, const BridgeSnapshot& s) {
  w.family("rct2mqtt_build_info", "gauge", "rct2mqtt's version; always 1.");
  w.sample("rct2mqtt_build_info", {{"version", s.version}}, 1.0);
  w.family("rct2mqtt_uptime_seconds", "gauge", "Seconds since the daemon started.");
  w.sample("rct2mqtt_uptime_seconds", {}, exposition_seconds(s.uptime));
  w.family("rct2mqtt_resident_memory_bytes", "gauge", "Resident set size of the daemon.");
  w.sample("rct2mqtt_resident_memory_bytes", {}, s.memory.rss_kb * 1024);
  w.family("rct2mqtt_private_memory_bytes", "gauge",
           "Resident memory no other process shares (0 when the kernel does not tell).");
  w.sample("rct2mqtt_private_memory_bytes", {}, s.memory.private_kb * 1024);

  const MqttFigures& m = s.mqtt;
  w.family("rct2mqtt_mqtt_connected", "gauge", "1 while the bridge is connected to the broker.");
  w.sample("rct2mqtt_mqtt_connected", {}, gauge_flag(m.connected));
  w.family("rct2mqtt_mqtt_connects_total", "counter",
           "Connections to the broker made (the first and every reconnect).");
  w.sample("rct2mqtt_mqtt_connects_total", {}, m.connects);
  w.family("rct2mqtt_mqtt_messages_published_total", "counter",
           "Messages handed to the MQTT library.");
  w.sample("rct2mqtt_mqtt_messages_published_total", {}, m.published);
  w.family("rct2mqtt_mqtt_messages_delivered_total", "counter",
           "Messages completed (QoS 0: written; QoS 1: acknowledged).");
  w.sample("rct2mqtt_mqtt_messages_delivered_total", {}, m.delivered);
  w.family("rct2mqtt_mqtt_messages_failed_total", "counter",
           "Messages the library rejected or failed after taking them.");
  w.sample("rct2mqtt_mqtt_messages_failed_total", {}, m.failed);
  w.family("rct2mqtt_mqtt_messages_dropped_total", "counter",
           "Messages not sent: broker unreachable (offline) or too many in flight (backlog).");
  w.sample("rct2mqtt_mqtt_messages_dropped_total", {{"reason", "offline"}}, m.dropped_offline);
  w.sample("rct2mqtt_mqtt_messages_dropped_total", {{"reason", "backlog"}}, m.dropped_backlog);
  w.family("rct2mqtt_mqtt_in_flight_messages", "gauge",
           "Messages taken by the library whose completion was not seen yet.");
  w.sample("rct2mqtt_mqtt_in_flight_messages", {}, static_cast<std::uint64_t>(m.in_flight));
}

// One family with one sample per inverter.
template <typename Get>
void per_inverter(ExpositionWriter& w, const BridgeSnapshot& s, std::string_view name,
                  std::string_view type, std::string_view help, Get get) {
  w.family(name, type, help);
  for (const InverterFigures& f : s.inverters) w.sample(name, inverter_labels(f), get(f));
}

void write_frames(ExpositionWriter& w, const BridgeSnapshot& s) {
  per_inverter(w, s, "rct2mqtt_inverter_link_up", "gauge",
               "1 while the TCP connection to the inverter is up.",
               [](const InverterFigures& f) { return gauge_flag(f.link_up); });
  per_inverter(w, s, "rct2mqtt_inverter_online", "gauge",
               "1 while the inverter answers (its status topic says online).",
               [](const InverterFigures& f) { return gauge_flag(f.online); });
  per_inverter(w, s, "rct2mqtt_inverter_reconnects_total", "counter",
               "Times the link to the inverter came up again after its first time.",
               [](const InverterFigures& f) { return f.reconnects; });
  per_inverter(w, s, "rct2mqtt_frames_sent_total", "counter",
               "Request frames sent to the inverter, re-sends included.",
               [](const InverterFigures& f) { return f.frames_sent; });
  per_inverter(w, s, "rct2mqtt_frames_answered_total", "counter",
               "Requests completed by their reply.",
               [](const InverterFigures& f) { return f.frames_answered; });
  per_inverter(w, s, "rct2mqtt_request_timeouts_total", "counter",
               "Waits for a reply that passed (each attempt counts).",
               [](const InverterFigures& f) { return f.timeouts; });
  per_inverter(w, s, "rct2mqtt_requests_lost_total", "counter",
               "Requests given up after their retries (no reply at all).",
               [](const InverterFigures& f) { return f.requests_lost; });
  per_inverter(w, s, "rct2mqtt_frames_truncated_total", "counter",
               "Responses cut short (valid CRC, payload too small for the OID).",
               [](const InverterFigures& f) { return f.frames_truncated; });
  per_inverter(w, s, "rct2mqtt_frames_foreign_total", "counter",
               "Valid responses nobody here asked for (another client's traffic).",
               [](const InverterFigures& f) { return f.frames_foreign; });
  w.family("rct2mqtt_frames_dropped_total", "counter",
           "Good-CRC frames dropped: responses for unknown OIDs, and frames that are no response.");
  for (const InverterFigures& f : s.inverters) {
    w.sample("rct2mqtt_frames_dropped_total",
             with_label(inverter_labels(f), "reason", "unknown_oid"), f.frames_unknown_oid);
    w.sample("rct2mqtt_frames_dropped_total",
             with_label(inverter_labels(f), "reason", "not_response"), f.frames_not_response);
  }
  per_inverter(w, s, "rct2mqtt_frame_errors_total", "counter",
               "Frames the decoder refused: CRC mismatch, bad command or length, cut frame.",
               [](const InverterFigures& f) { return f.frame_errors; });
  per_inverter(
      w, s, "rct2mqtt_scheduler_overdue_values", "gauge",
      "Values waiting a whole poll interval or more beyond their slot.",
      [](const InverterFigures& f) { return static_cast<std::uint64_t>(f.overdue_values); });
}

// The local proxies' families, only when an inverter has one (docs/proxy.md §3). Per client
// figures are in the health topic only: a label per peer would make a new series for every
// connection.
void write_proxy(ExpositionWriter& w, const BridgeSnapshot& s) {
  std::vector<const InverterFigures*> with;
  for (const InverterFigures& f : s.inverters) {
    if (f.proxy.enabled) with.push_back(&f);
  }
  if (with.empty()) return;
  w.family("rct2mqtt_proxy_clients", "gauge", "Clients connected to the local proxy.");
  for (const InverterFigures* f : with) {
    w.sample("rct2mqtt_proxy_clients", inverter_labels(*f),
             static_cast<std::uint64_t>(f->proxy.peers.size()));
  }
  w.family("rct2mqtt_proxy_connections_total", "counter",
           "Connections to the local proxy, accepted or refused (proxy_allow, proxy_clients).");
  for (const InverterFigures* f : with) {
    w.sample("rct2mqtt_proxy_connections_total",
             with_label(inverter_labels(*f), "result", "accepted"), f->proxy.connections);
    w.sample("rct2mqtt_proxy_connections_total",
             with_label(inverter_labels(*f), "result", "refused"), f->proxy.refused_connections);
  }
  w.family("rct2mqtt_proxy_frames_total", "counter",
           "Frames from proxy clients by what they got: answered from the cache, forwarded to "
           "the inverter, sent as a history query, refused (writes), dropped, or bad.");
  for (const InverterFigures* f : with) {
    const ProxyClientFigures& t = f->proxy.totals;
    const std::array<std::pair<std::string_view, std::uint64_t>, 6> kinds = {{
        {"from_cache", t.from_cache},
        {"forwarded", t.forwarded},
        {"query", t.queries},
        {"refused", t.refused},
        {"dropped", t.dropped},
        {"bad", t.bad_frames},
    }};
    for (const auto& [kind, count] : kinds) {
      w.sample("rct2mqtt_proxy_frames_total",
               with_label(inverter_labels(*f), "result", std::string(kind)), count);
    }
  }
  w.family("rct2mqtt_proxy_forwards_answered_total", "counter",
           "Forwarded READs the inverter answered (the rest failed or timed out).");
  for (const InverterFigures* f : with) {
    w.sample("rct2mqtt_proxy_forwards_answered_total", inverter_labels(*f),
             f->proxy.totals.answered);
  }
  w.family("rct2mqtt_proxy_queries_answered_total", "counter",
           "History queries of proxy clients the inverter answered.");
  for (const InverterFigures* f : with) {
    w.sample("rct2mqtt_proxy_queries_answered_total", inverter_labels(*f),
             f->proxy.totals.queries_answered);
  }
  w.family("rct2mqtt_proxy_upstream_requests_total", "counter",
           "Requests the proxy's forwards took of the inverter's frames_per_second budget.");
  for (const InverterFigures* f : with) {
    w.sample("rct2mqtt_proxy_upstream_requests_total", inverter_labels(*f),
             f->proxy.upstream_requests);
  }
  w.family("rct2mqtt_proxy_bytes_total", "counter", "Bytes from and to proxy clients.");
  for (const InverterFigures* f : with) {
    w.sample("rct2mqtt_proxy_bytes_total", with_label(inverter_labels(*f), "direction", "in"),
             f->proxy.totals.bytes_in);
    w.sample("rct2mqtt_proxy_bytes_total", with_label(inverter_labels(*f), "direction", "out"),
             f->proxy.totals.bytes_out);
  }
}

void write_latency(ExpositionWriter& w, const BridgeSnapshot& s) {
  constexpr std::string_view kName = "rct2mqtt_request_latency_seconds";
  w.family(kName, "histogram", "Time from sending a request to its matched reply.");
  const auto& bounds = client::LatencyHistogram::kBoundsMicros;
  for (const InverterFigures& f : s.inverters) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      cumulative += f.latency.counts[i];
      w.sample(
          "rct2mqtt_request_latency_seconds_bucket",
          with_label(inverter_labels(f), "le", metric_number(static_cast<double>(bounds[i]) / 1e6)),
          cumulative);
    }
    w.sample("rct2mqtt_request_latency_seconds_bucket",
             with_label(inverter_labels(f), "le", "+Inf"), f.latency.total);
    w.sample("rct2mqtt_request_latency_seconds_sum", inverter_labels(f),
             static_cast<double>(f.latency.sum_micros) / 1e6);
    w.sample("rct2mqtt_request_latency_seconds_count", inverter_labels(f), f.latency.total);
  }
}

void write_values(ExpositionWriter& w, const BridgeSnapshot& s) {
  per_inverter(w, s, "rct2mqtt_values_published_total", "counter",
               "Value messages handed to MQTT (republishes after a reconnect included).",
               [](const InverterFigures& f) { return f.values_published; });
  w.family("rct2mqtt_values_rejected_total", "counter",
           "Readings the value policy refused to publish, by reason.");
  for (const InverterFigures& f : s.inverters) {
    for (std::size_t r = 0; r < kRejectionCount; ++r) {
      w.sample("rct2mqtt_values_rejected_total",
               with_label(inverter_labels(f), "reason",
                          std::string(rejection_name(static_cast<Rejection>(r)))),
               f.values_rejected[r]);
    }
  }
  w.family("rct2mqtt_value", "gauge",
           "The last published value of each key below <base>/<serial>/, in its unit.");
  for (const InverterFigures& f : s.inverters) {
    for (const ValueFigure& v : f.values) {
      MetricLabels labels = inverter_labels(f);
      labels.emplace_back("key", v.key);
      labels.emplace_back("unit", v.unit);
      w.sample("rct2mqtt_value", labels, v.value);
    }
  }
  std::string_view family;
  for (const WellKnownMetric& known : kWellKnownMetrics) {
    if (known.name != family) w.family(known.name, "gauge", known.help);
    family = known.name;
    for (const InverterFigures& f : s.inverters) {
      for (const ValueFigure& v : f.values) {
        if (v.key != known.key) continue;
        MetricLabels labels = inverter_labels(f);
        if (!known.generator.empty()) labels.emplace_back("generator", known.generator);
        w.sample(known.name, labels, v.value);
      }
    }
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string render_metrics(const BridgeSnapshot& snapshot, std::size_t capacity) {
  ExpositionWriter w(capacity);
  write_bridge(w, snapshot);
  write_frames(w, snapshot);
  write_latency(w, snapshot);
  write_proxy(w, snapshot);
  write_values(w, snapshot);
  return w.take();
}

}  // namespace rct::daemon
