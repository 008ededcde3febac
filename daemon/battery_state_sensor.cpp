#include "daemon/battery_state_sensor.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "daemon/value_catalog.h"

namespace rct::daemon {

SensorSpec battery_state_sensor(std::string_view key, std::string_view name) {
  return attributed_text_sensor(key, name, "mdi:battery-heart-variant", Derivation::kBatteryState);
}

void BatteryStatePairing::on_bat_status(std::optional<std::int32_t> word) {
  bat_status_ = word;
}

std::optional<BatteryState> BatteryStatePairing::on_status2(std::optional<std::int32_t> word) {
  const std::optional<std::int32_t> bat_status = bat_status_;
  bat_status_.reset();
  if (!word || !bat_status) return std::nullopt;
  return decode_battery_state(*bat_status, *word);
}

std::string battery_state_attributes(const BatteryState& state) {
  nlohmann::ordered_json j;
  j["bat_status"] = state.bat_status;
  j["status2"] = state.status2;
  std::vector<std::string_view> names;
  for (const BatteryBit* b : state.set_bits) {
    if (std::find(names.begin(), names.end(), b->name) == names.end()) names.push_back(b->name);
  }
  nlohmann::ordered_json bits = nlohmann::ordered_json::array();
  for (std::string_view n : names) bits.push_back(std::string(n));
  j["bits"] = std::move(bits);
  nlohmann::ordered_json unknown = nlohmann::ordered_json::array();
  for (const UnknownBatteryBit& u : state.unknown_bits) {
    unknown.push_back(battery_bit_text(u.word, u.bit));
  }
  j["unknown_bits"] = std::move(unknown);
  return j.dump();
}

}  // namespace rct::daemon
