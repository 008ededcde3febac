#include "config/config_loader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>

#include "config/client_settings.h"
#include "config/listen_address.h"
#include "config/toml_reader.h"
#include "core/hex.h"
#include "ha/vocabulary.h"

namespace rct {

std::string ConfigError::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

std::string format_errors(const ConfigErrors& errors) {
  std::string out;
  for (const auto& e : errors) {
    out += e.to_string();
    out += '\n';
  }
  return out;
}

namespace {

using config_detail::Diagnostics;
using config_detail::Section;
using namespace std::chrono_literals;

constexpr std::size_t kMaxPasswordFileBytes = 4096;
constexpr Millis kWeek = std::chrono::hours{24 * 7};
constexpr Millis kDay = std::chrono::hours{24};

std::string list_words(std::span<const std::string_view> list) {
  std::string out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += i + 1 == list.size() ? " or " : ", ";
    out += list[i];
  }
  return out;
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool is_id_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
}

// An MQTT topic we publish or subscribe to: no wildcards, no empty levels, no leading or trailing
// '/'.
std::string topic_problem(std::string_view t) {
  if (t.empty()) return "must not be empty";
  if (t.size() > 200) return "is too long (at most 200 bytes)";
  if (t.find_first_of("+#") != std::string_view::npos)
    return "must not contain the wildcards '+' or '#'";
  if (has_control_chars(t)) return "must not contain control characters";
  if (t.front() == '/' || t.back() == '/') return "must not start or end with '/'";
  if (t.find("//") != std::string_view::npos) return "must not contain an empty level ('//')";
  if (t.find(' ') != std::string_view::npos) return "must not contain spaces";
  return {};
}

bool looks_like_hex_id(std::string_view s) {
  return s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
}

std::string concat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view p : parts) out += p;
  return out;
}

