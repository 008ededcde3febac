#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"
#include "core/text_parse.h"  // loggable()
#include "daemon/instant.h"

// The MQTT side of a write (docs/mqtt.md §7), as pure functions: which setting a command topic
// names, what its payload asks for, and the JSON answer on .../set/result. The write itself is
// core/client/verified_writer.h's; the session (daemon/app) glues the two.
//
// Command payloads (QoS 1; retained ones are ignored by the caller):
//   plain text            50 | External | ON      (the state topic's format)
//   a JSON string         "External"
//   a JSON object         {"value": 50, "id": "abc"}  value: number, string or boolean;
//                         id (optional): string or number, echoed in the answer
// Answer on <base>/<serial>/settings/<key>/set/result, QoS 1, not retained:
//   {"id": <id or null>, "key": "soc_target", "outcome": "verified|rejected|unverified|dry_run",
//    "reason": <stable word or null>, "message": "...", "value": <read-back or null>,
//    "ts": "2024-05-01T12:00:00.250Z"}
// value: a JSON number for number settings, the state text ("External", "ON") otherwise.

namespace rct::daemon {

// Reason words the daemon adds to those of core/write_validation.h (reject_reason_name) and of
// the unverified causes (unverified_cause_name).
inline constexpr std::string_view kReasonUnknownInverter = "unknown_inverter";
inline constexpr std::string_view kReasonDeadMan = "dead_man";
// A command payload larger than this is refused unread.
inline constexpr std::size_t kMaxCommandPayload = 1024;

// The inverter (its topic id, as in every topic) and the setting key a command topic names.
struct CommandTarget {
  std::string serial;
  std::string key;
  friend bool operator==(const CommandTarget&, const CommandTarget&) = default;
};
// "<base>/<serial>/settings/<key>/set" → {serial, key}; "<base>/<serial>/battery/mode/set" →
// {serial, "battery_mode"}; "<base>/<serial>/bridge/<action>/set" → {serial, "bridge/<action>"}
// for the actions of daemon/bridge_actions.h; nullopt for any other topic.
std::optional<CommandTarget> parse_command_topic(std::string_view base, std::string_view topic);

struct WriteCommand {
  std::variant<std::string, double> value;  // text (plain payloads, JSON strings) or a number
  std::string id = "null";                  // the request id as JSON text: "\"abc\"", "42"
  friend bool operator==(const WriteCommand&, const WriteCommand&) = default;
};
struct CommandError {
  std::string message;
  std::string id = "null";  // as far as it could be read
};
// The payload, or why it is no command (answered as rejected / unparseable).
Result<WriteCommand, CommandError> parse_command_payload(std::string_view payload);

// The requested value for logs: "50", "'External'".
std::string command_value_text(const WriteCommand& command);

struct WriteResult {
  std::string id = "null";  // JSON text of the request id
  std::string key;
  std::string outcome;  // verified | rejected | unverified | dry_run
  std::string reason;   // stable word; empty: null
  std::string message;
  std::optional<std::string> value;  // the read-back as the state payload; nullopt: null
  bool numeric = false;              // value is a number (number settings)
};
// The JSON answer; `ts` is the wall-clock time of the answer.
std::string result_payload(const WriteResult& result, WallTime ts);

// The audit trail (logged at info): one line per command received and one per outcome.
//   write 0123456789 soc_target: command 50 (id "abc")
//   write 0123456789 soc_target: verified, read back 50: power_mng.soc_target_set = ...
//   write 0123456789 soc_target: rejected (out_of_range): power_mng.soc_target_set: ...
std::string audit_command(std::string_view serial, std::string_view key,
                          const std::string& requested, std::string_view id);
std::string audit_outcome(std::string_view serial, const WriteResult& result);

}  // namespace rct::daemon
