#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/ip_network.h"
#include "config/secret.h"
#include "core/battery_status.h"
#include "core/data_type.h"
#include "core/write_allowlist.h"

// The daemon's configuration as plain structs. A default-constructed Config holds every default
// documented in config/rct2mqtt.toml; config_loader.h fills it from a TOML file. Durations are
// written in the file as seconds (integer or decimal) and kept here as milliseconds.

namespace rct {

using Millis = std::chrono::milliseconds;

// Used when neither $STATE_DIRECTORY nor `state_dir` is set; the Debian unit's StateDirectory=.
inline constexpr std::string_view kDefaultStateDir = "/var/lib/rct2mqtt";

enum class StateDirSource { kDefault, kConfigFile, kEnvironment };
std::string_view state_dir_source_name(StateDirSource s);

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };
std::string_view log_level_name(LogLevel l);
std::optional<LogLevel> log_level_from_name(std::string_view name);

struct LoggingConfig {
  LogLevel level = LogLevel::kInfo;

  friend bool operator==(const LoggingConfig&, const LoggingConfig&) = default;
};

// The URI schemes Paho C 1.3 accepts. The TLS ones are ssl, mqtts and wss.
enum class MqttScheme { kTcp, kMqtt, kSsl, kMqtts, kWs, kWss };
std::string_view mqtt_scheme_name(MqttScheme s);  // "tcp", without "://"
std::optional<MqttScheme> mqtt_scheme_from_name(std::string_view name);
bool is_tls(MqttScheme s);

// The MQTT protocol version the bridge connects with. Version 5 carries response topics and
// correlation data (answers to Node-RED's request/response, docs/mqtt.md §7.4); 3.1.1 is for
// brokers that do not speak 5 yet.
enum class MqttProtocol { kV5, kV311 };
std::string_view mqtt_protocol_name(MqttProtocol p);  // "5", "3.1.1"
std::optional<MqttProtocol> mqtt_protocol_from_name(std::string_view name);

struct TlsConfig {
  std::string ca_file;    // empty: the system trust store
  std::string cert_file;  // client certificate (PEM); may also hold the key
  std::string key_file;   // client private key (PEM)
  Secret key_password;    // for an encrypted key_file
  bool insecure = false;  // skip server certificate and host name checks

  friend bool operator==(const TlsConfig&, const TlsConfig&) = default;
};

struct MqttConfig {
  std::string uri = "tcp://127.0.0.1:1883";
  MqttScheme scheme = MqttScheme::kTcp;  // parsed from uri
  MqttProtocol protocol = MqttProtocol::kV5;
  std::string client_id;  // empty: the daemon uses "rct2mqtt-<hostname>"
  std::string username;
  Secret password;
  std::string password_file;  // absolute; set when the password came from this file
  TlsConfig tls;
  int qos = 0;         // for values; status, LWT and discovery always use QoS 1
  bool retain = true;  // for values
  std::string base_topic = "rct2mqtt";
  std::chrono::seconds keepalive{30};
  Millis connect_timeout{std::chrono::seconds{10}};
  Millis reconnect_min{std::chrono::seconds{1}};
  Millis reconnect_max{std::chrono::seconds{60}};
  // Unchanged values are republished at least this often (docs/mqtt.md §2.4: at most 300 s).
  std::chrono::seconds heartbeat{300};
  bool json_aggregate = false;  // also publish <base>/<serial>/state as one JSON object with "ts"

  friend bool operator==(const MqttConfig&, const MqttConfig&) = default;
};

enum class DiscoveryMode { kDevice, kEntity };
std::string_view discovery_mode_name(DiscoveryMode m);
std::optional<DiscoveryMode> discovery_mode_from_name(std::string_view name);

struct HomeAssistantConfig {
  bool enabled = true;
  std::string prefix = "homeassistant";
  DiscoveryMode mode = DiscoveryMode::kDevice;
  std::string birth_topic = "homeassistant/status";  // default follows `prefix`
  // Discovery is republished after a random delay in [0, this] when HA announces itself.
  Millis republish_delay_max{std::chrono::seconds{5}};

  friend bool operator==(const HomeAssistantConfig&, const HomeAssistantConfig&) = default;
};

// [metrics] (docs/metrics.md): the Prometheus endpoint. Off unless `listen` is set; any address
// but a loopback one is used only because the file names it.
struct MetricsConfig {
  std::string listen;  // as written: "127.0.0.1:9832", "[::1]:9832"; empty: no endpoint
  std::string host;    // from listen: an IPv4 or IPv6 address, or "localhost"
  std::uint16_t port = 0;
  bool loopback = false;  // host is 127.0.0.0/8, ::1 or localhost