std::string errno_text(int e) {
  return std::strerror(e);
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

class Loader {
 public:
  Loader(const std::filesystem::path& path, const Environment& env, const ValueCatalog& catalog)
      : path_(path), env_(env), catalog_(catalog), diag_(path.string()) {}

  Result<Config, ConfigErrors> run();

 private:
  void read_root(const toml::table& root);
  void read_logging(Section& s);
  void read_mqtt(Section& s);
  void read_tls(Section& s);
  void read_password_file(Section& s, const toml::node& where, const std::string& file);
  void read_homeassistant(Section& s);
  void read_inverters(const toml::node& node);
  void read_inverter(Section& s, InverterConfig& inv);
  void read_proxy(Section& s, ProxyConfig& proxy);
  void check_inverter_set(const std::vector<const toml::table*>& tables);
  void read_poll(Section& s);
  void read_poll_value(Section& s, PollValue& v);
  void read_ha_overrides(Section& s, HaOverrides& o);
  void read_writes(Section& s);
  void read_write_keys(Section& s);
  void read_battery_bits(Section& s);
  void read_battery_modes(Section& s);
  void read_metrics(Section& s);
  void resolve_state_dir(const std::optional<std::string>& configured);

  // Reads a registry name or "0xID". Unknown names are always errors; an unknown id only when
  // !allow_unknown_id (a [[poll.value]] may add one with its type).
  std::optional<ValueRef> parse_value_ref(const toml::node& where, const std::string& what,
                                          std::string_view text, bool allow_unknown_id,
                                          bool* id_known = nullptr);
  std::vector<ValueRef> read_value_list(Section& s, std::string_view key);
  std::string resolve_path(const std::string& p) const;
  void check_readable(const toml::node& where, const std::string& what, const std::string& file);

  std::filesystem::path path_;
  const Environment& env_;
  const ValueCatalog& catalog_;
  Diagnostics diag_;
  Config cfg_;
};

Result<Config, ConfigErrors> Loader::run() {
  cfg_.source = path_;
  if (!catalog_.is_known_name || !catalog_.is_known_id) {
    diag_.file_error("internal error: no value catalog to check value names against");
    return diag_.take();
  }
  // Open it ourselves first: toml++'s message for a missing file does not say why.
  {
    errno = 0;
    FilePtr f{std::fopen(path_.c_str(), "rb")};
    if (!f) {
      diag_.file_error("cannot open the configuration file: " + errno_text(errno));
      return diag_.take();
    }
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) {
    diag_.file_error("is a directory, not a configuration file");
    return diag_.take();
  }
  toml::table root;
  try {
    root = toml::parse_file(path_.string());
  } catch (const toml::parse_error& e) {
    diag_.error(e.source(), std::string(e.description()));
    return diag_.take();
  }
  read_root(root);
  if (!diag_.empty()) return diag_.take();
  return std::move(cfg_);
}

void Loader::read_root(const toml::table& root) {
  Section s(diag_, root, "");
  std::optional<std::string> state_dir;
  if (std::string dir; s.get_string("state_dir", dir)) {
    if (dir.empty() || dir.front() != '/') {
      diag_.error(*s.get("state_dir"), "state_dir must be an absolute path");
    } else {
      state_dir = dir;
    }
  }
  resolve_state_dir(state_dir);

  // Tables are read in an order where later ones may depend on earlier ones (TLS on the URI).
  if (const auto* t = s.get_table("logging")) {
    Section sub(diag_, *t, "logging");
    read_logging(sub);
  }
  if (const auto* t = s.get_table("mqtt")) {
    Section sub(diag_, *t, "mqtt");
    read_mqtt(sub);
  }
  if (const auto* t = s.get_table("homeassistant")) {
    Section sub(diag_, *t, "homeassistant");
    read_homeassistant(sub);
  }
  if (const auto* n = s.get("inverter")) read_inverters(*n);
  if (const auto* t = s.get_table("poll")) {
    Section sub(diag_, *t, "poll");
    read_poll(sub);
  }
  if (const auto* t = s.get_table("writes")) {
    Section sub(diag_, *t, "writes");
    read_writes(sub);
  }
  if (const auto* t = s.get_table("battery_modes")) {
    Section sub(diag_, *t, "battery_modes");
    read_battery_modes(sub);
  }
  if (const auto* t = s.get_table("metrics")) {
    Section sub(diag_, *t, "metrics");
    read_metrics(sub);
  }
  s.finish();
}

void Loader::resolve_state_dir(const std::optional<std::string>& configured) {
  if (env_.state_directory && !env_.state_directory->empty()) {
    // systemd joins several StateDirectory= entries with ':'; ours is the first.
    const std::string& all = *env_.state_directory;
    cfg_.state_dir = all.substr(0, all.find(':'));
    cfg_.state_dir_source = StateDirSource::kEnvironment;
    if (!cfg_.state_dir.empty()) return;
  }
  if (configured) {
    cfg_.state_dir = *configured;
    cfg_.state_dir_source = StateDirSource::kConfigFile;
    return;
  }
  cfg_.state_dir = std::string(kDefaultStateDir);
  cfg_.state_dir_source = StateDirSource::kDefault;
}

void Loader::read_logging(Section& s) {
  if (std::string level; s.get_string("level", level)) {
    if (auto l = log_level_from_name(level)) {
      cfg_.logging.level = *l;
    } else {
      diag_.error(
          *s.get("level"),
          "logging.level must be one of trace, debug, info, warn, error, critical or off (got '" +
              level + "')");
    }
  }
  s.finish();
}

// Checks "scheme://host[:port][/path]". The URI is never echoed: it could hold credentials.
void Loader::read_mqtt(Section& s) {
  MqttConfig& m = cfg_.mqtt;
  if (std::string uri; s.get_string("uri", uri)) {
    const toml::node& where = *s.get("uri");
    const auto sep = uri.find("://");
    if (sep == std::string::npos) {
      diag_.error(where, "mqtt.uri must look like tcp://host:port");
    } else if (auto scheme = mqtt_scheme_from_name(uri.substr(0, sep)); !scheme) {
      const std::string shown = has_control_chars(uri.substr(0, sep)) ? "?" : uri.substr(0, sep);
      diag_.error(where, "mqtt.uri scheme '" + shown +
                             "' is not supported; use tcp, mqtt, ssl, mqtts, ws or wss");
    } else {
      const std::string rest = uri.substr(sep + 3);
      const std::string authority = rest.substr(0, rest.find('/'));
      const bool has_path = authority.size() != rest.size();
      std::string host = authority;
      std::string port;
      if (!authority.empty() && authority.front() == '[') {  // [v6]:port
        const auto close = authority.find(']');
        host = close == std::string::npos ? "" : authority.substr(1, close - 1);
        if (close != std::string::npos && close + 1 < authority.size()) {
          port = authority[close + 1] == ':' ? authority.substr(close + 2) : "x";
        }
      } else if (const auto colon = authority.rfind(':'); colon != std::string::npos) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
        if (port.empty()) port = "x";
      }
      const bool port_ok =
          port.empty() ||
          (port.size() <= 5 &&
           std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoi(port) >= 1 && std::stoi(port) <= 65535);
      if (authority.find('@') != std::string::npos) {
        diag_.error(where,
                    "mqtt.uri must not contain credentials; use mqtt.username and mqtt.password");
      } else if (host.empty() || has_control_chars(authority) ||
                 authority.find(' ') != std::string::npos) {
        diag_.error(where, "mqtt.uri has no valid host name");
      } else if (!port_ok) {
        diag_.error(where, "mqtt.uri port must be a number between 1 and 65535");
      } else if (has_path && *scheme != MqttScheme::kWs && *scheme != MqttScheme::kWss) {
        diag_.error(where, "mqtt.uri may have a path only with ws:// or wss://");
      } else {
        m.uri = uri;
        m.scheme = *scheme;
      }
    }
  }
  if (std::string protocol; s.get_string("protocol", protocol)) {
    if (auto p = mqtt_protocol_from_name(protocol)) {
      m.protocol = *p;
    } else {
      const std::string shown = has_control_chars(protocol) ? "?" : protocol;
      diag_.error(*s.get("protocol"),
                  "mqtt.protocol must be \"5\" or \"3.1.1\" (got '" + shown + "')");
    }
  }
  if (std::string id; s.get_string("client_id", id)) {
    if (id.size() > 256 || has_control_chars(id)) {
      diag_.error(*s.get("client_id"), "mqtt.client_id must be at most 256 printable characters");
    } else {
      m.client_id = id;
    }
  }
  if (std::string user; s.get_string("username", user)) {
    if (has_control_chars(user)) {
      diag_.error(*s.get("username"), "mqtt.username must not contain control characters");
    } else {
      m.username = user;
    }
  }
  if (std::string pw; s.get_string("password", pw)) m.password = Secret(std::move(pw));
  if (std::string file; s.get_string("password_file", file)) {
    const toml::node& where = *s.get("password_file");
    if (s.has("password")) {
      diag_.error(where, "mqtt.password and mqtt.password_file are mutually exclusive; keep one");
    } else if (file.empty()) {
      diag_.error(where, "mqtt.password_file must not be empty");
    } else {
      read_password_file(s, where, resolve_path(file));
    }
  }
  if (!m.password.empty() || s.has("password_file")) {
    if (m.username.empty()) {
      const toml::node& where = s.has("password") ? *s.get("password") : *s.get("password_file");
      diag_.error(where,
                  "a password needs mqtt.username (MQTT sends no password without a user name)");
    }
  }
  s.get_int("qos", 0, 2, m.qos);
  s.get_bool("retain", m.retain);
  if (std::string base; s.get_string("base_topic", base)) {
    if (auto problem = topic_problem(base); !problem.empty()) {
      diag_.error(*s.get("base_topic"), "mqtt.base_topic " + problem);
    } else {
      m.base_topic = base;
    }
  }
  s.get_whole_seconds("keepalive", 5s, 3600s, m.keepalive);
  s.get_seconds("connect_timeout", 100ms, 300s, m.connect_timeout);
  s.get_seconds("reconnect_min", 100ms, 3600s, m.reconnect_min);
  s.get_seconds("reconnect_max", 100ms, kDay, m.reconnect_max);
  if (m.reconnect_max < m.reconnect_min) {
    const toml::node* n = s.has("reconnect_max") ? s.get("reconnect_max") : s.get("reconnect_min");
    if (n != nullptr)
      diag_.error(*n, "mqtt.reconnect_max must not be less than mqtt.reconnect_min");
  }
  // The heartbeat bounds expire_after (3x heartbeat) on the HA side; docs/mqtt.md §2.4 caps it
  // at 300 s.
  s.get_whole_seconds("heartbeat", 10s, 300s, m.heartbeat);
  s.get_bool("json_aggregate", m.json_aggregate);
  if (const auto* t = s.get_table("tls")) {
    Section sub(diag_, *t, "mqtt.tls");
    read_tls(sub);
  }
  s.finish();
}

