#include "tools/rctclient/doctor_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace rct::cli::doctor {
namespace {

constexpr double kImplausibleMagnitude = 1e9;
constexpr std::size_t kForeignOidsShown = 4;

Check make_check(std::string name, Verdict verdict, std::string summary, nlohmann::json figures) {
  return Check{std::move(name), verdict, std::move(summary), std::move(figures)};
}

std::string format_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// "5 s", "0.5 s".
std::string format_seconds(double s) {
  return format_fixed(s, std::floor(s) == s ? 0 : 1) + " s";
}

std::string join_doctor_words(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) out += (i ? std::string(sep) : "") + words[i];
  return out;
}

std::string yes_no(std::optional<bool> b) {
  if (!b) return "?";
  return *b ? "yes" : "no";
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_digit(s[i + 1]);
      const int lo = hex_digit(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::optional<Latency> latency(std::vector<double> times_ms) {
  if (times_ms.empty()) return std::nullopt;
  std::sort(times_ms.begin(), times_ms.end());
  const std::size_t n = times_ms.size();
  const double median = n % 2 == 1 ? times_ms[n / 2] : (times_ms[n / 2 - 1] + times_ms[n / 2]) / 2;
  return Latency{median, times_ms.back()};
}

std::string format_ms(double ms) {
  if (ms >= 1000) return format_fixed(ms / 1000, 1) + " s";
  if (ms >= 10) return format_fixed(ms, 0) + " ms";
  return format_fixed(ms, 1) + " ms";
}

Check judge_tcp(std::string name, const TcpFigures& f) {
  nlohmann::json figures = {{"target", f.target}, {"connected", f.connected}};
  if (!f.connected) {
    figures["error"] = f.error;
    return make_check(std::move(name), Verdict::kProblem,
                      "cannot connect to " + f.target + ": " + f.error, figures);
  }
  figures["connect_ms"] = f.connect_ms;
  const std::string text = "connected to " + f.target + " in " + format_ms(f.connect_ms);
  if (f.connect_ms > kSlowConnectMs) {
    return make_check(std::move(name), Verdict::kWarning, "slow: " + text, figures);
  }
  return make_check(std::move(name), Verdict::kOk, text, figures);
}

std::optional<std::string> implausible_value(double value, bool lifetime_counter) {
  if (!std::isfinite(value)) return std::string(std::isnan(value) ? "nan" : "infinite");
  if (std::fabs(value) > kImplausibleMagnitude) return std::string("beyond 1e9");
  if (lifetime_counter && value == 0) return std::string("a lifetime counter at 0");
  return std::nullopt;
}

Check judge_reads(const ReadFigures& f) {
  const auto answered = static_cast<unsigned>(f.times_ms.size());
  const unsigned missing = f.attempted - std::min(f.attempted, answered);
  nlohmann::json figures = {{"attempted", f.attempted},
                            {"answered", answered},
                            {"missing", missing},
                            {"timeout_s", f.timeout_s},
                            {"implausible", f.implausible}};
  const std::optional<Latency> lat = latency(f.times_ms);
  if (lat) {
    figures["median_ms"] = lat->median_ms;
    figures["worst_ms"] = lat->worst_ms;
  }
  if (answered == 0) {
    return make_check("inverter.reads", Verdict::kProblem,
                      "the inverter answered none of " + std::to_string(f.attempted) +
                          " reads within " + format_seconds(f.timeout_s) + " each",
                      figures);
  }
  const std::string times =
      "median " + format_ms(lat->median_ms) + ", worst " + format_ms(lat->worst_ms);
  std::string summary =
      std::to_string(answered) + " of " + std::to_string(f.attempted) + " answered, " + times;
  Verdict verdict = Verdict::kOk;
  std::vector<std::string> findings;
  if (missing > 0) {
    const bool too_many = static_cast<double>(missing) >
                          kTolerableLoss * static_cast<double>(std::max(f.attempted, 1U));
    verdict = too_many ? Verdict::kProblem : Verdict::kWarning;
    findings.push_back(std::to_string(missing) + " of " + std::to_string(f.attempted) +
                       " reads got no usable answer within " + format_seconds(f.timeout_s));
  }
  if (lat->median_ms > kSlowMedianMs) {
    if (verdict == Verdict::kOk) verdict = Verdict::kWarning;
    findings.push_back("slow answers");
  }
  if (!f.implausible.empty()) {
    if (verdict == Verdict::kOk) verdict = Verdict::kWarning;
    findings.push_back(std::to_string(f.implausible.size()) + " implausible values (" +
                       f.implausible.front() + ")");
  }
  if (!findings.empty()) summary = join_doctor_words(findings, "; ") + "; " + times;
  return make_check("inverter.reads", verdict, summary, figures);
}

Check judge_foreign(const ForeignFigures& f) {
  unsigned total = 0;
  std::vector<std::pair<std::string, unsigned>> by_count;
  for (const auto& [oid, n] : f.listen_oids) {
    total += n;
    by_count.emplace_back(oid, n);
  }
  std::stable_sort(by_count.begin(), by_count.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  nlohmann::json oids = nlohmann::json::object();
  for (const auto& [oid, n] : f.listen_oids) oids[oid] = n;
  nlohmann::json figures = {{"listen_s", f.listen_s},
                            {"foreign_replies", total},
                            {"rate_per_s", f.listen_s > 0 ? total / f.listen_s : 0.0},
                            {"oids", oids},
                            {"during_reads", f.during_reads},
                            {"late_answers", f.late_answers}};
  if (total > 0) {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < by_count.size() && i < kForeignOidsShown; ++i) {
      names.push_back(by_count[i].first);
    }
    if (by_count.size() > kForeignOidsShown) names.emplace_back("...");
    return make_check("inverter.other_clients", Verdict::kProblem,
                      "another client is on the link: " + std::to_string(total) +
                          " foreign replies in " + format_seconds(f.listen_s) +
                          " (OIDs: " + join_doctor_words(names, ", ") + ")",
                      figures);
  }
  if (f.during_reads > 0) {
    return make_check("inverter.other_clients", Verdict::kWarning,
                      "nobody else while we listened " + format_seconds(f.listen_s) + ", but " +
                          std::to_string(f.during_reads) +
                          " replies we did not ask for arrived while we read (answers with the "
                          "wrong OID, or a client that comes and goes)",
                      figures);
  }
  return make_check("inverter.other_clients", Verdict::kOk,
                    "no foreign replies in " + format_seconds(f.listen_s), figures);
}

Check judge_frames(const FrameFigures& f) {
  nlohmann::json figures = {{"frames", f.frames},         {"crc_errors", f.crc_errors},
                            {"cut_frames", f.cut_frames}, {"other_errors", f.other_errors},
                            {"truncated", f.truncated},   {"bad_replies", f.bad_replies},
                            {"link_drops", f.link_drops}};
  std::vector<std::string> parts;
  if (f.crc_errors) parts.push_back(std::to_string(f.crc_errors) + " CRC errors");
  if (f.cut_frames) parts.push_back(std::to_string(f.cut_frames) + " cut frames");
  if (f.truncated) parts.push_back(std::to_string(f.truncated) + " truncated payloads");
  if (f.other_errors) parts.push_back(std::to_string(f.other_errors) + " malformed frames");
  if (f.bad_replies) {
    parts.push_back(std::to_string(f.bad_replies) + " bad replies to our reads");
  }
  std::string detail = join_doctor_words(parts, ", ");
  if (f.link_drops > 0) {
    return make_check("inverter.frames", Verdict::kProblem,
                      "the connection was lost " + std::to_string(f.link_drops) + " times" +
                          (detail.empty() ? "" : "; " + detail),
                      figures);
  }
  if (!parts.empty()) {
    return make_check("inverter.frames", Verdict::kWarning,
                      "corrupted or cut replies: " + detail + " among " + std::to_string(f.frames) +
                          " good frames",
                      figures);
  }
  return make_check("inverter.frames", Verdict::kOk,
                    "no corrupted or cut replies in " + std::to_string(f.frames) + " frames",
                    figures);
}

Check judge_inventory(const InventoryFigures& f) {
  nlohmann::json figures = {{"asked", f.asked},
                            {"answered", f.answered},
                            {"serial", f.serial},
                            {"firmware", f.firmware},
                            {"device_name", f.device_name}};
  figures["battery"] = f.has_battery ? nlohmann::json(*f.has_battery) : nlohmann::json(nullptr);
  figures["battery_count"] =
      f.battery_count ? nlohmann::json(*f.battery_count) : nlohmann::json(nullptr);
  figures["pv_input_a"] = f.pv_a ? nlohmann::json(*f.pv_a) : nlohmann::json(nullptr);
  figures["pv_input_b"] = f.pv_b ? nlohmann::json(*f.pv_b) : nlohmann::json(nullptr);
  figures["power_switch"] =
      f.power_switch ? nlohmann::json(*f.power_switch) : nlohmann::json(nullptr);
  figures["plant_role"] = f.plant_role ? nlohmann::json(*f.plant_role) : nlohmann::json(nullptr);
  if (f.answered == 0) {
    return make_check("inverter.inventory", Verdict::kProblem,
                      "none of " + std::to_string(f.asked) + " inventory objects answered",
                      figures);
  }
  std::string battery = "battery " + yes_no(f.has_battery);
  if (f.has_battery.value_or(false) && f.battery_count) {
    battery += " (" + std::to_string(*f.battery_count) + ")";
  }
  const std::string text = (f.device_name.empty() ? "?" : f.device_name) + ", serial " +
                           (f.serial.empty() ? "?" : f.serial) + ", firmware " +
                           (f.firmware.empty() ? "?" : f.firmware) + ", " + battery + ", PV A " +
                           yes_no(f.pv_a) + ", PV B " + yes_no(f.pv_b);
  if (f.serial.empty() || f.answered < f.asked) {
    return make_check("inverter.inventory", Verdict::kWarning,
                      std::to_string(f.asked - f.answered) + " of " + std::to_string(f.asked) +
                          " inventory objects unanswered: " + text,
                      figures);
  }
  return make_check("inverter.inventory", Verdict::kOk, text, figures);
}

Check judge_com_mode(const ComModeFigures& f) {
  nlohmann::json figures = {{"reads_worked", f.reads_worked}, {"tried", f.tried}};
  if (f.tried) {
    figures["answered_without"] = f.answered_without;
    figures["answered_with"] = f.answered_with;
  }
  if (f.reads_worked) {
    return make_check("inverter.com_mode", Verdict::kOk,
                      "not needed: READs are answered without the EXTENSION frame 2b 3c e1",
                      figures);
  }
  if (!f.tried) {
    return make_check("inverter.com_mode", Verdict::kSkipped, "not tried: no connection", figures);
  }
  if (f.answered_with && !f.answered_without) {
    return make_check("inverter.com_mode", Verdict::kProblem,
                      "the inverter answers READs only after the EXTENSION frame 2b 3c e1 (\"COM "
                      "mode\"), which rct2mqtt does not send (docs/protocol.md §3.7)",
                      figures);
  }
  if (f.answered_without) {
    return make_check("inverter.com_mode", Verdict::kWarning,
                      "not needed: a fresh connection was answered without 2b 3c e1; the failed "
                      "reads have another cause",
                      figures);
  }
  return make_check("inverter.com_mode", Verdict::kProblem,
                    "no answer with or without the EXTENSION frame 2b 3c e1", figures);
}

std::string MqttUri::paho_uri() const {
  return std::string(tls ? "ssl://" : "tcp://") + host + ":" + std::to_string(port);
}

std::string MqttUri::redacted() const {
  return std::string(tls ? "mqtts://" : "mqtt://") + (username.empty() ? "" : username + "@") +
         host + ":" + std::to_string(port);
}

std::optional<MqttUri> parse_mqtt_uri(std::string_view text, std::string* error) {
  auto fail = [error](std::string why) -> std::optional<MqttUri> {
    if (error != nullptr) *error = std::move(why);
    return std::nullopt;
  };
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return fail("an MQTT URI looks like mqtt://user:password@host:1883 or mqtts://...");
  }
  const std::string_view scheme = text.substr(0, scheme_end);
  MqttUri uri;
  if (scheme == "mqtt" || scheme == "tcp") {
    uri.tls = false;
  } else if (scheme == "mqtts" || scheme == "ssl") {
    uri.tls = true;
  } else {
    return fail("unknown scheme '" + std::string(scheme) + "' (mqtt, mqtts, tcp, ssl)");
  }
  std::string_view rest = text.substr(scheme_end + 3);
  if (const std::size_t slash = rest.find('/'); slash != std::string_view::npos) {
    rest = rest.substr(0, slash);
  }
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const std::size_t colon = userinfo.find(':');
    uri.username = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
      uri.password = percent_decode(userinfo.substr(colon + 1));
      uri.has_password = true;
    }
  }
  std::string_view port_text;
  if (!rest.empty() && rest.front() == '[') {  // [::1]:1883
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return fail("unclosed '[' in the host");
    uri.host = std::string(rest.substr(1, close - 1));
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else {
    const std::size_t colon = rest.rfind(':');
    uri.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (uri.host.empty()) return fail("the MQTT URI has no host");
  uri.port = uri.tls ? 8883 : 1883;
  if (!port_text.empty()) {
    unsigned long port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) return fail("bad port in the MQTT URI");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) return fail("bad port in the MQTT URI");
    uri.port = static_cast<std::uint16_t>(port);
  }
  return uri;
}

