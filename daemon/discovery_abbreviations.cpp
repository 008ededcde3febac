#include "daemon/discovery_abbreviations.h"

#include <array>
#include <utility>

namespace rct::daemon {
namespace {

using KeyAbbreviation = std::pair<std::string_view, std::string_view>;  // full, abbreviation

// From Home Assistant's table of supported abbreviations (components/mqtt/abbreviations.py,
// listed in its MQTT documentation), limited to the options of the platforms we announce
// (sensor, binary_sensor, number, select, switch, button, event, device_automation, update);
// a unit test checks every pair against ../shared/tools/ha-discovery-check's copy of the table.
constexpr std::array kEntityKeys = {
    KeyAbbreviation{"automation_type", "atype"},
    KeyAbbreviation{"availability", "avty"},
    KeyAbbreviation{"availability_mode", "avty_mode"},
    KeyAbbreviation{"availability_template", "avty_tpl"},
    KeyAbbreviation{"availability_topic", "avty_t"},
    KeyAbbreviation{"command_template", "cmd_tpl"},
    KeyAbbreviation{"command_topic", "cmd_t"},
    KeyAbbreviation{"components", "cmps"},
    KeyAbbreviation{"default_entity_id", "def_ent_id"},
    KeyAbbreviation{"device", "dev"},
    KeyAbbreviation{"device_class", "dev_cla"},
    KeyAbbreviation{"enabled_by_default", "en"},
    KeyAbbreviation{"encoding", "e"},
    KeyAbbreviation{"entity_category", "ent_cat"},
    KeyAbbreviation{"entity_picture", "ent_pic"},
    KeyAbbreviation{"event_types", "evt_typ"},
    KeyAbbreviation{"expire_after", "exp_aft"},
    KeyAbbreviation{"force_update", "frc_upd"},
    KeyAbbreviation{"icon", "ic"},
    KeyAbbreviation{"json_attributes_template", "json_attr_tpl"},
    KeyAbbreviation{"json_attributes_topic", "json_attr_t"},
    KeyAbbreviation{"last_reset_value_template", "lrst_val_tpl"},
    KeyAbbreviation{"latest_version_template", "l_ver_tpl"},
    KeyAbbreviation{"latest_version_topic", "l_ver_t"},
    KeyAbbreviation{"off_delay", "off_dly"},
    KeyAbbreviation{"optimistic", "opt"},
    KeyAbbreviation{"options", "ops"},
    KeyAbbreviation{"origin", "o"},
    KeyAbbreviation{"payload", "pl"},
    KeyAbbreviation{"payload_available", "pl_avail"},
    KeyAbbreviation{"payload_not_available", "pl_not_avail"},
    KeyAbbreviation{"payload_off", "pl_off"},
    KeyAbbreviation{"payload_on", "pl_on"},
    KeyAbbreviation{"payload_press", "pl_prs"},
    KeyAbbreviation{"platform", "p"},
    KeyAbbreviation{"retain", "ret"},
    KeyAbbreviation{"state_class", "stat_cla"},
    KeyAbbreviation{"state_off", "stat_off"},
    KeyAbbreviation{"state_on", "stat_on"},
    KeyAbbreviation{"state_topic", "stat_t"},
    KeyAbbreviation{"subtype", "stype"},
    KeyAbbreviation{"suggested_display_precision", "sug_dsp_prc"},
    KeyAbbreviation{"topic", "t"},
    KeyAbbreviation{"unique_id", "uniq_id"},
    KeyAbbreviation{"unit_of_measurement", "unit_of_meas"},
    KeyAbbreviation{"value_template", "val_tpl"},
};

constexpr std::array kDeviceKeys = {
    KeyAbbreviation{"configuration_url", "cu"}, KeyAbbreviation{"connections", "cns"},
    KeyAbbreviation{"hw_version", "hw"},        KeyAbbreviation{"identifiers", "ids"},
    KeyAbbreviation{"manufacturer", "mf"},      KeyAbbreviation{"model", "mdl"},
    KeyAbbreviation{"model_id", "mdl_id"},      KeyAbbreviation{"serial_number", "sn"},
    KeyAbbreviation{"suggested_area", "sa"},    KeyAbbreviation{"sw_version", "sw"},
};

constexpr std::array kOriginKeys = {
    KeyAbbreviation{"support_url", "url"},
    KeyAbbreviation{"sw_version", "sw"},
};

template <std::size_t N>
std::string_view abbreviation_lookup(const std::array<KeyAbbreviation, N>& table,
                                     std::string_view key, bool to_short) {
  for (const auto& [full, abbreviation] : table) {
    if (to_short && full == key) return abbreviation;
    if (!to_short && abbreviation == key) return full;
  }
  return key;
}

std::string_view translate_key(AbbreviationScope scope, std::string_view key, bool to_short) {
  switch (scope) {
    case AbbreviationScope::kEntity:
      return abbreviation_lookup(kEntityKeys, key, to_short);
    case AbbreviationScope::kDevice:
      return abbreviation_lookup(kDeviceKeys, key, to_short);
    case AbbreviationScope::kOrigin:
      return abbreviation_lookup(kOriginKeys, key, to_short);
  }
  return key;
}

// Keys of an object in `scope`, values untouched.
template <typename Json>
Json translate_object_keys(const Json& object, AbbreviationScope scope, bool to_short) {
  if (!object.is_object()) return object;
  Json out = Json::object();
  for (const auto& [key, value] : object.items()) {
    out[std::string(translate_key(scope, key, to_short))] = value;
  }
  return out;
}

// `payload` is a discovery payload root (component_only: one config under `components`).
template <typename Json>
Json translate_discovery_payload(const Json& payload, bool to_short, bool component_only) {
  if (!payload.is_object()) return payload;
  Json out = Json::object();
  for (const auto& [key, value] : payload.items()) {
    const std::string_view full =
        to_short ? std::string_view(key) : translate_key(AbbreviationScope::kEntity, key, false);
    const std::string name(translate_key(AbbreviationScope::kEntity, key, to_short));
    if (full == "availability" && value.is_array()) {
      Json list = Json::array();
      for (const auto& entry : value) {
        list.push_back(translate_object_keys(entry, AbbreviationScope::kEntity, to_short));
      }
      out[name] = std::move(list);
    } else if (!component_only && full == "device") {
      out[name] = translate_object_keys(value, AbbreviationScope::kDevice, to_short);
    } else if (!component_only && full == "origin") {
      out[name] = translate_object_keys(value, AbbreviationScope::kOrigin, to_short);
    } else if (!component_only && full == "components" && value.is_object()) {
      Json components = Json::object();
      for (const auto& [id, config] : value.items()) {
        components[id] = translate_discovery_payload(config, to_short, true);
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
  return translate_key(scope, full, true);
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
  return translate_key(scope, key, false);
}

nlohmann::ordered_json abbreviate_discovery(const nlohmann::ordered_json& payload) {
  return translate_discovery_payload(payload, true, false);
}

nlohmann::ordered_json expand_discovery(const nlohmann::ordered_json& payload) {
  return translate_discovery_payload(payload, false, false);
}

nlohmann::json expand_discovery(const nlohmann::json& payload) {
  return translate_discovery_payload(payload, false, false);
}

}  // namespace rct::daemon
