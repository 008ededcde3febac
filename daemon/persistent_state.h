#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "daemon/discovery.h"
#include "daemon/value_policy.h"

namespace rct::daemon {

// What the daemon keeps across restarts, per inverter (keyed by topic_id(serial)): the last
// accepted lifetime counter totals (so that a restart can never publish a lower total) and
// the discovery it announced (so that dropped entities are removed after a restart too).
struct InverterRecord {
  CounterTotals totals;
  std::optional<AnnouncedDiscovery> discovery;
  friend bool operator==(const InverterRecord&, const InverterRecord&) = default;
};

struct PersistentState {
  std::map<std::string, InverterRecord> inverters;
  friend bool operator==(const PersistentState&, const PersistentState&) = default;
};

// JSON text, versioned:
//   {"version": 1, "inverters": {"<serial>": {"totals": {"0xB1EF67CE": 1234.5},
//    "discovery": {"mode": "device", "device_topic": "...", "topics": [...],
//                  "components": {"battery_soc": "sensor"}, "removed": {}}}}}
std::string state_to_json(const PersistentState& state);

// The reason in words when `text` is not a state file of a version we read. Totals that are
// not finite positive numbers are dropped (they could only make the guard reject good values).
Result<PersistentState, std::string> state_from_json(std::string_view text);

}  // namespace rct::daemon