void Loader::read_tls(Section& s) {
  TlsConfig& tls = cfg_.mqtt.tls;
  const bool tls_uri = is_tls(cfg_.mqtt.scheme);
  const auto need_tls_uri = [&](std::string_view key) {
    if (tls_uri) return true;
    diag_.error(*s.get(key), s.key_path(key) +
                                 " needs an ssl://, mqtts:// or wss:// mqtt.uri (it is " +
                                 std::string(mqtt_scheme_name(cfg_.mqtt.scheme)) + "://)");
    return false;
  };
  for (const auto key : {"ca_file", "cert_file", "key_file"}) {
    std::string file;
    // "" means unset, as if the line were commented out.
    if (!s.get_string(key, file) || file.empty() || !need_tls_uri(key)) continue;
    const std::string resolved = resolve_path(file);
    check_readable(*s.get(key), s.key_path(key), resolved);
    if (std::string_view(key) == "ca_file") tls.ca_file = resolved;
    if (std::string_view(key) == "cert_file") tls.cert_file = resolved;
    if (std::string_view(key) == "key_file") tls.key_file = resolved;
  }
  if (std::string pw;
      s.get_string("key_password", pw) && !pw.empty() && need_tls_uri("key_password")) {
    if (tls.key_file.empty() && tls.cert_file.empty()) {
      diag_.error(*s.get("key_password"),
                  "mqtt.tls.key_password needs mqtt.tls.key_file or mqtt.tls.cert_file");
    }
    tls.key_password = Secret(std::move(pw));
  }
  if (!tls.key_file.empty() && tls.cert_file.empty()) {
    diag_.error(*s.get("key_file"), "mqtt.tls.key_file needs mqtt.tls.cert_file");
  }
  if (bool b = false; s.get_bool("insecure", b) && need_tls_uri("insecure")) tls.insecure = b;
  s.finish();
}