  friend bool operator==(const MetricsConfig&, const MetricsConfig&) = default;
};

// The local RCT proxy of one inverter (docs/proxy.md): other tools connect here instead of to
// the inverter, and the daemon's one connection stays the only one on the device.
struct ProxyConfig {
  MetricsConfig listen;  // `proxy`; listen.listen empty: no proxy
  // `proxy_allow`: peers that may connect. Empty: loopback peers only (and a non-loopback
  // listen address is a configuration error without it).
  std::vector<IpNetwork> allow;
  int clients = 8;  // `proxy_clients`: connections at once
  // `proxy_max_age`: the oldest value answered from the cache; above the default fast interval
  // (10 s), so that a value whose next poll is a moment late is still served, not read twice
  Millis max_age{std::chrono::seconds{15}};
  // `proxy_frames_per_second`: the most forwarded READs per second, taken out of the inverter's
  // `frames_per_second` (docs/proxy.md §3)
  double frames_per_second = 2.0;
  // `proxy_writes = "verified"`: a client's WRITE of a setting goes the way of an MQTT command
  // (the [writes] allowlist, interlocks, rate limit, read-back, audit); "refuse" (the default):
  // refused.
  bool verified_writes = false;
  bool enabled() const { return !listen.listen.empty(); }

  friend bool operator==(const ProxyConfig&, const ProxyConfig&) = default;
};

struct InverterConfig {
  std::string name;  // "inverter1", "inverter2", ... unless set; [A-Za-z0-9_-]
  std::string host;
  std::uint16_t port = 8899;
  // Plant address of a slave reached through the master at host:port (plant frames).
  std::optional<std::uint32_t> address;
  Millis connect_timeout{std::chrono::seconds{5}};
  Millis request_timeout{std::chrono::seconds{2}};  // the longest wait for one answer
  // The shortest: waits follow the answers' times between the two (docs/protocol.md §7.4).
  Millis request_timeout_floor{std::chrono::milliseconds{500}};
  int in_flight = 1;               // requests sent before the first answer arrives, 1..16
  double frames_per_second = 5.0;  // request budget on this connection
  int retries = 2;                 // re-sends of an unanswered request within one cycle
  Millis reconnect_min{std::chrono::seconds{1}};
  Millis reconnect_max{std::chrono::seconds{60}};
  Millis offline_after{std::chrono::seconds{60}};     // silence before status goes offline
  Millis silence_timeout{std::chrono::seconds{180}};  // silence before the socket is reopened
  ProxyConfig proxy;

  friend bool operator==(const InverterConfig&, const InverterConfig&) = default;
};

// Types a value added by raw OID may have: those that decode to one plain value. Names as in the
// registry ("float", "uint16", ...); pollable_type_name gives "" for the other types.
std::optional<DataType> pollable_type_from_name(std::string_view name);
std::string_view pollable_type_name(DataType t);

// A value named by the registry ("battery.soc") or by its raw OID ("0x959930BF").
struct ValueRef {
  std::string name;                 // empty when given by id
  std::optional<std::uint32_t> id;  // set when given as 0xID
  bool by_id() const { return id.has_value(); }
  std::string text() const;  // "battery.soc" or "0x959930BF"
  friend bool operator==(const ValueRef&, const ValueRef&) = default;
};

// Home Assistant discovery fields that override what the registry derives. An empty string
// means "leave the field out" (e.g. device_class = "" drops the device class).
struct HaOverrides {
  std::optional<std::string> device_class;
  std::optional<std::string> state_class;
  std::optional<std::string> unit;             // unit_of_measurement
  std::optional<std::string> icon;             // "mdi:solar-power"
  std::optional<std::string> entity_category;  // "diagnostic" | "config" | ""
  std::optional<bool> enabled_by_default;
  std::optional<int> suggested_display_precision;
  bool any() const;

  friend bool operator==(const HaOverrides&, const HaOverrides&) = default;
};

// One [[poll.value]]: an addition to the polled set, or settings for a value already in it.
struct PollValue {
  ValueRef value;
  std::optional<DataType> type;  // only for an OID the registry does not know
  std::optional<Millis> interval;
  std::string friendly_name;       // HA entity name; empty: from the registry
  std::string topic;               // below <base>/<serial>/; empty: from the registry name
  std::optional<double> scale;     // published = raw * scale
  std::optional<double> deadband;  // publish only changes larger than this (published units)
  HaOverrides homeassistant;

