#include "config/config_dump.h"

#include <cstdio>
#include <sstream>

#include "config/toml_reader.h"
#include "core/hex.h"
#include "core/number_text.h"

namespace rct {

namespace {

using config_detail::format_seconds;

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04X", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string boolean(bool b) {
  return b ? "true" : "false";
}

std::string ref_list(const std::vector<ValueRef>& refs) {
  std::string out = "[";
  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (i > 0) out += ", ";
    out += toml_string(refs[i].text());
  }
  return out + "]";
}

class Writer {
 public:
  void line(std::string_view text = {}) { out_ << text << '\n'; }
  void kv(std::string_view key, const std::string& value) { out_ << key << " = " << value << '\n'; }
  void seconds(std::string_view key, Millis ms) { kv(key, format_seconds(ms)); }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace

std::string dump_config(const Config& cfg) {
  Writer w;
  w.line("# Effective configuration of rct2mqtt, loaded from " + cfg.source.string());
  w.line("# Every default is filled in; secrets are shown as \"***\".");
  w.line();
  w.line("# from " + std::string(state_dir_source_name(cfg.state_dir_source)));
  w.kv("state_dir", toml_string(cfg.state_dir));
  w.line();

  w.line("[logging]");
  w.kv("level", toml_string(log_level_name(cfg.logging.level)));
  w.line();

  const MqttConfig& m = cfg.mqtt;
  w.line("[mqtt]");
  w.kv("uri", toml_string(m.uri));
  w.kv("protocol", toml_string(mqtt_protocol_name(m.protocol)));
  w.kv("client_id", toml_string(m.client_id));
  w.kv("username", toml_string(m.username));
  if (!m.password_file.empty()) {
    w.kv("password_file", toml_string(m.password_file));
  } else if (!m.password.empty()) {
    std::ostringstream masked;
    masked << m.password;
    w.kv("password", toml_string(masked.str()));
  }
  w.kv("qos", std::to_string(m.qos));
  w.kv("retain", boolean(m.retain));
  w.kv("base_topic", toml_string(m.base_topic));
  w.kv("keepalive", std::to_string(m.keepalive.count()));
  w.seconds("connect_timeout", m.connect_timeout);
  w.seconds("reconnect_min", m.reconnect_min);
  w.seconds("reconnect_max", m.reconnect_max);
  w.kv("heartbeat", std::to_string(m.heartbeat.count()));
  w.kv("json_aggregate", boolean(m.json_aggregate));
  if (is_tls(m.scheme)) {
    w.line();
    w.line("[mqtt.tls]");
    if (!m.tls.ca_file.empty()) w.kv("ca_file", toml_string(m.tls.ca_file));
    if (!m.tls.cert_file.empty()) w.kv("cert_file", toml_string(m.tls.cert_file));
    if (!m.tls.key_file.empty()) w.kv("key_file", toml_string(m.tls.key_file));
    if (!m.tls.key_password.empty()) {
      std::ostringstream masked;
      masked << m.tls.key_password;
      w.kv("key_password", toml_string(masked.str()));
    }
    w.kv("insecure", boolean(m.tls.insecure));
  }
  w.line();

  const HomeAssistantConfig& ha = cfg.homeassistant;
  w.line("[homeassistant]");
  w.kv("enabled", boolean(ha.enabled));
  w.kv("prefix", toml_string(ha.prefix));
  w.kv("mode", toml_string(discovery_mode_name(ha.mode)));
  w.kv("birth_topic", toml_string(ha.birth_topic));
  w.seconds("republish_delay_max", ha.republish_delay_max);
  w.line();

  if (cfg.inverters.empty()) {
    w.line("# No [[inverter]]: the daemon is not configured and idles.");
    w.line();
  }
  for (const InverterConfig& inv : cfg.inverters) {
    w.line("[[inverter]]");
    w.kv("name", toml_string(inv.name));
    w.kv("host", toml_string(inv.host));
    w.kv("port", std::to_string(inv.port));
    if (inv.address) w.kv("address", format_oid(*inv.address));  // written like an OID
    w.seconds("connect_timeout", inv.connect_timeout);
    w.seconds("request_timeout", inv.request_timeout);
    w.seconds("request_timeout_floor", inv.request_timeout_floor);
    w.kv("in_flight", std::to_string(inv.in_flight));
    w.kv("frames_per_second", config_number(inv.frames_per_second));
    w.kv("retries", std::to_string(inv.retries));
    w.seconds("reconnect_min", inv.reconnect_min);
    w.seconds("reconnect_max", inv.reconnect_max);
    w.seconds("offline_after", inv.offline_after);
    w.seconds("silence_timeout", inv.silence_timeout);
    if (inv.proxy.enabled()) {
      w.kv("proxy", toml_string(inv.proxy.listen.listen));
      std::string allow;
      for (const IpNetwork& n : inv.proxy.allow) {
        allow += (allow.empty() ? "" : ", ") + toml_string(n.text);
      }
      w.kv("proxy_allow", "[" + allow + "]");
      w.kv("proxy_clients", std::to_string(inv.proxy.clients));
      w.seconds("proxy_max_age", inv.proxy.max_age);
      w.kv("proxy_frames_per_second", config_number(inv.proxy.frames_per_second));
      w.kv("proxy_writes", toml_string(inv.proxy.verified_writes ? "verified" : "refuse"));
    }
    w.line();
  }

  const PollConfig& p = cfg.poll;
  w.line("[poll]");
  w.kv("defaults", boolean(p.defaults));
  w.seconds("fast_interval", p.fast_interval);
  w.seconds("slow_interval", p.slow_interval);
  w.seconds("static_interval", p.static_interval);
  w.seconds("module_interval", p.module_interval);
  w.kv("exclude", ref_list(p.exclude));
  w.line();
  for (const PollValue& v : p.values) {
    w.line("[[poll.value]]");
    w.kv("name", toml_string(v.value.text()));
    if (v.type) w.kv("type", toml_string(pollable_type_name(*v.type)));
    if (v.interval) w.seconds("interval", *v.interval);
    if (!v.friendly_name.empty()) w.kv("friendly_name", toml_string(v.friendly_name));
    if (!v.topic.empty()) w.kv("topic", toml_string(v.topic));
    if (v.scale) w.kv("scale", config_number(*v.scale));
    if (v.deadband) w.kv("deadband", config_number(*v.deadband));
    const HaOverrides& o = v.homeassistant;
    if (o.any()) {
      w.line("[poll.value.homeassistant]");
      if (o.device_class) w.kv("device_class", toml_string(*o.device_class));
      if (o.state_class) w.kv("state_class", toml_string(*o.state_class));
      if (o.unit) w.kv("unit", toml_string(*o.unit));
      if (o.icon) w.kv("icon", toml_string(*o.icon));
      if (o.entity_category) w.kv("entity_category", toml_string(*o.entity_category));
      if (o.enabled_by_default) w.kv("enabled_by_default", boolean(*o.enabled_by_default));
      if (o.suggested_display_precision) {
        w.kv("suggested_display_precision", std::to_string(*o.suggested_display_precision));
      }
    }
    w.line();
  }

  const WritesConfig& wr = cfg.writes;
  w.line("[writes]");
  w.kv("enabled", boolean(wr.enabled));
  w.kv("dry_run", boolean(wr.dry_run));
  if (wr.allow) {
    std::string keys = "[";
    for (std::size_t i = 0; i < wr.allow->size(); ++i) {
      if (i > 0) keys += ", ";
      keys += toml_string((*wr.allow)[i]);
    }
    w.kv("allow", keys + "]");
  } else {
    std::string keys;
    for (const WritableEntry* e : allowed_writable(wr)) {
      if (!keys.empty()) keys += ", ";
      keys += e->key;
    }
    w.line("# allow is not set: every setting of the allowlist may be written (" + keys + ")");
  }
  w.seconds("min_interval", wr.min_interval);
  w.seconds("readback_delay", wr.readback_delay);
  w.seconds("readback_interval", wr.readback_interval);
  w.kv("readback_attempts", std::to_string(wr.readback_attempts));
  w.seconds("dead_man_timeout", wr.dead_man_timeout);
  std::string bits = "[";
  for (std::size_t i = 0; i < wr.block_battery_bits.size(); ++i) {
    if (i > 0) bits += ", ";
    bits += toml_string(wr.block_battery_bits[i]);
  }
  w.kv("block_battery_bits", bits + "]");
  w.kv("block_unknown_battery_bits", boolean(wr.block_unknown_battery_bits));
  w.line();

  const BatteryModesConfig& bm = cfg.battery_modes;
  w.line("[battery_modes]");
  w.seconds("effect_window", bm.effect_window);
  w.seconds("sample_interval", bm.sample_interval);
  w.kv("tolerance", human_number(bm.tolerance));
  w.kv("charge_power", human_number(bm.charge_power));
  if (bm.normal_soc_min) {
    w.kv("normal_soc_min", human_number(*bm.normal_soc_min));
  } else {
    w.line("# normal_soc_min is not set: the minimum remembered before hold raised it");
  }
  w.line();

  w.line("[metrics]");
  if (cfg.metrics.listen.empty()) {
    w.line("# listen is not set: no Prometheus endpoint");
  } else {
    w.kv("listen", toml_string(cfg.metrics.listen));
  }
  return w.str();
}

}  // namespace rct