void Loader::read_password_file(Section& s, const toml::node& where, const std::string& file) {
  const std::string what = s.key_path("password_file");
  errno = 0;
  FilePtr f{std::fopen(file.c_str(), "rb")};
  if (!f) {
    diag_.error(where, what + ": cannot open '" + file + "': " + errno_text(errno));
    return;
  }
  std::string content(kMaxPasswordFileBytes + 1, '\0');
  const std::size_t n = std::fread(content.data(), 1, content.size(), f.get());
  if (std::ferror(f.get()) != 0) {
    diag_.error(where, what + ": cannot read '" + file + "'");
    return;
  }
  content.resize(n);
  // One trailing newline is how editors and `echo` end the file; it is not part of the password.
  if (!content.empty() && content.back() == '\n') content.pop_back();
  if (!content.empty() && content.back() == '\r') content.pop_back();
  if (n > kMaxPasswordFileBytes) {
    diag_.error(where, what + ": '" + file + "' is larger than " +
                           std::to_string(kMaxPasswordFileBytes) + " bytes");
  } else if (content.empty()) {
    diag_.error(where, what + ": '" + file + "' is empty");
  } else if (content.find_first_of("\r\n") != std::string::npos) {
    diag_.error(where, what + ": '" + file + "' must hold the password on a single line");
  } else {
    cfg_.mqtt.password = Secret(content);
    cfg_.mqtt.password_file = file;
  }
  std::fill(content.begin(), content.end(), '\0');
}

void Loader::read_homeassistant(Section& s) {
  HomeAssistantConfig& ha = cfg_.homeassistant;
  s.get_bool("enabled", ha.enabled);
  bool prefix_ok = true;
  if (std::string prefix; s.get_string("prefix", prefix)) {
    if (auto problem = topic_problem(prefix); !problem.empty()) {
      diag_.error(*s.get("prefix"), "homeassistant.prefix " + problem);
      prefix_ok = false;
    } else {
      ha.prefix = prefix;
    }
  }
  if (std::string mode; s.get_string("mode", mode)) {
    if (auto m = discovery_mode_from_name(mode)) {
      ha.mode = *m;
    } else {
      diag_.error(*s.get("mode"),
                  "homeassistant.mode must be 'device' or 'entity' (got '" + mode + "')");
    }
  }
  if (std::string birth; s.get_string("birth_topic", birth)) {
    if (auto problem = topic_problem(birth); !problem.empty()) {
      diag_.error(*s.get("birth_topic"), "homeassistant.birth_topic " + problem);
    } else {
      ha.birth_topic = birth;
    }
  } else if (prefix_ok) {
    ha.birth_topic = ha.prefix + "/status";  // HA publishes its birth message below its prefix
  }
  s.get_seconds("republish_delay_max", 0ms, 60s, ha.republish_delay_max);
  s.finish();
}

void Loader::read_inverters(const toml::node& node) {
  const auto* arr = node.as_array();
  if (arr == nullptr) {
    diag_.error(node, "inverter must be an array of tables: write each one as [[inverter]]");
    return;
  }
  std::vector<const toml::table*> tables;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    const auto* t = e.as_table();
    if (t == nullptr) {
      diag_.error(e, "inverter[" + std::to_string(i) + "] must be a table, not " +
                         std::string(config_detail::type_word(e.type())));
      continue;
    }
    Section s(diag_, *t, "inverter[" + std::to_string(i) + "]");
    InverterConfig inv;
    inv.name = "inverter" + std::to_string(cfg_.inverters.size() + 1);
    read_inverter(s, inv);
    s.finish();
    cfg_.inverters.push_back(std::move(inv));
    tables.push_back(t);
  }
  check_inverter_set(tables);
}

void Loader::read_inverter(Section& s, InverterConfig& inv) {
  const std::string& p = s.path();
  if (std::string name; s.get_string("name", name)) {
    if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), is_id_char)) {
      diag_.error(*s.get("name"),
                  p + ".name must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'");
    } else {
      inv.name = name;
    }
  }
  if (std::string host; s.get_string("host", host)) {
    const bool ok =
        !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
                 c == ':' || c == '_';
        });
    if (ok) {
      inv.host = host;
    } else {
      diag_.error(*s.get("host"), p + ".host must be a host name or an IP address");
    }
  } else if (!s.has("host")) {
    s.missing("host");
  }
  s.get_int("port", 1, 65535, inv.port);
  s.get_optional("address", inv.address, std::int64_t{0}, std::int64_t{0xFFFFFFFF});
  s.get_seconds("connect_timeout", 100ms, 300s, inv.connect_timeout);
  s.get_seconds("request_timeout", 50ms, 60s, inv.request_timeout);
  s.get_seconds("request_timeout_floor", 50ms, 60s, inv.request_timeout_floor);
  if (inv.request_timeout_floor > inv.request_timeout) {
    // The default floor above a short request_timeout given alone just follows it down.
    if (const toml::node* n = s.get("request_timeout_floor"); n != nullptr) {
      diag_.error(*n, p + ".request_timeout_floor must not exceed " + p + ".request_timeout");
    } else {
      inv.request_timeout_floor = inv.request_timeout;
    }
  }
  s.get_int("in_flight", 1, 16, inv.in_flight);
  s.get_number("frames_per_second", 0.1, 100.0, inv.frames_per_second);
  s.get_int("retries", 0, 10, inv.retries);
  s.get_seconds("reconnect_min", 100ms, 3600s, inv.reconnect_min);
  s.get_seconds("reconnect_max", 100ms, kDay, inv.reconnect_max);
  if (inv.reconnect_max < inv.reconnect_min) {
    const toml::node* n = s.has("reconnect_max") ? s.get("reconnect_max") : s.get("reconnect_min");
    if (n != nullptr)
      diag_.error(*n, p + ".reconnect_max must not be less than " + p + ".reconnect_min");
  }
  s.get_seconds("offline_after", 1s, kDay, inv.offline_after);
  s.get_seconds("silence_timeout", 1s, kDay, inv.silence_timeout);
  read_proxy(s, inv.proxy);
}

