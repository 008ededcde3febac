#include "daemon/metrics_exposition.h"

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::BridgeSnapshot;
using rct::daemon::InverterFigures;
using rct::daemon::Rejection;
using rct::daemon::render_metrics;

namespace {

BridgeSnapshot exposition_snapshot() {
  BridgeSnapshot s;
  s.uptime = 90s;
  s.version = "1.2.3";
  s.memory = {2048, 1024};
  s.mqtt.connected = true;
  s.mqtt.published = 120;
  s.mqtt.dropped_offline = 3;
  s.mqtt.dropped_backlog = 4;
  s.mqtt.in_flight = 2;
  InverterFigures f;
  f.name = "garage";
  f.serial = "SN1";
  f.link_up = true;
  f.online = true;
  f.frames_sent = 100;
  f.frames_answered = 95;
  f.timeouts = 5;
  f.requests_lost = 1;
  f.frames_truncated = 2;
  f.frames_foreign = 7;
  f.frame_errors = 3;
  f.reconnects = 1;
  f.values_published = 80;
  f.values_rejected[static_cast<std::size_t>(Rejection::kOutOfRange)] = 6;
  f.latency.record(3ms);     // ≤ 5 ms
  f.latency.record(5ms);     // ≤ 5 ms (bounds are inclusive)
  f.latency.record(40ms);    // ≤ 50 ms
  f.latency.record(7000ms);  // beyond every bound: +Inf only
  f.values = {{"battery/soc", "%", 56.5},
              {"grid/power", "W", -1200},
              {"pv/a/connected", "", 1},
              {"pv/a/power", "W", 3000},
              {"pv/b/power", "W", 2500}};
  f.proxy.enabled = true;
  f.proxy.connections = 4;
  f.proxy.refused_connections = 1;
  f.proxy.upstream_requests = 9;
  f.proxy.totals.from_cache = 30;
  f.proxy.totals.forwarded = 10;
  f.proxy.totals.answered = 9;
  f.proxy.totals.queries = 5;
  f.proxy.totals.queries_answered = 4;
  f.proxy.totals.refused = 2;
  f.proxy.totals.bytes_in = 378;
  f.proxy.totals.bytes_out = 520;
  f.proxy.peers.push_back({"127.0.0.1:40000", {}});
  s.inverters.push_back(f);
  return s;
}

std::vector<std::string> exposition_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  for (const std::string& l : exposition_lines(text)) {
    if (l == line) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("label values escape backslash, double quote and line feed, and nothing else",
          "[metrics]") {
  using rct::daemon::escape_label_value;
  CHECK(escape_label_value("battery/soc") == "battery/soc");
  CHECK(escape_label_value("°C") == "°C");
  CHECK(escape_label_value(R"(a\b)") == R"(a\\b)");
  CHECK(escape_label_value(R"(say "hi")") == R"(say \"hi\")");
  CHECK(escape_label_value("two\nlines") == R"(two\nlines)");
  // A snapshot carrying such text renders it escaped inside the quotes.
  BridgeSnapshot s = exposition_snapshot();
  s.inverters[0].values = {{"odd\"key\\x\n", "u", 1}};
  CHECK(has_line(render_metrics(s),
                 R"(rct2mqtt_value{serial="SN1",name="garage",key="odd\"key\\x\n",unit="u"} 1)"));
}

TEST_CASE("every family has HELP and TYPE before its samples, and counters end in _total",
          "[metrics]") {
  const std::string text = render_metrics(exposition_snapshot());
  INFO(text);
  std::map<std::string, std::string> types;  // family → type
  std::set<std::string> helped;
  std::string current;  // the family of the last TYPE line
  for (const std::string& l : exposition_lines(text)) {
    REQUIRE_FALSE(l.empty());
    if (l.rfind("# HELP ", 0) == 0) {
      const std::string name = l.substr(7, l.find(' ', 7) - 7);
      CHECK(helped.insert(name).second);  // once per family
      continue;
    }
    if (l.rfind("# TYPE ", 0) == 0) {
      const std::string rest = l.substr(7);
      const std::string name = rest.substr(0, rest.find(' '));
      const std::string type = rest.substr(rest.find(' ') + 1);
      CHECK(helped.count(name) == 1);  // HELP first
      CHECK(types.emplace(name, type).second);
      current = name;
      if (type == "counter") CHECK(name.size() > 6);
      if (type == "counter") CHECK(name.substr(name.size() - 6) == "_total");
      continue;
    }
    // A sample belongs to the family typed last (histograms: its _bucket, _sum, _count).
    const std::string name = l.substr(0, l.find_first_of("{ "));
    INFO(l);
    CHECK(name.rfind("rct2mqtt_", 0) == 0);
    CHECK(name.rfind(current, 0) == 0);
  }
  CHECK(types["rct2mqtt_frames_sent_total"] == "counter");
  CHECK(types["rct2mqtt_request_latency_seconds"] == "histogram");
  CHECK(types["rct2mqtt_value"] == "gauge");
  CHECK(types["rct2mqtt_inverter_online"] == "gauge");
}

TEST_CASE("the latency histogram has cumulative le buckets, +Inf, _sum and _count", "[metrics]") {
  const std::string text = render_metrics(exposition_snapshot());
  INFO(text);
  const std::string labels = R"(serial="SN1",name="garage")";
  const std::string bucket = "rct2mqtt_request_latency_seconds_bucket{" + labels + ",le=";
  CHECK(has_line(text, bucket + R"("0.005"} 2)"));
  CHECK(has_line(text, bucket + R"("0.01"} 2)"));
  CHECK(has_line(text, bucket + R"("0.025"} 2)"));
  CHECK(has_line(text, bucket + R"("0.05"} 3)"));
  CHECK(has_line(text, bucket + R"("5"} 3)"));
  CHECK(has_line(text, bucket + R"("+Inf"} 4)"));
  CHECK(has_line(text, "rct2mqtt_request_latency_seconds_count{" + labels + "} 4"));
  CHECK(has_line(text, "rct2mqtt_request_latency_seconds_sum{" + labels + "} 7.048"));
  // Ten bounds and +Inf.
  std::size_t buckets = 0;
  for (const std::string& l : exposition_lines(text)) {
    if (l.rfind("rct2mqtt_request_latency_seconds_bucket{", 0) == 0) ++buckets;
  }
  CHECK(buckets == rct::client::LatencyHistogram::kBoundsMicros.size() + 1);
}

TEST_CASE("counters, gauges and values render with the inverter's serial and name", "[metrics]") {
  const std::string text = render_metrics(exposition_snapshot());
  INFO(text);
  const std::string labels = R"({serial="SN1",name="garage"})";
  CHECK(has_line(text, R"(rct2mqtt_build_info{version="1.2.3"} 1)"));
  CHECK(has_line(text, "rct2mqtt_uptime_seconds 90"));
  CHECK(has_line(text, "rct2mqtt_resident_memory_bytes 2097152"));
  CHECK(has_line(text, "rct2mqtt_private_memory_bytes 1048576"));
  CHECK(has_line(text, "rct2mqtt_mqtt_connected 1"));
  CHECK(has_line(text, "rct2mqtt_mqtt_messages_published_total 120"));
  CHECK(has_line(text, R"(rct2mqtt_mqtt_messages_dropped_total{reason="offline"} 3)"));
  CHECK(has_line(text, R"(rct2mqtt_mqtt_messages_dropped_total{reason="backlog"} 4)"));
  CHECK(has_line(text, "rct2mqtt_mqtt_in_flight_messages 2"));
  CHECK(has_line(text, "rct2mqtt_inverter_link_up" + labels + " 1"));
  CHECK(has_line(text, "rct2mqtt_inverter_online" + labels + " 1"));
  CHECK(has_line(text, "rct2mqtt_inverter_reconnects_total" + labels + " 1"));
  CHECK(has_line(text, "rct2mqtt_frames_sent_total" + labels + " 100"));
  CHECK(has_line(text, "rct2mqtt_frames_answered_total" + labels + " 95"));
  CHECK(has_line(text, "rct2mqtt_request_timeouts_total" + labels + " 5"));
  CHECK(has_line(text, "rct2mqtt_requests_lost_total" + labels + " 1"));
  CHECK(has_line(text, "rct2mqtt_frames_truncated_total" + labels + " 2"));
  CHECK(has_line(text, "rct2mqtt_frames_foreign_total" + labels + " 7"));
  CHECK(has_line(text, "rct2mqtt_frame_errors_total" + labels + " 3"));
  CHECK(has_line(text, "rct2mqtt_values_published_total" + labels + " 80"));
  CHECK(has_line(
      text,
      R"(rct2mqtt_values_rejected_total{serial="SN1",name="garage",reason="out_of_range"} 6)"));
  CHECK(has_line(
      text,
      R"(rct2mqtt_values_rejected_total{serial="SN1",name="garage",reason="counter_zero"} 0)"));
  CHECK(has_line(text,
                 R"(rct2mqtt_value{serial="SN1",name="garage",key="battery/soc",unit="%"} 56.5)"));
  CHECK(has_line(text,
                 R"(rct2mqtt_value{serial="SN1",name="garage",key="grid/power",unit="W"} -1200)"));
  CHECK(has_line(text,
                 R"(rct2mqtt_value{serial="SN1",name="garage",key="pv/a/connected",unit=""} 1)"));
  CHECK(has_line(text, "rct2mqtt_battery_state_of_charge" + labels + " 56.5"));
  CHECK(has_line(text, "rct2mqtt_grid_power_watts" + labels + " -1200"));
  CHECK(has_line(
      text,
      R"(rct2mqtt_solar_generator_power_watts{serial="SN1",name="garage",generator="a"} 3000)"));
  CHECK(has_line(
      text,
      R"(rct2mqtt_solar_generator_power_watts{serial="SN1",name="garage",generator="b"} 2500)"));
}

TEST_CASE("an inverter not reached yet renders with an empty serial and no values", "[metrics]") {
  BridgeSnapshot s;
  s.version = "1";
  InverterFigures f;
  f.name = "roof";
  s.inverters.push_back(f);
  const std::string text = render_metrics(s);
  INFO(text);
  CHECK(has_line(text, R"(rct2mqtt_inverter_link_up{serial="",name="roof"} 0)"));
  CHECK(has_line(text, R"(rct2mqtt_frames_sent_total{serial="",name="roof"} 0)"));
  CHECK(text.find("rct2mqtt_value{") == std::string::npos);
  CHECK(text.find("rct2mqtt_battery_state_of_charge{") == std::string::npos);
}

TEST_CASE("the proxy families carry each proxy's totals, and are left out when no proxy listens",
          "[metrics]") {
  BridgeSnapshot s = exposition_snapshot();
  const std::string text = render_metrics(s);
  INFO(text);
  const std::string labels = "{serial=\"SN1\",name=\"garage\"";
  CHECK(has_line(text, "rct2mqtt_proxy_clients" + labels + "} 1"));
  CHECK(has_line(text, "rct2mqtt_proxy_connections_total" + labels + ",result=\"accepted\"} 4"));
  CHECK(has_line(text, "rct2mqtt_proxy_connections_total" + labels + ",result=\"refused\"} 1"));
  CHECK(has_line(text, "rct2mqtt_proxy_frames_total" + labels + ",result=\"from_cache\"} 30"));
  CHECK(has_line(text, "rct2mqtt_proxy_frames_total" + labels + ",result=\"forwarded\"} 10"));
  CHECK(has_line(text, "rct2mqtt_proxy_frames_total" + labels + ",result=\"refused\"} 2"));
  CHECK(has_line(text, "rct2mqtt_proxy_frames_total" + labels + ",result=\"query\"} 5"));
  CHECK(has_line(text, "rct2mqtt_proxy_forwards_answered_total" + labels + "} 9"));
  CHECK(has_line(text, "rct2mqtt_proxy_queries_answered_total" + labels + "} 4"));
  CHECK(has_line(text, "rct2mqtt_proxy_upstream_requests_total" + labels + "} 9"));
  CHECK(has_line(text, "rct2mqtt_proxy_bytes_total" + labels + ",direction=\"out\"} 520"));
  // No peer label: a series per connection would grow without bound.
  CHECK(text.find("40000") == std::string::npos);

  s.inverters[0].proxy = {};
  CHECK(render_metrics(s).find("rct2mqtt_proxy_") == std::string::npos);
}

TEST_CASE("a capacity given to the renderer is reserved and changes nothing in the text",
          "[metrics]") {
  const std::string plain = render_metrics(exposition_snapshot());
  const std::size_t capacity = plain.size() + plain.size() / 16;
  const std::string reserved = render_metrics(exposition_snapshot(), capacity);
  CHECK(reserved == plain);
  CHECK(reserved.capacity() >= capacity);
}
