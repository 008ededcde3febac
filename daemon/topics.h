#pragma once

#include <string>
#include <string_view>

// The MQTT topic layout (docs/mqtt.md §1; part of the interface):
//   <base>/bridge/status          bridge LWT, retained online/offline, QoS 1
//   <base>/bridge/health          the bridge's health, retained JSON every 60 s and on connect
//                                 (daemon/bridge_health.h)
//   <base>/<serial>/status        inverter reachability, retained online/offline, QoS 1
//   <base>/<serial>/<key>         one plain retained value per topic ("battery/soc" → 56.3)
//   <base>/<serial>/state         optional JSON aggregate of all values with "ts"
//   <base>/<serial>/bridge/...    the bridge's diagnostics for this inverter (frames/s,
//                                 errors, and health: this inverter's part of bridge/health)
//   <base>/<serial>/settings/<key>             a writable setting's value (writes enabled),
//                                              retained, in its user unit ("50", "External")
//   <base>/<serial>/settings/<key>/set         commands, QoS 1, never retained
//   <base>/<serial>/settings/<key>/set/result  one JSON answer per command, QoS 1, not retained
//   <base>/<serial>/battery/mode[/attributes]  the battery mode, retained; /set, /set/result as
//                                              the settings' (daemon/battery_mode_session.h)
//   <base>/<serial>/bridge/<action>/set        the bridge's buttons (daemon/bridge_actions.h),
//                                              answered on /set/result as the settings
// <serial> is the inverter's serial number made topic- and id-safe (topic_id).

namespace rct::daemon {

// The serial as used in topics and Home Assistant ids: characters outside [A-Za-z0-9_-]
// become '_'; an empty serial becomes "unknown".
std::string topic_id(std::string_view serial);

std::string bridge_status_topic(std::string_view base);
std::string bridge_health_topic(std::string_view base);
std::string inverter_topic(std::string_view base, std::string_view serial);
std::string inverter_status_topic(std::string_view base, std::string_view serial);
std::string value_topic(std::string_view base, std::string_view serial, std::string_view key);
std::string aggregate_topic(std::string_view base, std::string_view serial);

// The topic level under which the writable settings live.
inline constexpr std::string_view kSettingsLevel = "settings";
std::string setting_topic(std::string_view base, std::string_view serial, std::string_view key);
std::string setting_command_topic(std::string_view base, std::string_view serial,
                                  std::string_view key);
std::string setting_result_topic(std::string_view base, std::string_view serial,
                                 std::string_view key);
// "<base>/+/settings/+/set": every command of every inverter, one subscription.
std::string setting_command_filter(std::string_view base);

// The battery mode (daemon/battery_mode_session.h): <base>/<serial>/battery/mode, its
// /attributes, its /set command and the command's /set/result.
std::string battery_mode_topic(std::string_view base, std::string_view serial);
std::string battery_mode_attributes_topic(std::string_view base, std::string_view serial);
std::string battery_mode_command_topic(std::string_view base, std::string_view serial);
std::string battery_mode_result_topic(std::string_view base, std::string_view serial);
// "<base>/+/battery/mode/set".
std::string battery_mode_command_filter(std::string_view base);

// The bridge's actions (daemon/bridge_actions.h): <base>/<serial>/bridge/<action>/set and its
// /set/result.
std::string bridge_action_command_topic(std::string_view base, std::string_view serial,
                                        std::string_view action);
std::string bridge_action_result_topic(std::string_view base, std::string_view serial,
                                       std::string_view action);
// "<base>/+/bridge/+/set".
std::string bridge_action_command_filter(std::string_view base);

// Payloads of the two status topics.
inline constexpr std::string_view kOnline = "online";
inline constexpr std::string_view kOffline = "offline";

}  // namespace rct::daemon