// `proxy` and its companions (docs/proxy.md). A proxy reachable from other machines is there only
// because the file lists who may use it: without proxy_allow, a non-loopback address is an error.
void Loader::read_proxy(Section& s, ProxyConfig& proxy) {
  if (const toml::array* arr = s.get_array("proxy_allow")) {
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const toml::node& e = *arr->get(i);
      const std::string what = s.key_path("proxy_allow") + "[" + std::to_string(i) + "]";
      const auto* str = e.as_string();
      if (str == nullptr) {
        diag_.error(
            e, what + " must be a string, not " + std::string(config_detail::type_word(e.type())));
        continue;
      }
      if (auto network = parse_ip_network(str->get())) {
        proxy.allow.push_back(std::move(*network));
      } else {
        diag_.error(e, what + " must be an IP address or a network such as \"192.168.1.0/24\" " +
                           "(no host bits below the prefix; got '" + str->get() + "')");
      }
    }
  }
  s.get_int("proxy_clients", 1, 64, proxy.clients);
  s.get_seconds("proxy_max_age", 0s, 3600s, proxy.max_age);
  s.get_number("proxy_frames_per_second", 0.1, 100.0, proxy.frames_per_second);
  std::string writes;
  if (s.get_string("proxy_writes", writes)) {
    if (writes == "verified") {
      proxy.verified_writes = true;
    } else if (writes != "refuse") {
      diag_.error(*s.get("proxy_writes"), s.key_path("proxy_writes") +
                                              " must be \"refuse\" or \"verified\" (got '" +
                                              writes + "')");
    }
  }
  std::string listen;
  if (!s.get_string("proxy", listen)) {
    if (!proxy.allow.empty() && s.has("proxy_allow")) {
      diag_.error(*s.get("proxy_allow"),
                  s.key_path("proxy_allow") + " has no effect without " + s.key_path("proxy"));
    }
    return;
  }
  auto parsed = parse_listen_address(listen);
  if (!parsed) {
    diag_.error(*s.get("proxy"), s.key_path("proxy") +
                                     " must be ADDRESS:PORT with an IP address (brackets around "
                                     "IPv6) or localhost and a port 1..65535, e.g. "
                                     "\"127.0.0.1:8899\" (got '" +
                                     listen + "')");
    return;
  }
  if (!parsed->loopback && proxy.allow.empty()) {
    diag_.error(*s.get("proxy"), s.key_path("proxy") + " '" + listen +
                                     "' is not a loopback address: list the peers that may "
                                     "connect in " +
                                     s.key_path("proxy_allow") +
                                     " (e.g. [\"192.168.1.0/24\"]), or listen on 127.0.0.1");
    return;
  }
  proxy.listen = std::move(*parsed);
}

// Names must be unique; host:port identifies a connection, and several entries on one connection
// (a master and its slaves by plant address) must agree on the connection's settings.
void Loader::check_inverter_set(const std::vector<const toml::table*>& tables) {
  const auto where = [&](std::size_t i, std::string_view key) -> const toml::node& {
    const toml::node* n = tables[i]->get(key);
    return n != nullptr ? *n : static_cast<const toml::node&>(*tables[i]);
  };
  const auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (std::size_t i = 0; i < cfg_.inverters.size(); ++i) {
    const InverterConfig& a = cfg_.inverters[i];
    for (std::size_t j = 0; j < i; ++j) {
      const InverterConfig& b = cfg_.inverters[j];
      const std::string ai = "inverter[" + std::to_string(i) + "]";
      const std::string bj = "inverter[" + std::to_string(j) + "]";
      if (a.name == b.name) {
        diag_.error(where(i, "name"), concat({ai, ".name '", a.name, "' is already used by ", bj}));
      }
      if (a.proxy.enabled() && b.proxy.enabled() && a.proxy.listen.port == b.proxy.listen.port) {
        diag_.error(where(i, "proxy"),
                    concat({ai, ".proxy uses port ", std::to_string(a.proxy.listen.port),
                            " already taken by ", bj, ".proxy"}));
      }
      if (a.host.empty() || lower(a.host) != lower(b.host) || a.port != b.port) continue;
      if (a.address == b.address) {
        diag_.error(where(i, "host"),
                    concat({ai, " is the same device as ", bj,
                            " (same host, port and address); give a slave its plant address"}));
        continue;
      }
      for (const std::string_view key : connection_conflicts(a, b)) {
        diag_.error(where(i, key), concat({ai, ".", key, " differs from ", bj, ".", key,
                                           ", but both use the connection to ", a.host, ":",
                                           std::to_string(a.port)}));
      }
    }
  }
}