  friend bool operator==(const PollValue&, const PollValue&) = default;
};

struct PollConfig {
  bool defaults = true;  // poll the built-in default set (docs/protocol.md §15.4)
  Millis fast_interval{std::chrono::seconds{10}};      // power flows, SOC, voltages
  Millis slow_interval{std::chrono::seconds{60}};      // energy counters, temperatures
  Millis static_interval{std::chrono::seconds{3600}};  // identity, firmware, inventory
  Millis module_interval{std::chrono::seconds{300}};   // battery module cells (docs/mqtt.md §2.8)
  std::vector<ValueRef> exclude;                       // removed from the default set
  std::vector<PollValue> values;

  friend bool operator==(const PollConfig&, const PollConfig&) = default;
};

// [writes] (docs/writes.md, docs/protocol.md §13). Commands arrive on
// <base>/<serial>/settings/<key>/set; the keys are those of the built-in allowlist
// (core/write_allowlist.h).
struct WritesConfig {
  bool enabled = false;  // master switch; nothing is written while false
  bool dry_run = false;  // validate (interlock reads included) and log, send no WRITE
  // Allowlist keys that may be written ("soc_target"); nullopt: every key of the allowlist.
  std::optional<std::vector<std::string>> allow;
  Millis min_interval{std::chrono::seconds{10}};  // per setting, between two WRITEs
  // Read-back that confirms a write: first after readback_delay, then every readback_interval,
  // readback_attempts times (the WRITE is sent once more when they are spent).
  Millis readback_delay{std::chrono::milliseconds{500}};
  Millis readback_interval{std::chrono::milliseconds{500}};
  int readback_attempts = 4;
  // battery_power_extern / strategy External not refreshed for this long: back to 0 W, Internal.
  Millis dead_man_timeout{std::chrono::seconds{120}};
  // Battery status bits (names of core/battery_status.h) that refuse a strategy other than
  // Internal and a battery power other than 0 W; unknown bits too when block_unknown_battery_bits.
  std::vector<std::string> block_battery_bits{std::begin(kDefaultBlockedBatteryBits),
                                              std::end(kDefaultBlockedBatteryBits)};
  bool block_unknown_battery_bits = false;

  friend bool operator==(const WritesConfig&, const WritesConfig&) = default;
};

// The battery bits policy of WritePolicy (core/write_validation.h) that `writes` configures.
BatteryBlockPolicy battery_block_policy(const WritesConfig& writes);

// The allowlist entries `writes.allow` names (every entry when it is not set), in allowlist
// order; whether writes are enabled is not considered.
std::vector<const WritableEntry*> allowed_writable(const WritesConfig& writes);

// The key of `[writes] allow` that permits the battery modes (docs/battery-modes.md): not an
// allowlist entry but the modes' own writes of soc_strategy, battery_power_extern and soc_min.
inline constexpr std::string_view kBatteryModeKey = "battery_mode";
// Writes enabled and `allow` unset or naming "battery_mode".
bool battery_modes_allowed(const WritesConfig& writes);

// [battery_modes]: how a mode command checks that the battery does what the mode says.
struct BatteryModesConfig {
  Millis effect_window{std::chrono::seconds{30}};   // samples after the writes, this long
  Millis sample_interval{std::chrono::seconds{2}};  // one sample (battery, grid, SOC) this often
  double tolerance = 300;                           // W; powers within it count as 0
  double charge_power = 3000;            // W; a plain "charge" command (the Home Assistant select)
  std::optional<double> normal_soc_min;  // %; what "normal" writes as soc_min

  friend bool operator==(const BatteryModesConfig&, const BatteryModesConfig&) = default;
};

struct Config {
  std::filesystem::path source;  // the file this was loaded from
  std::string state_dir{kDefaultStateDir};
  StateDirSource state_dir_source = StateDirSource::kDefault;
  LoggingConfig logging;
  MqttConfig mqtt;
  HomeAssistantConfig homeassistant;
  std::vector<InverterConfig> inverters;  // empty: not configured, the daemon idles
  PollConfig poll;
  WritesConfig writes;
  BatteryModesConfig battery_modes;
  MetricsConfig metrics;

  friend bool operator==(const Config&, const Config&) = default;
};

}  // namespace rct
