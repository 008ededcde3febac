#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/write_allowlist.h"
#include "daemon/component_map.h"
#include "daemon/instant.h"
#include "daemon/inventory_state.h"
#include "daemon/poll_item.h"

// Home Assistant MQTT discovery as pure functions: poll list + inventory + settings → topics
// and JSON payloads (full key names, compact JSON). Retained, QoS 1, published on start, on
// every MQTT (re)connect, on HA's birth message and when the poll list changes; never per
// state update (docs/mqtt.md §6.4).
//
// Device mode (default, HA ≥ 2024.12): one message on
//   <prefix>/device/rct2mqtt_<serial>/config  with device, origin, availability, components.
// Entity mode: one message per entity on
//   <prefix>/<platform>/rct2mqtt_<serial>_<object_id>/config  (object id = unique_id).
// Every entity: unique_id rct2mqtt_<serial>_<object_id>, default_entity_id
// <platform>.rct2mqtt_<serial>_<object_id>, availability = [bridge LWT, inverter status] with
// availability_mode all, expire_after 3 × max(heartbeat, poll interval) for periodic values.
// The bridge's diagnostic entities (link, frames/s, errors, and the answer and loss
// rates and foreign frames/s of <base>/<serial>/bridge/health) only follow the bridge LWT, so
// that they stay visible while the inverter is unreachable; so do the bridge's buttons
// (daemon/button_discovery.h). Writable settings (writes enabled)
// have state_topic <base>/<serial>/settings/<key> and command_topic .../set at QoS 1.

namespace rct::daemon {

inline constexpr std::string_view kManufacturer = "RCT Power";
inline constexpr std::string_view kOriginName = "rct2mqtt";

// Keys (below <base>/<serial>/) of the bridge diagnostics the daemon publishes itself. The
// link entity reads the inverter status topic (online/offline) directly.
inline constexpr std::string_view kBridgeFramesPerSecondKey = "bridge/frames_per_second";
inline constexpr std::string_view kBridgeErrorsKey = "bridge/errors";
// This inverter's part of <base>/bridge/health (daemon/bridge_health.h), retained JSON.
inline constexpr std::string_view kBridgeHealthKey = "bridge/health";

// Bytes a device message may hold (keys abbreviated). Past it, the device's components are
// spread over as few messages as fit, each on <prefix>/device/<id>_part<n>/config for n ≥ 2, each
// component in the part a hash of its object id picks (so adding one moves no other). Changing
// the number of parts hands the moved entities over (build_discovery). The default set (about
// 40 kB) stays in one message; tools and small brokers struggle with much larger payloads.
inline constexpr std::size_t kDevicePayloadLimit = std::size_t{48} * 1024;

struct DiscoverySettings {
  std::string prefix = "homeassistant";
  DiscoveryMode mode = DiscoveryMode::kDevice;
  std::string base_topic = "rct2mqtt";
  Duration heartbeat = std::chrono::seconds{300};
  std::string sw_version;         // of rct2mqtt (origin block)
  std::string support_url;        // origin support_url; left out when empty
  std::string configuration_url;  // device configuration_url; left out when empty
  // Writes enabled: the settings that may be written, announced as number / select / switch
  // entities (object id settings_<key>, entity_category config). Empty: none (a reload that
  // disables writes removes them like any dropped entity).
  std::vector<const WritableEntry*> writable;
  // Writes enabled and "battery_mode" allowed: the select "Battery mode" (object id
  // battery_mode, entity_category config; daemon/battery_mode_session.h).
  bool battery_mode = false;
  // Bytes a device message may take before its components are spread over several messages.
  std::size_t device_payload_limit = kDevicePayloadLimit;
};
DiscoverySettings discovery_settings(const Config& config, std::string sw_version);

struct DiscoveryMessage {
  std::string topic;
  std::string payload;  // empty: remove (retained empty payload)
  friend bool operator==(const DiscoveryMessage&, const DiscoveryMessage&) = default;
};

// One device discovery message (device mode): its topic, the components it announces and the
// components it dropped earlier, kept as {"platform": ...} stubs in every later payload so that a
// Home Assistant that missed the removal still drops them.
struct AnnouncedDevice {
  std::string topic;
  ComponentMap components;  // object id → platform, live entities
  ComponentMap removed;     // object id → platform, stubs

  friend bool operator==(const AnnouncedDevice&, const AnnouncedDevice&) = default;
};

// What has been announced for one inverter; persisted (persistent_state.h) so that entities
// dropped by a config change, a new version or hardware leaving the inventory are removed after
// a restart too, and so that a change of mode or of message layout hands entities over.
struct AnnouncedDiscovery {
  DiscoveryMode mode = DiscoveryMode::kDevice;
  std::vector<AnnouncedDevice> devices;  // device mode: one per device message
  // Entity mode: object id → platform of every live entity. Device mode: empty, the devices hold
  // them (each session keeps this record, and a second copy of a few hundred ids cost 20 kB).
  ComponentMap components;
  std::vector<std::string> topics;  // every config topic holding a retained payload

  friend bool operator==(const AnnouncedDiscovery&, const AnnouncedDiscovery&) = default;
};

// Object id → platform of every live entity announced, in either mode.
std::map<std::string, std::string> live_components(const AnnouncedDiscovery& announced);

// Home Assistant's hand-over payload (docs/mqtt.md §6.4): sent on a config topic that is about to
// be replaced, it unloads the entities announced there but keeps their registry entries (ids,
// names, areas, history), which the configs published next on other topics take over.
inline constexpr std::string_view kMigratePayload = R"({"migrate_discovery":true})";

struct DiscoveryBuild {
  std::vector<DiscoveryMessage> messages;  // in publishing order
  AnnouncedDiscovery announced;
};

// All discovery messages for one inverter. `previous` (from the state file) adds the removals and
// hand-overs, in this order: empty retained payloads for topics whose entities are all gone, and
// stub-only device payloads for dropped components of a device message about to be handed over;
// then kMigratePayload on every topic whose live entities move to another topic (a change of
// mode or of message layout); then the configs (dropped device components as platform-only
// stubs); last, empty retained payloads for the handed-over topics no longer used. Nothing when
// the serial is unknown.
DiscoveryBuild build_discovery(const DiscoverySettings& settings, const Inventory& inventory,
                               const std::vector<PollItem>& items,
                               const AnnouncedDiscovery* previous);

// Empty retained payloads for everything `announced` holds (rct2mqtt --remove-discovery).
std::vector<DiscoveryMessage> removal_messages(const AnnouncedDiscovery& announced);

// "rct2mqtt_<serial>", the device identifier and the unique_id prefix.
std::string device_id(std::string_view serial);

}  // namespace rct::daemon
