#include "config/config.h"

#include <algorithm>
#include <array>
#include <utility>

#include "core/hex.h"

namespace rct {

namespace {

template <typename E, std::size_t N>
std::optional<E> from_name(const std::array<std::pair<E, std::string_view>, N>& table,
                           std::string_view name) {
  for (const auto& [e, n] : table) {
    if (n == name) return e;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<LogLevel, std::string_view>, 7> kLogLevels{{
    {LogLevel::kTrace, "trace"},
    {LogLevel::kDebug, "debug"},
    {LogLevel::kInfo, "info"},
    {LogLevel::kWarn, "warn"},
    {LogLevel::kError, "error"},
    {LogLevel::kCritical, "critical"},
    {LogLevel::kOff, "off"},
}};

constexpr std::array<std::pair<MqttScheme, std::string_view>, 6> kSchemes{{
    {MqttScheme::kTcp, "tcp"},
    {MqttScheme::kMqtt, "mqtt"},
    {MqttScheme::kSsl, "ssl"},
    {MqttScheme::kMqtts, "mqtts"},
    {MqttScheme::kWs, "ws"},
    {MqttScheme::kWss, "wss"},
}};

constexpr std::array<std::pair<DiscoveryMode, std::string_view>, 2> kModes{{
    {DiscoveryMode::kDevice, "device"},
    {DiscoveryMode::kEntity, "entity"},
}};

// Types a configured value may have: the scalar ones and strings (structured types need their
// own handling).
bool is_pollable(DataType t) {
  return is_fixed_size_scalar(t) || t == DataType::kString;
}

}  // namespace

std::optional<DataType> pollable_type_from_name(std::string_view name) {
  std::optional<DataType> t = data_type_from_name(name);
  if (t && is_pollable(*t)) return t;
  return std::nullopt;
}

std::string_view pollable_type_name(DataType t) {
  return is_pollable(t) ? data_type_name(t) : std::string_view{};
}

std::string_view state_dir_source_name(StateDirSource s) {
  switch (s) {
    case StateDirSource::kDefault:
      return "default";
    case StateDirSource::kConfigFile:
      return "config file";
    case StateDirSource::kEnvironment:
      return "$STATE_DIRECTORY";
  }
  return "?";
}

std::string_view log_level_name(LogLevel l) {
  switch (l) {
    case LogLevel::kTrace:
      return "trace";
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
    case LogLevel::kCritical:
      return "critical";
    case LogLevel::kOff:
      return "off";
  }
  return "?";
}

std::optional<LogLevel> log_level_from_name(std::string_view name) {
  return from_name(kLogLevels, name);
}

std::string_view mqtt_scheme_name(MqttScheme s) {
  switch (s) {
    case MqttScheme::kTcp:
      return "tcp";
    case MqttScheme::kMqtt:
      return "mqtt";
    case MqttScheme::kSsl:
      return "ssl";
    case MqttScheme::kMqtts:
      return "mqtts";
    case MqttScheme::kWs:
      return "ws";
    case MqttScheme::kWss:
      return "wss";
  }
  return "?";
}

std::optional<MqttScheme> mqtt_scheme_from_name(std::string_view name) {
  return from_name(kSchemes, name);
}

std::string_view mqtt_protocol_name(MqttProtocol p) {
  switch (p) {
    case MqttProtocol::kV5:
      return "5";
    case MqttProtocol::kV311:
      return "3.1.1";
  }
  return "?";
}

std::optional<MqttProtocol> mqtt_protocol_from_name(std::string_view name) {
  if (name == mqtt_protocol_name(MqttProtocol::kV5)) return MqttProtocol::kV5;
  if (name == mqtt_protocol_name(MqttProtocol::kV311)) return MqttProtocol::kV311;
  return std::nullopt;
}

bool is_tls(MqttScheme s) {
  switch (s) {
    case MqttScheme::kTcp:
    case MqttScheme::kMqtt:
    case MqttScheme::kWs:
      return false;
    case MqttScheme::kSsl:
    case MqttScheme::kMqtts:
    case MqttScheme::kWss:
      return true;
  }
  return false;
}

std::string_view discovery_mode_name(DiscoveryMode m) {
  switch (m) {
    case DiscoveryMode::kDevice:
      return "device";
    case DiscoveryMode::kEntity:
      return "entity";
  }
  return "?";
}

std::optional<DiscoveryMode> discovery_mode_from_name(std::string_view name) {
  return from_name(kModes, name);
}

std::string ValueRef::text() const {
  if (!id) return name;
  return format_oid(*id);
}

bool HaOverrides::any() const {
  return device_class || state_class || unit || icon || entity_category || enabled_by_default ||
         suggested_display_precision;
}

std::vector<const WritableEntry*> allowed_writable(const WritesConfig& writes) {
  std::vector<const WritableEntry*> out;
  for (const WritableEntry& e : writable_entries()) {
    if (!writes.allow ||
        std::find(writes.allow->begin(), writes.allow->end(), e.key) != writes.allow->end()) {
      out.push_back(&e);
    }
  }
  return out;
}

BatteryBlockPolicy battery_block_policy(const WritesConfig& writes) {
  return battery_block_policy(writes.block_battery_bits, writes.block_unknown_battery_bits);
}

bool battery_modes_allowed(const WritesConfig& writes) {
  return writes.enabled && (!writes.allow || std::find(writes.allow->begin(), writes.allow->end(),
                                                       kBatteryModeKey) != writes.allow->end());
}

}  // namespace rct
