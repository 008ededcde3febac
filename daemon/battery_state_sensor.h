#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/battery_status.h"
#include "daemon/poll_item.h"

// The battery state sensor (docs/mqtt.md): <base>/<serial>/battery/state holds the summary of
// battery.bat_status and battery.status2 (core/battery_status.h), .../battery/state/attributes
// the words, the names of the bits set and the unknown bits as JSON. The sensor hangs on the
// status2 item (Derivation::kBatteryState); the value policy (daemon/value_policy.h) feeds it
// every reading of both words.
//
// Pairing: a status2 reading yields a state only with a valid bat_status reading taken since
// the previous status2 reading (both are polled in the same cycle), so a state never mixes a
// fresh word with one that could no longer be read. A reading that is no integer clears its word.

namespace rct::daemon {

// The spec of the sensor: text, no unit, enabled by default, attributes at `key`/attributes.
SensorSpec battery_state_sensor(std::string_view key, std::string_view name);

class BatteryStatePairing {
 public:
  // A reading of battery.bat_status; nullopt: it was no integer (not a reading of the bits).
  void on_bat_status(std::optional<std::int32_t> word);
  // A reading of battery.status2: the state of both words, or nullopt when no valid bat_status
  // reading was taken since the previous status2 reading (or this one is no integer).
  std::optional<BatteryState> on_status2(std::optional<std::int32_t> word);

 private:
  std::optional<std::int32_t> bat_status_;  // read since the last status2 reading
};

// {"bat_status": 2048, "status2": 256, "bits": ["balancing"], "unknown_bits": []}: bits by name,
// each name once; unknown bits as "battery.status2 bit 5 (32)".
std::string battery_state_attributes(const BatteryState& state);

}  // namespace rct::daemon
