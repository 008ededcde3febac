#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/bridge_snapshot.h"

namespace rct::daemon {

// The bridge's health as retained JSON (docs/mqtt.md §1.3): the whole bridge on
// <base>/bridge/health, and each inverter whose serial is known also on
// <base>/<serial>/bridge/health, the same object as its entry in the bridge message (Home
// Assistant's diagnostic entities read that one, daemon/discovery.h). Rates are over the
// interval since `previous` (the snapshot of the last health message); an inverter `previous`
// does not have, or whose counters started again (a replaced session), counts from its
// counting_since. Rates with nothing to divide by (no frame sent, no time passed) are null.
// Pure.
struct HealthMessage {
  std::string topic;
  std::string payload;
  friend bool operator==(const HealthMessage&, const HealthMessage&) = default;
};

// `previous`: nullptr for the first message.
std::vector<HealthMessage> bridge_health(std::string_view base_topic, const BridgeSnapshot& now,
                                         const BridgeSnapshot* previous);

}  // namespace rct::daemon