void Loader::read_poll(Section& s) {
  PollConfig& p = cfg_.poll;
  s.get_bool("defaults", p.defaults);
  s.get_seconds("fast_interval", 1s, kWeek, p.fast_interval);
  s.get_seconds("slow_interval", 1s, kWeek, p.slow_interval);
  s.get_seconds("static_interval", 1s, kWeek, p.static_interval);
  s.get_seconds("module_interval", 1s, kWeek, p.module_interval);
  p.exclude = read_value_list(s, "exclude");

  if (const toml::node* n = s.get("value")) {
    const auto* arr = n->as_array();
    if (arr == nullptr) {
      diag_.error(*n, "poll.value must be an array of tables: write each one as [[poll.value]]");
    } else {
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& e = *arr->get(i);
        const std::string path = "poll.value[" + std::to_string(i) + "]";
        const auto* t = e.as_table();
        if (t == nullptr) {
          diag_.error(
              e, path + " must be a table, not " + std::string(config_detail::type_word(e.type())));
          continue;
        }
        Section sub(diag_, *t, path);
        PollValue v;
        read_poll_value(sub, v);
        sub.finish();
        if (v.value.name.empty() && !v.value.id) continue;  // already reported
        const toml::node& at =
            sub.has("name") ? *sub.get("name") : static_cast<const toml::node&>(*t);
        const bool dup = std::any_of(p.values.begin(), p.values.end(),
                                     [&](const PollValue& o) { return o.value == v.value; });
        if (dup) {
          diag_.error(
              at, path + ": '" + v.value.text() + "' is configured twice; merge the two entries");
        } else if (std::find(p.exclude.begin(), p.exclude.end(), v.value) != p.exclude.end()) {
          diag_.error(at, path + ": '" + v.value.text() + "' is also in poll.exclude");
        }
        p.values.push_back(std::move(v));
      }
    }
  }
  s.finish();
}

void Loader::read_poll_value(Section& s, PollValue& v) {
  const std::string& p = s.path();
  bool id_known = false;
  if (std::string name; s.get_string("name", name)) {
    if (auto ref = parse_value_ref(*s.get("name"), p + ".name", name, true, &id_known))
      v.value = *ref;
  } else if (!s.has("name")) {
    s.missing("name");
  }
  if (std::string type; s.get_string("type", type)) {
    const toml::node& where = *s.get("type");
    const auto parsed = pollable_type_from_name(type);
    if (!parsed) {
      diag_.error(where, concat({p, ".type must be one of bool, uint8, int8, uint16, int16, ",
                                 "uint32, int32, enum, float or string (got '", type, "')"}));
    } else if (v.value.by_id() && !id_known) {
      v.type = parsed;
    } else if (!v.value.name.empty() || id_known) {
      diag_.error(
          where,
          p + ".type is only for an OID the registry does not know; this one's type comes from the "
              "registry");
    }
  } else if (v.value.by_id() && !id_known && !s.has("type")) {
    diag_.error(*s.get("name"), p + ": " + v.value.text() + " is not in the registry, so " + p +
                                    ".type is required (e.g. type = \"float\")");
  }
  s.get_optional("interval", v.interval, Millis{1s}, Millis{kWeek});
  if (std::string fn; s.get_string("friendly_name", fn)) {
    if (fn.empty() || fn.size() > 100 || has_control_chars(fn)) {
      diag_.error(*s.get("friendly_name"),
                  p + ".friendly_name must be 1 to 100 printable characters");
    } else {
      v.friendly_name = fn;
    }
  }
  if (std::string topic; s.get_string("topic", topic)) {
    const bool chars_ok =
        std::all_of(topic.begin(), topic.end(), [](char c) { return is_id_char(c) || c == '/'; });
    if (auto problem = topic_problem(topic); !problem.empty()) {
      diag_.error(*s.get("topic"), p + ".topic " + problem);
    } else if (!chars_ok) {
      diag_.error(*s.get("topic"), p + ".topic may only use A-Z, a-z, 0-9, '_', '-' and '/'");
    } else {
      v.topic = topic;
    }
  }
  if (double scale = 1; s.get_number("scale", -1e12, 1e12, scale)) {
    if (scale == 0) {
      diag_.error(*s.get("scale"), p + ".scale must not be 0");
    } else {
      v.scale = scale;
    }
  }
  s.get_optional("deadband", v.deadband, 0.0, 1e12);
  if (const auto* t = s.get_table("homeassistant")) {
    Section sub(diag_, *t, p + ".homeassistant");
    read_ha_overrides(sub, v.homeassistant);
  }
}

