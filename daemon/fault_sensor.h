#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/fault_words.h"
#include "daemon/poll_item.h"

// The fault sensor (docs/mqtt.md): <base>/<serial>/inverter/faults holds the names of the active
// faults of fault[0..3].flt joined by ", " (core/fault_words.h), or "none"; .../attributes the
// four words, the fault numbers and the unknown ones as JSON. The sensor hangs on the fault[3]
// item (Derivation::kFaultState); the value policy (daemon/value_policy.h) feeds it every
// reading of the four words.
//
// Completeness, as for the battery state (daemon/battery_state_sensor.h): a fault[3] reading
// yields a state only when fault[0], fault[1] and fault[2] were each read validly since the
// previous fault[3] reading, so a state never mixes a fresh word with one that could no longer
// be read. A reading that is no integer clears its word.

namespace rct::daemon {

// Keys below <base>/<serial>/ (docs/mqtt.md).
inline constexpr std::string_view kFaultsKey = "inverter/faults";
inline constexpr std::string_view kFaultEventKey = "inverter/fault_event";
inline constexpr std::string_view kEventLogKey = "inverter/event_log";

// The spec of the sensor: text, no unit, enabled by default, attributes at `key`/attributes.
SensorSpec fault_sensor(std::string_view key, std::string_view name);

class FaultPairing {
 public:
  // A reading of fault[index].flt, index 0..2; nullopt: it was no integer.
  void on_word(std::size_t index, std::optional<std::uint32_t> word);
  // A reading of fault[3].flt: all four words, or nullopt when one of the others was not read
  // validly since the previous fault[3] reading (or this one is no integer).
  std::optional<FaultWords> on_last_word(std::optional<std::uint32_t> word);

 private:
  std::array<std::optional<std::uint32_t>, kFaultWordCount - 1> words_;
};

// {"words": [0, 33554432, 0, 0], "faults": [57], "names": ["..."], "unknown_faults": []}.
std::string fault_attributes(const FaultWords& words);

// The non-retained event of one change on <base>/<serial>/inverter/fault_event:
// {"event_type": "raised", "fault": 25, "name": "...", "time": "2026-...Z"}. The event types are
// kFaultEventTypes, the complete list Home Assistant's event entity is told.
inline constexpr std::array<std::string_view, 2> kFaultEventTypes = {"raised", "cleared"};
std::string fault_event_payload(const FaultChange& change, std::string_view time_iso);

}  // namespace rct::daemon
