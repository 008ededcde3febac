#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/client/verified_write.h"
#include "core/result.h"
#include "core/value.h"
#include "core/write_allowlist.h"
#include "core/write_validation.h"
#include "daemon/battery_mode_session.h"
#include "daemon/command_reply.h"
#include "daemon/dead_man_timer.h"
#include "daemon/session_effects.h"
#include "daemon/session_settings.h"
#include "daemon/settings_state.h"
#include "daemon/write_command.h"

namespace rct::daemon {

// ---- The one path of every write command: audit line, rejection, answer ----
//
// Every command is logged when it arrives (audit_command, info) and answered exactly once: one
// audit line for its outcome (info; warn for dead-man reverts) and one JSON result, QoS 1, not
// retained (write_command.h). The session and the App (a command for an unknown inverter) both
// go through these functions.

// A command payload as received: what it asks for, and how the audit names it.
struct ReceivedCommand {
  std::optional<WriteCommand> command;  // nullopt: unparseable (`error` says why)
  std::string error;
  std::string id = "null";  // JSON text of the request id, as far as it could be read
  std::string requested;    // "50", "'External'"; the raw payload quoted when unparseable
};
ReceivedCommand receive_command(std::string_view payload);

// `prefix` starts each log line ("inverter1: "; empty for the App's own lines).
LogLine command_audit(std::string_view prefix, std::string_view serial_id, std::string_view key,
                      const ReceivedCommand& received);
WriteResult rejection(std::string id, std::string key, std::string_view reason,
                      std::string message);
void answer_command(Effects& out, std::string_view prefix, std::string_view serial_id,
                    std::string result_topic, const WriteResult& result, WallTime now,
                    LogLevel level = LogLevel::kInfo,
                    const std::optional<ReplyTo>& reply = std::nullopt);

// A command for an inverter this bridge does not know: audited, rejected (unknown_inverter) and
// answered beside the command topic as it came (its serial level need not be topic_id-clean).
Effects refuse_unknown_inverter(const CommandTarget& target, std::string_view command_topic,
                                std::string_view payload, WallTime now,
                                const std::optional<ReplyTo>& reply = std::nullopt);

// ---- Writes of one inverter ----

struct WriteSettings {
  std::string name;  // the inverter's name, for log lines
  std::string base_topic;
  int qos = 0;  // settings topics
  Duration heartbeat = std::chrono::seconds{300};
  WritesConfig writes;
  BatteryModesConfig battery_modes;
  bool possible = true;  // false for a plant slave: the writer cannot address one
};
WriteSettings write_settings(const SessionSettings& settings);

// The write side of an inverter session, pure (time is a parameter; effects are returned):
// write commands (validated, written and read back by the shell's VerifiedWriter, which gets
// policy()), the settings topics <base>/<serial>/settings/<key> (writes enabled: polled values,
// verified read-backs, values seen by the interlocks), and the dead-man rounds (DeadManTimer)
// that hand an External battery back to the inverter, also before the daemon stops. Dead-man
// reverts are answered with id null and reason "dead_man". The battery modes
// (BatteryModeSession) run inside: their writes go through the same writer; once one of them
// went out, the dead-man timer lets go (the modes revert what they drive themselves).
//
// Revert rounds:
//   kNone       — no revert out. on_tick past the dead-man deadline → kDeadMan;
//                 revert_before_stop with the timer armed or reverting → kBeforeStop.
//   kDeadMan    — the deadline passed: the revert writes were handed out; the last outcome →
//                 kNone (a failed round is handed out again after the retry interval);
//                 revert_before_stop → kBeforeStop (it waits for this round).
//   kBeforeStop — the daemon is stopping: the last outcome → kNone and StopReverted.
// After revert_before_stop no further dead-man round starts (the daemon is about to stop).
class WriteSession {
 public:
  enum class Round { kNone, kDeadMan, kBeforeStop };

  explicit WriteSession(WriteSettings settings);

  // A reload: policy, writer timing and rate limit (the shell asks policy()), dead-man timeout,
  // heartbeat. Settings no longer published get their retained topics cleared.
  Effects apply(WriteSettings settings);
  // The inverter's serial as read (topics use topic_id of it); empty until known.
  void set_serial(std::string_view serial) {
    serial_ = serial;
    modes_.set_serial(serial);
  }
  // What the verified writer is to check commands against.
  WritePolicy policy() const;