void Loader::read_ha_overrides(Section& s, HaOverrides& o) {
  const auto word = [&](std::string_view key, std::optional<std::string>& out, auto check,
                        const std::string& expect) {
    std::string v;
    if (!s.get_string(key, v)) return;
    if (v.empty() || check(v)) {
      out = v;
    } else {
      diag_.error(*s.get(key),
                  s.key_path(key) + " must be " + expect + " or \"\" (got '" + v + "')");
    }
  };
  // Whether a device class fits the value's unit and state class is Home Assistant's to judge;
  // here we only catch misspellings.
  word(
      "device_class", o.device_class, [](const std::string& v) { return ha::is_device_class(v); },
      "a Home Assistant device class such as power, energy, battery, voltage or temperature");
  word(
      "state_class", o.state_class, [](const std::string& v) { return ha::is_state_class(v); },
      list_words(ha::kStateClasses));
  word(
      "entity_category", o.entity_category,
      [](const std::string& v) { return ha::is_entity_category(v); },
      list_words(ha::kEntityCategories));
  word(
      "icon", o.icon, [](const std::string& v) { return ha::is_icon(v); },
      "an icon such as \"mdi:solar-power\"");
  if (std::string unit; s.get_string("unit", unit)) {
    if (unit.size() > 32 || has_control_chars(unit)) {
      diag_.error(*s.get("unit"), s.key_path("unit") + " must be at most 32 printable characters");
    } else {
      o.unit = unit;
    }
  }
  s.get_optional("enabled_by_default", o.enabled_by_default);
  s.get_optional("suggested_display_precision", o.suggested_display_precision, std::int64_t{0},
                 std::int64_t{10});
  s.finish();
}

void Loader::read_writes(Section& s) {
  WritesConfig& w = cfg_.writes;
  s.get_bool("enabled", w.enabled);
  s.get_bool("dry_run", w.dry_run);
  read_write_keys(s);
  s.get_seconds("min_interval", 1s, kDay, w.min_interval);
  s.get_seconds("readback_delay", 0ms, 60s, w.readback_delay);
  s.get_seconds("readback_interval", 100ms, 60s, w.readback_interval);
  s.get_int("readback_attempts", 1, 20, w.readback_attempts);
  s.get_seconds("dead_man_timeout", 1s, kDay, w.dead_man_timeout);
  read_battery_bits(s);
  s.get_bool("block_unknown_battery_bits", w.block_unknown_battery_bits);
  s.finish();
}

void Loader::read_battery_bits(Section& s) {
  const toml::array* arr = s.get_array("block_battery_bits");
  if (arr == nullptr) return;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    const std::string what = s.key_path("block_battery_bits") + "[" + std::to_string(i) + "]";
    const auto* str = e.as_string();
    if (str == nullptr) {
      diag_.error(
          e, what + " must be a string, not " + std::string(config_detail::type_word(e.type())));
      continue;
    }
    const std::string name = str->get();
    if (!is_battery_bit_name(name)) {
      const std::string shown = has_control_chars(name) ? "?" : name;
      diag_.error(e, concat({what, ": '", shown, "' is not a battery status bit (bits: ",
                             battery_bit_names_text(), ")"}));
      continue;
    }
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      diag_.error(e, concat({what, ": '", name, "' is listed twice"}));
      continue;
    }
    names.push_back(name);
  }
  cfg_.writes.block_battery_bits = std::move(names);
}

void Loader::read_battery_modes(Section& s) {
  BatteryModesConfig& m = cfg_.battery_modes;
  s.get_seconds("effect_window", 1s, 600s, m.effect_window);
  const toml::node* interval = s.get("sample_interval");
  s.get_seconds("sample_interval", 100ms, 60s, m.sample_interval);
  if (interval != nullptr && m.sample_interval > m.effect_window) {
    diag_.error(*interval, s.key_path("sample_interval") + " must not be longer than " +
                               s.key_path("effect_window"));
  }
  s.get_number("tolerance", 0.0, 6000.0, m.tolerance);
  s.get_number("charge_power", 1.0, 6000.0, m.charge_power);
  if (double soc_min = 0; s.get_number("normal_soc_min", 5.0, 80.0, soc_min)) {
    if (std::floor(soc_min) != soc_min) {
      diag_.error(*s.get("normal_soc_min"),
                  s.key_path("normal_soc_min") + " must be a whole percent (soc_min's step)");
    } else {
      m.normal_soc_min = soc_min;
    }
  }
  s.finish();
}

