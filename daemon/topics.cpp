#include "daemon/topics.h"

namespace rct::daemon {

std::string topic_id(std::string_view serial) {
  if (serial.empty()) return "unknown";
  std::string id(serial);
  for (char& c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
  return id;
}

std::string bridge_status_topic(std::string_view base) {
  return std::string(base) + "/bridge/status";
}

std::string bridge_health_topic(std::string_view base) {
  return std::string(base) + "/bridge/health";
}

std::string inverter_topic(std::string_view base, std::string_view serial) {
  return std::string(base) + "/" + topic_id(serial);
}

std::string inverter_status_topic(std::string_view base, std::string_view serial) {
  return inverter_topic(base, serial) + "/status";
}

std::string value_topic(std::string_view base, std::string_view serial, std::string_view key) {
  return inverter_topic(base, serial) + "/" + std::string(key);
}

std::string aggregate_topic(std::string_view base, std::string_view serial) {
  return inverter_topic(base, serial) + "/state";
}

std::string setting_topic(std::string_view base, std::string_view serial, std::string_view key) {
  return inverter_topic(base, serial) + "/" + std::string(kSettingsLevel) + "/" + std::string(key);
}

std::string setting_command_topic(std::string_view base, std::string_view serial,
                                  std::string_view key) {
  return setting_topic(base, serial, key) + "/set";
}

std::string setting_result_topic(std::string_view base, std::string_view serial,
                                 std::string_view key) {
  return setting_command_topic(base, serial, key) + "/result";
}

std::string setting_command_filter(std::string_view base) {
  return std::string(base) + "/+/" + std::string(kSettingsLevel) + "/+/set";
}

std::string battery_mode_topic(std::string_view base, std::string_view serial) {
  return inverter_topic(base, serial) + "/battery/mode";
}

std::string battery_mode_attributes_topic(std::string_view base, std::string_view serial) {
  return battery_mode_topic(base, serial) + "/attributes";
}

std::string battery_mode_command_topic(std::string_view base, std::string_view serial) {
  return battery_mode_topic(base, serial) + "/set";
}

std::string battery_mode_result_topic(std::string_view base, std::string_view serial) {
  return battery_mode_command_topic(base, serial) + "/result";
}

std::string battery_mode_command_filter(std::string_view base) {
  return std::string(base) + "/+/battery/mode/set";
}

std::string bridge_action_command_topic(std::string_view base, std::string_view serial,
                                        std::string_view action) {
  return inverter_topic(base, serial) + "/bridge/" + std::string(action) + "/set";
}

std::string bridge_action_result_topic(std::string_view base, std::string_view serial,
                                       std::string_view action) {
  return bridge_action_command_topic(base, serial, action) + "/result";
}

std::string bridge_action_command_filter(std::string_view base) {
  return std::string(base) + "/+/bridge/+/set";
}

}  // namespace rct::daemon
