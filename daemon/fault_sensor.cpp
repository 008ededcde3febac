#include "daemon/fault_sensor.h"

#include <nlohmann/json.hpp>

#include "daemon/value_catalog.h"

namespace rct::daemon {

SensorSpec fault_sensor(std::string_view key, std::string_view name) {
  return attributed_text_sensor(key, name, "mdi:alert-circle-outline", Derivation::kFaultState);
}

void FaultPairing::on_word(std::size_t index, std::optional<std::uint32_t> word) {
  if (index < words_.size()) words_[index] = word;
}

std::optional<FaultWords> FaultPairing::on_last_word(std::optional<std::uint32_t> word) {
  const auto words = words_;
  words_ = {};
  if (!word) return std::nullopt;
  FaultWords out{};
  for (std::size_t k = 0; k < words.size(); ++k) {
    if (!words[k]) return std::nullopt;
    out[k] = *words[k];
  }
  out[kFaultWordCount - 1] = *word;
  return out;
}

std::string fault_attributes(const FaultWords& words) {
  nlohmann::ordered_json j;
  j["words"] = words;
  nlohmann::ordered_json numbers = nlohmann::ordered_json::array();
  nlohmann::ordered_json names = nlohmann::ordered_json::array();
  nlohmann::ordered_json unknown = nlohmann::ordered_json::array();
  for (unsigned n : active_faults(words)) {
    numbers.push_back(n);
    names.push_back(fault_name(n));
    if (!fault_text(n)) unknown.push_back(n);
  }
  j["faults"] = std::move(numbers);
  j["names"] = std::move(names);
  j["unknown_faults"] = std::move(unknown);
  return j.dump();
}

std::string fault_event_payload(const FaultChange& change, std::string_view time_iso) {
  nlohmann::ordered_json j;
  j["event_type"] = std::string(kFaultEventTypes[change.raised ? 0 : 1]);
  j["fault"] = change.number;
  j["name"] = fault_name(change.number);
  j["time"] = std::string(time_iso);
  return j.dump();
}

}  // namespace rct::daemon