std::string redact_uri(std::string_view uri) {
  const std::size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::string(uri);
  const std::size_t start = scheme_end + 3;
  const std::size_t at = uri.find('@', start);
  const std::size_t slash = uri.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(uri);
  }
  std::string_view userinfo = uri.substr(start, at - start);
  const std::size_t colon = userinfo.find(':');
  return std::string(uri.substr(0, start)) + std::string(userinfo.substr(0, colon)) +
         std::string(uri.substr(at));
}

Check judge_tls(const TlsFigures& f) {
  nlohmann::json figures = {{"used", f.used}};
  if (!f.used) {
    return make_check("mqtt.tls", Verdict::kSkipped, "not used (plain MQTT)", figures);
  }
  figures["insecure"] = f.insecure;
  figures["handshake_ok"] = f.handshake_ok;
  figures["ca"] = f.ca;
  if (!f.handshake_ok) {
    figures["error"] = f.error;
    return make_check("mqtt.tls", Verdict::kProblem, "TLS handshake failed: " + f.error, figures);
  }
  if (f.insecure) {
    return make_check("mqtt.tls", Verdict::kWarning,
                      "handshake done, but the certificate is not checked (tls.insecure)", figures);
  }
  return make_check("mqtt.tls", Verdict::kOk,
                    "the broker's certificate was verified against the " + f.ca, figures);
}

