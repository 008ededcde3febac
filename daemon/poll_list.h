#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/registry.h"
#include "daemon/inventory_state.h"
#include "daemon/poll_item.h"

namespace rct::daemon {

// The values to poll on one inverter, in this order:
//   1. the inventory OIDs (always, even with poll.defaults = false: they give the serial),
//   2. the default set (value_catalog.h) unless poll.defaults = false, minus poll.exclude,
//      minus values whose hardware the inventory says is absent, plus the derived split sensors
//      of every polled source,
//      With the default set, the battery module OIDs of both towers every poll.module_interval
//      (docs/mqtt.md §2.8; no sensors, the session publishes their figures),
//   3. [[poll.value]] additions (by registry name, or 0xID + type), which are polled whatever
//      the inventory says,
//   4. with [writes] enabled, the allowed settings (slow interval, no sensor: the session
//      publishes them on <base>/<serial>/settings/<key>).
// [[poll.value]] settings (interval, friendly name, topic, scale, deadband, HA overrides) apply
// to the value's own sensor, never to its derived sensors; interval applies to the OID.
// Names the registry does not know are skipped (load_config has already reported them).
std::vector<PollItem> build_poll_list(const PollConfig& poll, const WritesConfig& writes,
                                      const Registry& registry, const Inventory& inventory);
std::vector<PollItem> build_poll_list(const Config& config, const Registry& registry,
                                      const Inventory& inventory);

// Problems that make a poll list unusable, one message each: two sensors on one MQTT key or
// one HA object id, a key that collides with a topic the daemon itself uses ("status",
// "state", "bridge/...", "settings/...", a last level "set") or with the aggregate's "ts", or
// a key that is a level of another key ("pv/a" and "pv/a/power"), or a sensor put in HA's
// "config" entity category (HA rejects it). Empty when fine.
std::vector<std::string> poll_list_conflicts(const std::vector<PollItem>& items);

// The key a value gets when nothing else names it: "g_sync.p_ac[0]" → "g_sync/p_ac_0",
// an unknown OID → "oid/0x12345678".
std::string key_from_registry_name(std::string_view name);

}  // namespace rct::daemon