  // A command on <base>/<serial>/settings/<key>/set, or with key "battery_mode" on
  // <base>/<serial>/battery/mode/set (battery_mode_session.h). `running`: the session has a
  // writer.
  // `reply`: the MQTT v5 response topic the command named (command_reply.h), answered too.
  Effects on_command(std::string_view key, std::string_view payload, bool running,
                     const Moment& now, const std::optional<ReplyTo>& reply = std::nullopt);
  // The outcome of a SubmitWrite handed out by this component (other tags are ignored).
  Effects on_outcome(std::uint64_t tag, const client::WriteOutcome& outcome, const Moment& now);
  // A polled value: published on its settings topic when it is a published setting.
  Effects on_reading(std::uint32_t oid, const Value& value, Instant now);
  // Every reading and read failure, in any phase (the battery modes read fresh values).
  Effects on_mode_reading(std::uint32_t oid, const Value& value, const Moment& now);
  Effects on_read_failed(std::uint32_t oid, const Moment& now);
  // The battery modes: the state file's record (before start_modes), deriving the mode from the
  // device (at the first poll, a reconnect, a reload), the record when it changed.
  void restore_modes(const std::optional<BatteryModeRecord>& record) { modes_.restore(record); }
  Effects start_modes(const Moment& now) { return modes_.start(now); }
  std::optional<BatteryModeRecord> take_mode_record() { return modes_.take_record(); }
  const BatteryModeSession& modes() const { return modes_; }
  // The dead-man deadline (next_wakeup) may have passed.
  Effects on_tick(const Moment& now);
  // Before the daemon stops: a battery held in strategy External is handed back now.
  // StopReverted comes at once when there is nothing to revert or no connection to write on,
  // else with the last outcome of the round.
  Effects revert_before_stop(bool connected, const Moment& now);
  // The session stops: a warning when the dead-man timer still holds an External session.
  Effects on_stop() const;
  // Every settings topic again (after an MQTT reconnect).
  Effects republish() const;
  // Why closing the inverter connection now would lose write state (a bridge reconnect,
  // daemon/bridge_actions.h), in words for the answer; empty when it would not. Blocking: a
  // write or revert awaiting its outcome, the dead-man timer holding an External session, a
  // battery mode command under way or the bridge driving the battery in strategy External.
  std::string reconnect_blocker() const;

  std::optional<Instant> next_wakeup() const;
  Round round() const { return round_; }
  DeadManTimer::State dead_man_state() const { return dead_man_.state(); }
  const std::vector<const WritableEntry*>& published_settings() const { return allowed_; }

 private:
  struct Pending {
    bool revert = false;
    std::string key;
    std::string id;
    std::string requested;
    std::optional<ReplyTo> reply;
  };

  bool enabled() const { return settings_.writes.enabled && settings_.possible; }
  BatteryModeSettings mode_settings() const;
  bool is_published(const WritableEntry& entry) const;
  std::string prefix() const { return settings_.name + ": "; }
  void publish_setting(Effects& out, const WritableEntry& entry, const Value& wire, Instant now,
                       bool force);
  void answer(Effects& out, const WriteResult& result, WallTime now,
              LogLevel level = LogLevel::kInfo,
              const std::optional<ReplyTo>& reply = std::nullopt) const;
  void submit_reverts(Effects& out, const std::vector<DeadManTimer::RevertWrite>& writes);
  void on_command_outcome(Effects& out, const Pending& pending, const client::WriteOutcome& o,
                          const Moment& now);
  void on_revert_outcome(Effects& out, const client::WriteOutcome& o, const Moment& now);

  WriteSettings settings_;
  std::string serial_;
  std::vector<const WritableEntry*> allowed_;  // published on settings/ (writes enabled)
  SettingsState states_;
  DeadManTimer dead_man_;
  BatteryModeSession modes_;
  Round round_ = Round::kNone;
  bool stopping_ = false;         // revert_before_stop was called
  unsigned reverts_pending_ = 0;  // outcomes of the current round not yet in
  bool reverts_ok_ = true;        // every revert of the round so far was verified
  std::uint64_t next_tag_ = 1;
  std::map<std::uint64_t, Pending> pending_;  // by SubmitWrite tag
};

}  // namespace rct::daemon