Check judge_login(const LoginFigures& f) {
  nlohmann::json figures = {{"username", f.username}};
  if (f.code != 0) figures["code"] = f.code;
  const std::string who = f.username.empty() ? "anonymous" : "user " + f.username;
  switch (f.outcome) {
    case LoginOutcome::kAccepted:
      figures["accepted"] = true;
      return make_check("mqtt.login", Verdict::kOk, "the broker accepted the login (" + who + ")",
                        figures);
    case LoginOutcome::kBadCredentials:
      figures["accepted"] = false;
      return make_check("mqtt.login", Verdict::kProblem,
                        "broker refused the login (bad user name or password)", figures);
    case LoginOutcome::kNotAuthorized:
      figures["accepted"] = false;
      return make_check("mqtt.login", Verdict::kProblem,
                        "broker refused the login (not authorized: " + who + ")", figures);
    case LoginOutcome::kFailed:
      figures["accepted"] = false;
      figures["error"] = f.error;
      return make_check("mqtt.login", Verdict::kProblem, "cannot log in: " + f.error, figures);
    case LoginOutcome::kNotTried:
      break;
  }
  return make_check("mqtt.login", Verdict::kSkipped, "not tried: the broker was not reached",
                    figures);
}

Check judge_discovery(const BrokerDataFigures& f) {
  nlohmann::json figures = {{"filter", f.discovery_filter},
                            {"node_prefix", f.node_prefix},
                            {"configs", f.discovery_configs},
                            {"listen_s", f.listen_s}};
  if (!f.connected) {
    return make_check("mqtt.discovery", Verdict::kSkipped, "not checked: not logged in", figures);
  }
  if (!f.discovery_enabled) {
    return make_check("mqtt.discovery", Verdict::kSkipped,
                      "not checked: [homeassistant] enabled = false", figures);
  }
  if (f.discovery_configs == 0) {
    return make_check("mqtt.discovery", Verdict::kProblem,
                      "no discovery configs " + f.node_prefix + "* on " + f.discovery_filter +
                          " in " + format_seconds(f.listen_s) +
                          " (is rct2mqtt running and connected to this broker?)",
                      figures);
  }
  return make_check("mqtt.discovery", Verdict::kOk,
                    std::to_string(f.discovery_configs) + " discovery configs " + f.node_prefix +
                        "* on " + f.discovery_filter,
                    figures);
}

Check judge_values(const BrokerDataFigures& f) {
  nlohmann::json figures = {
      {"filter", f.values_filter}, {"topics", f.value_topics}, {"listen_s", f.listen_s}};
  if (!f.connected) {
    return make_check("mqtt.values", Verdict::kSkipped, "not checked: not logged in", figures);
  }
  if (f.value_topics == 0) {
    return make_check("mqtt.values", Verdict::kProblem,
                      "no values on " + f.values_filter + " in " + format_seconds(f.listen_s) +
                          " (is rct2mqtt running and connected to this broker?)",
                      figures);
  }
  return make_check("mqtt.values", Verdict::kOk,
                    std::to_string(f.value_topics) + " value topics on " + f.values_filter,
                    figures);
}

}  // namespace rct::cli::doctor