void Loader::read_metrics(Section& s) {
  std::string listen;
  if (!s.get_string("listen", listen)) {
    s.finish();
    return;
  }
  if (auto parsed = parse_listen_address(listen)) {
    cfg_.metrics = std::move(*parsed);
  } else {
    diag_.error(*s.get("listen"), s.key_path("listen") +
                                      " must be ADDRESS:PORT with an IP address (brackets "
                                      "around IPv6) or localhost and a port 1..65535, e.g. "
                                      "\"127.0.0.1:9832\" (got '" +
                                      listen + "')");
  }
  s.finish();
}

std::string writable_keys_text() {
  std::string out;
  for (const WritableEntry& e : writable_entries()) {
    if (!out.empty()) out += ", ";
    out += e.key;
  }
  return out;
}

void Loader::read_write_keys(Section& s) {
  const toml::array* arr = s.get_array("allow");
  if (arr == nullptr) return;
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    const std::string what = s.key_path("allow") + "[" + std::to_string(i) + "]";
    const auto* str = e.as_string();
    if (str == nullptr) {
      diag_.error(
          e, what + " must be a string, not " + std::string(config_detail::type_word(e.type())));
      continue;
    }
    const std::string key = str->get();
    if (key != kBatteryModeKey && find_writable_key(key) == nullptr) {
      const WritableEntry* by_name = find_writable(std::string_view(key));
      if (by_name == nullptr && looks_like_hex_id(key)) {
        if (auto id = parse_oid(key)) by_name = find_writable(*id);
      }
      const std::string shown = has_control_chars(key) ? "?" : key;
      if (by_name != nullptr) {
        diag_.error(e, concat({what, ": give the key '", by_name->key, "', not '", shown, "'"}));
      } else {
        diag_.error(e, concat({what, ": '", shown, "' is not a writable setting (keys: ",
                               writable_keys_text(), ", battery_mode)"}));
      }
      continue;
    }
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) {
      diag_.error(e, concat({what, ": '", key, "' is listed twice"}));
      continue;
    }
    keys.push_back(key);
  }
  cfg_.writes.allow = std::move(keys);
}

std::optional<ValueRef> Loader::parse_value_ref(const toml::node& where, const std::string& what,
                                                std::string_view text, bool allow_unknown_id,
                                                bool* id_known) {
  if (looks_like_hex_id(text)) {
    auto id = parse_oid(text);
    if (!id) {
      diag_.error(where, what + " must be a registry name or 0x followed by 1 to 8 hex digits");
      return std::nullopt;
    }
    const bool known = catalog_.is_known_id(*id);
    if (id_known != nullptr) *id_known = known;
    ValueRef ref{{}, *id};
    if (!known && !allow_unknown_id) {
      diag_.error(where, what + ": " + ref.text() + " is not in the registry");
      return std::nullopt;
    }
    return ref;
  }
  if (text.empty() || has_control_chars(text)) {
    diag_.error(where, what + " must be a registry name such as battery.soc, or 0xID");
    return std::nullopt;
  }
  if (!catalog_.is_known_name(text)) {
    diag_.error(where, what + ": unknown value '" + std::string(text) + "' (not in the registry)");
    return std::nullopt;
  }
  return ValueRef{std::string(text), std::nullopt};
}

std::vector<ValueRef> Loader::read_value_list(Section& s, std::string_view key) {
  std::vector<ValueRef> out;
  const toml::array* arr = s.get_array(key);
  if (arr == nullptr) return out;
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::node& e = *arr->get(i);
    const std::string what = s.key_path(key) + "[" + std::to_string(i) + "]";
    const auto* str = e.as_string();
    if (str == nullptr) {
      diag_.error(
          e, what + " must be a string, not " + std::string(config_detail::type_word(e.type())));
      continue;
    }
    auto ref = parse_value_ref(e, what, str->get(), false);
    if (!ref) continue;
    if (std::find(out.begin(), out.end(), *ref) != out.end()) {
      diag_.error(e, what + ": '" + ref->text() + "' is listed twice");
      continue;
    }
    out.push_back(std::move(*ref));
  }
  return out;
}

std::string Loader::resolve_path(const std::string& p) const {
  std::filesystem::path fp(p);
  if (fp.is_absolute()) return fp.lexically_normal().string();
  const std::filesystem::path base = std::filesystem::absolute(path_).parent_path();
  return (base / fp).lexically_normal().string();
}

void Loader::check_readable(const toml::node& where, const std::string& what,
                            const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) {
    diag_.error(where, what + ": '" + file + "' is a directory");
    return;
  }
  errno = 0;
  FilePtr f{std::fopen(file.c_str(), "rb")};
  if (!f) diag_.error(where, what + ": cannot open '" + file + "': " + errno_text(errno));
}

}  // namespace

Result<Config, ConfigErrors> load_config(const std::filesystem::path& path, const Environment& env,
                                         const ValueCatalog& catalog) {
  return Loader(path, env, catalog).run();
}

}  // namespace rct
