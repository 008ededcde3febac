#include "daemon/discovery_abbreviations.h"

#include <array>
#include <utility>

namespace rct::daemon {
namespace {

using KeyPair = std::pair<std::string_view, std::string_view>;  // full, abbreviation

// From Home Assistant's table of supported abbreviations (components/mqtt/abbreviations.py,
// listed in its MQTT documentation), limited to the options of the platforms we announce
// (sensor, binary_sensor, number, select, switch, button, event, device_automation, update);
// a unit test checks every pair against ../shared/tools/ha-discovery-check's copy of the table.
constexpr std::array kEntityKeys = {
    KeyPair{"automation_type", "atype"},
    KeyPair{"availability", "avty"},
    KeyPair{"availability_mode", "avty_mode"},
    KeyPair{"availability_template", "avty_tpl"},
    KeyPair{"availability_topic", "avty_t"},
    KeyPair{"command_template", "cmd_tpl"},
    KeyPair{"command_topic", "cmd_t"},
    KeyPair{"components", "cmps"},
    KeyPair{"default_entity_id", "def_ent_id"},
    KeyPair{"device", "dev"},
    KeyPair{"device_class", "dev_cla"},
    KeyPair{"enabled_by_default", "en"},
    KeyPair{"encoding", "e"},
    KeyPair{"entity_category", "ent_cat"},
    KeyPair{"entity_picture", "ent_pic"},
    KeyPair{"event_types", "evt_typ"},
    KeyPair{"expire_after", "exp_aft"},
    KeyPair{"force_update", "frc_upd"},
    KeyPair{"icon", "ic"},
    KeyPair{"json_attributes_template", "json_attr_tpl"},
    KeyPair{"json_attributes_topic", "json_attr_t"},
    KeyPair{"last_reset_value_template", "lrst_val_tpl"},
    KeyPair{"latest_version_template", "l_ver_tpl"},
    KeyPair{"latest_version_topic", "l_ver_t"},
    KeyPair{"off_delay", "off_dly"},
    KeyPair{"optimistic", "opt"},
    KeyPair{"options", "ops"},
    KeyPair{"origin", "o"},
    KeyPair{"payload", "pl"},
    KeyPair{"payload_available", "pl_avail"},
    KeyPair{"payload_not_available", "pl_not_avail"},
    KeyPair{"payload_off", "pl_off"},
    KeyPair{"payload_on", "pl_on"},
    KeyPair{"payload_press", "pl_prs"},
    KeyPair{"platform", "p"},
    KeyPair{"retain", "ret"},
    KeyPair{"state_class", "stat_cla"},
    KeyPair{"state_off", "stat_off"},
    KeyPair{"state_on", "stat_on"},
    KeyPair{"state_topic", "stat_t"},
    KeyPair{"subtype", "stype"},
    KeyPair{"suggested_display_precision", "sug_dsp_prc"},
    KeyPair{"topic", "t"},
    KeyPair{"unique_id", "uniq_id"},
    KeyPair{"unit_of_measurement", "unit_of_meas"},
    KeyPair{"value_template", "val_tpl"},
};

constexpr std::array kDeviceKeys = {
    KeyPair{"configuration_url", "cu"}, KeyPair{"connections", "cns"},
    KeyPair{"hw_version", "hw"},        KeyPair{"identifiers", "ids"},
    KeyPair{"manufacturer", "mf"},      KeyPair{"model", "mdl"},
    KeyPair{"model_id", "mdl_id"},      KeyPair{"serial_number", "sn"},
    KeyPair{"suggested_area", "sa"},    KeyPair{"sw_version", "sw"},
};

constexpr std::array kOriginKeys = {
    KeyPair{"support_url", "url"},
    KeyPair{"sw_version", "sw"},
};

template <std::size_t N>
std::string_view lookup(const std::array<KeyPair, N>& table, std::string_view key, bool to_short) {
  for (const auto& [full, abbreviation] : table) {
    if (to_short && full == key) return abbreviation;
    if (!to_short && abbreviation == key) return full;
  }
  return key;
}

std::string_view translate(AbbreviationScope scope, std::string_view key, bool to_short) {
  switch (scope) {
    case AbbreviationScope::kEntity:
      return lookup(kEntityKeys, key, to_short);
    case AbbreviationScope::kDevice:
      return lookup(kDeviceKeys, key, to_short);
    case AbbreviationScope::kOrigin:
      return lookup(kOriginKeys, key, to_short);
  }
  return key;
}

// Keys of an object in `scope`, values untouched.
template <typename Json>
Json translate_keys(const Json& object, AbbreviationScope scope, bool to_short) {
  if (!object.is_object()) return object;
  Json out = Json::object();
  for (const auto& [key, value] : object.items()) {
    out[std::string(translate(scope, key, to_short))] = value;
  }
  return out;
}

// `payload` is a discovery payload root (component_only: one config under `components`).
template <typename Json>
Json translate_payload(const Json& payload, bool to_short, bool component_only) {
  if (!payload.is_object()) return payload;
  Json out = Json::object();
  for (const auto& [key, value] : payload.items()) {
    const std::string_view full =
        to_short ? std::string_view(key) : translate(AbbreviationScope::kEntity, key, false);
    const std::string name(translate(AbbreviationScope::kEntity, key, to_short));
    if (full == "availability" && value.is_array()) {
      Json list = Json::array();
      for (const auto& entry : value) {
        list.push_back(translate_keys(entry, AbbreviationScope::kEntity, to_short));
      }
      out[name] = std::move(list);
    } else if (!component_only && full == "device") {
      out[name] = translate_keys(value, AbbreviationScope::kDevice, to_short);
    } else if (!component_only && full == "origin") {
      out[name] = translate_keys(value, AbbreviationScope::kOrigin, to_short);
    } else if (!component_only && full == "components" && value.is_object()) {
      Json components = Json::object();
      for (const auto& [id, config] : value.items()) {
        components[id] = translate_payload(config, to_short, true);
      }
      out[name] = std::move(components);
    } else {
      out[name] = value;
    }
  }
  return out;
}

}  // namespace

std::string_view abbreviate_key(AbbreviationScope scope, std::string_view full) {
  return translate(scope, full, true);
}

std::vector<std::pair<std::string_view, std::string_view>> abbreviations(AbbreviationScope scope) {
  switch (scope) {
    case AbbreviationScope::kEntity:
      return {kEntityKeys.begin(), kEntityKeys.end()};
    case AbbreviationScope::kDevice:
      return {kDeviceKeys.begin(), kDeviceKeys.end()};
    case AbbreviationScope::kOrigin:
      return {kOriginKeys.begin(), kOriginKeys.end()};
  }
  return {};
}

std::string_view expand_key(AbbreviationScope scope, std::string_view key) {
  return translate(scope, key, false);
}

nlohmann::ordered_json abbreviate_discovery(const nlohmann::ordered_json& payload) {
  return translate_payload(payload, true, false);
}

nlohmann::ordered_json expand_discovery(const nlohmann::ordered_json& payload) {
  return translate_payload(payload, false, false);
}

nlohmann::json expand_discovery(const nlohmann::json& payload) {
  return translate_payload(payload, false, false);
}

}  // namespace rct::daemon
