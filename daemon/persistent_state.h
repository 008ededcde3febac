#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/fault_words.h"
#include "core/result.h"
#include "daemon/discovery.h"
#include "daemon/event_log_reader.h"
#include "daemon/value_policy.h"

namespace rct::daemon {

// What the battery modes remember (daemon/battery_mode_session.h): never the mode itself,
// which is read from the device, only what the device cannot tell. SOC values in %, powers in W.
struct BatteryModeRecord {
  std::optional<double> user_soc_min;   // soc_min before hold raised it
  std::optional<double> hold_soc_min;   // the minimum hold wrote (while hold is on)
  std::optional<double> charge_target;  // charge: back to normal at this SOC
  std::optional<double> charge_power;
  std::optional<double> external_power;
  std::string mode;  // the last mode published
  // `mode` was set by a mode command (not found on the device): after a restart the bridge
  // drives it again (charge's target, external's refresh, the revert before a stop).
  bool commanded = false;
  std::string since;  // ISO 8601 UTC of the last change of mode
  friend bool operator==(const BatteryModeRecord&, const BatteryModeRecord&) = default;
};

// What the daemon keeps across restarts, per inverter (keyed by topic_id(serial)): the last
// accepted lifetime counter totals (so that a restart can never publish a lower total) and
// the discovery it announced (so that dropped entities are removed after a restart too).
struct InverterRecord {
  CounterTotals totals;
  std::optional<AnnouncedDiscovery> discovery;
  std::optional<BatteryModeRecord> battery_mode;
  // The last complete fault set seen (a restart raises no event for a fault already known).
  std::optional<FaultWords> fault_words;
  // How far the event table has been published (daemon/event_log_reader.h).
  std::optional<EventLogPosition> event_log;
  friend bool operator==(const InverterRecord&, const InverterRecord&) = default;
};

struct PersistentState {
  std::map<std::string, InverterRecord> inverters;
  friend bool operator==(const PersistentState&, const PersistentState&) = default;
};

// JSON text, versioned:
//   {"version": 1, "inverters": {"<serial>": {"totals": {"0xB1EF67CE": 1234.5},
//    "discovery": {"mode": "device", "topics": [...], "components": {"battery_soc": "sensor"},
//                  "devices": [{"topic": "...", "components": {...}, "removed": {}}]},
//    "battery_mode": {"user_soc_min": 7, "hold_soc_min": 45, "mode": "hold",
//                     "since": "2026-..Z"},
//    "fault_words": [0, 0, 0, 0],
//    "event_log": {"time": 1764871392, "at_time": [[90, 1764871500, 3, 0]]}}}}
//   (absent numbers: not known)
std::string state_to_json(const PersistentState& state);

// The same text, handed to `sink` in pieces (a few each, then one per inverter), so that a
// save never holds the whole file: with 50 inverters the file is about 1.5 MB, and as one
// JSON tree plus its text it took 3 MB of heap at every save (docs/architecture.md §9).
void write_state_json(const PersistentState& state,
                      const std::function<void(std::string_view)>& sink);

// The reason in words when `text` is not a state file of a version we read. Totals that are
// not finite positive numbers are dropped (they could only make the guard reject good values).
Result<PersistentState, std::string> state_from_json(std::string_view text);

}  // namespace rct::daemon
