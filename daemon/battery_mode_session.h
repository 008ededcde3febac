#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/client/verified_write.h"
#include "core/result.h"
#include "core/value.h"
#include "daemon/battery_mode.h"
#include "daemon/command_reply.h"
#include "daemon/persistent_state.h"
#include "daemon/session_effects.h"

// The battery modes of one inverter (docs/battery-modes.md) on MQTT:
//   <base>/<serial>/battery/mode              retained: normal | hold | charge | discharge_lock |
//                                             external | other
//   <base>/<serial>/battery/mode/attributes   retained JSON: {"mode": "charge", "power": 3000,
//                                             "soc": 80, "since": "2026-...Z"}
//   <base>/<serial>/battery/mode/set          commands: a plain mode name (hold), or JSON
//                                             {"mode": "charge", "power": 3000, "soc": 80,
//                                              "id": "abc"}; power W (external: signed,
//                                             positive = discharge), soc %
//   <base>/<serial>/battery/mode/set/result   {"id": .., "key": "battery_mode", "mode": "hold",
//                                             "outcome": "verified|rejected|unverified|reverted|
//                                             dry_run", "reason": <word or null>, "message": "..",
//                                             "effect": {"battery_power": W, "grid_power": W,
//                                             "soc": %, "window": s} or null, "ts": ".."}

namespace rct::daemon {

inline constexpr std::string_view kBatteryModeReasonBusy = "busy";
inline constexpr std::string_view kBatteryModeReasonNoSoc = "no_soc";
inline constexpr std::string_view kBatteryModeReasonUnreadable = "unreadable";
inline constexpr std::string_view kBatteryModeReasonEffect = "effect";
inline constexpr std::string_view kBatteryModeReasonTargetReached = "target_reached";
inline constexpr std::string_view kBatteryModeReasonStopping = "stopping";
inline constexpr std::string_view kBatteryModeReasonRevertFailed = "revert_failed";

// OIDs of the effect samples.
inline constexpr std::uint32_t kOidBatteryPower = 0x400F015B;  // g_sync.p_acc_lp
inline constexpr std::uint32_t kOidGridPower = 0x91617C58;     // g_sync.p_ac_grid_sum_lp

struct ModeCommand {
  BatteryMode mode = BatteryMode::kNormal;
  double power = 0;         // W: charge > 0 (0: not given), external signed
  double soc = 0;           // charge target, % (0: not given, soc_max)
  std::string id = "null";  // JSON text of the request id
};
struct ModeCommandError {
  std::string reason;  // "unparseable", "out_of_range"
  std::string message;
  std::string id = "null";
};
// A command payload (at most kMaxCommandPayload bytes, like the settings commands).
Result<ModeCommand, ModeCommandError> parse_mode_command(std::string_view payload);

struct BatteryModeSettings {
  std::string name;  // the inverter's name, for log lines
  std::string base_topic;
  bool enabled = false;         // writes enabled, "battery_mode" allowed, not a plant slave
  bool writes_enabled = false;  // [writes] enabled (for the rejection's reason)
  bool dry_run = false;
  Duration dead_man_timeout = std::chrono::seconds{120};  // external mode's refresh
  // [writes] min_interval: a write refused as rate-limited is tried again after it.
  Duration min_interval = std::chrono::seconds{10};
  BatteryModesConfig config;
};

struct ModeAnswer {
  std::string id = "null";
  BatteryMode mode = BatteryMode::kNormal;
  std::string outcome;  // verified | rejected | unverified | reverted | dry_run
  std::string reason;   // empty: null
  std::string message;
  std::optional<EffectFigures> effect;
};
std::string mode_result_payload(const ModeAnswer& answer, WallTime ts);

// One inverter's battery modes as a pure machine: commands in, the mode's writes out as
// SubmitWrite (the shell's VerifiedWriter validates, writes and reads each back), the effect
// window sampled by ReadOid, answers and the mode topic as Publish. One command at a time: a
// second one while a command runs is rejected with reason "busy".
//
// Phases:
//   kIdle      — the mode is known (or not yet: mode() nullopt). charge: the SOC is read every
//                kChargeWatch and the mode goes back to normal at the target; external: back to
//                normal when the command is not repeated within dead_man_timeout.
//   kDeriving  — start(): strategy, battery_power_extern and soc_min are read; the mode is what
//                they show (with what the state file remembers), never assumed. → kIdle.
//   kReading   — a command: soc, soc_max, soc_min, strategy, battery_power_extern read fresh,
//                one at a time; the command is checked against them. → kWriting | kIdle.
//   kWriting   — the mode's writes, one SubmitWrite at a time; one that is not verified stops
//                the sequence (→ kReverting when something was written, else kIdle). A write
//                refused as rate-limited (soc_min within min_interval) is tried again after
//                min_interval, up to kRateRetries times.
//   kSampling  — effect window: battery power, grid power and SOC every sample_interval; the
//                samples of the second half are judged (battery_mode.h) → kIdle (verified) |
//                kReverting (reason "effect").
//   kReverting — the writes of normal (battery_power_extern 0, strategy Internal, soc_min the
//                user's) after a failure; then the command is answered. → kIdle.
// Commands of its own (id null): normal at a charge's target ("target_reached"), after an
// external mode not refreshed ("dead_man"), before the daemon stops ("stopping").
class BatteryModeSession {
 public:
  enum class Phase { kIdle, kDeriving, kReading, kWriting, kSampling, kReverting };

  // SubmitWrite tags of this machine have this bit set (the write session's never do).
  static constexpr std::uint64_t kTagBit = std::uint64_t{1} << 63;
  // How often a charge reads the SOC to find its target.
  static constexpr Duration kChargeWatch = std::chrono::seconds{10};
  static constexpr unsigned kRateRetries = 3;

  explicit BatteryModeSession(BatteryModeSettings settings);

  // A reload. Disabled now: the retained mode topics are cleared.
  Effects apply(BatteryModeSettings settings);
  void set_serial(std::string_view serial) { serial_ = serial; }
  // What the state file remembers for this inverter (before start()).
  void restore(const std::optional<BatteryModeRecord>& record);
  // The record when it changed since the last call (the owner saves it).
  std::optional<BatteryModeRecord> take_record();

  // Derives the mode from the device (kDeriving). Nothing while disabled or busy.
  Effects start(const Moment& now);
  // `reply`: the MQTT v5 response topic the command named (command_reply.h); every answer to the
  // command, also the one at the end of its effect window, goes there too.
  Effects on_command(std::string_view payload, bool running, const Moment& now,
                     const std::optional<ReplyTo>& reply = std::nullopt);
  // Every reading and read failure of the session (ours or polled).
  Effects on_reading(std::uint32_t oid, const Value& value, const Moment& now);
  Effects on_read_failed(std::uint32_t oid, const Moment& now);
  // The outcome of one of our SubmitWrites (tag has kTagBit).
  Effects on_outcome(std::uint64_t tag, const client::WriteOutcome& outcome, const Moment& now);
  Effects on_tick(const Moment& now);
  std::optional<Instant> next_wakeup() const;

  // The bridge drives the battery in strategy External (charge, discharge_lock, external) or a
  // command is changing it: revert_before_stop has work.
  bool needs_stop_revert() const;
  // Writes battery_power_extern 0 and strategy Internal; StopReverted when done (at once when
  // there is nothing to do or no connection).
  Effects revert_before_stop(bool connected, const Moment& now);
  Effects republish() const;

  Phase phase() const { return phase_; }
  std::optional<BatteryMode> mode() const { return mode_; }
  const BatteryModeSettings& settings() const { return settings_; }

 private:
  enum class Origin { kCommand, kTargetReached, kDeadMan, kStopping };
  struct PlannedWrite {
    std::uint32_t oid = 0;
    double wire = 0;  // registry unit: strategy enum value, W, SOC fraction
  };

  std::string prefix() const { return settings_.name + ": "; }
  std::string serial_id() const;
  std::string_view origin_word() const;  // the reason of an answer to a command of our own
  void answer(Effects& out, const ModeAnswer& a, WallTime now, LogLevel level,
              const std::optional<ReplyTo>& reply) const;
  void reject(Effects& out, std::string id, BatteryMode mode, std::string_view reason,
              std::string message, WallTime now, const std::optional<ReplyTo>& reply) const;
  void begin(Effects& out, const ModeCommand& command, Origin origin, const Moment& now);
  void read_next(Effects& out);
  // The answer to the read out (kDeriving, kReading; nullopt: it failed): the next read, or the
  // mode derived / the command checked once all are in.
  void read_answered(Effects& out, std::uint32_t oid, std::optional<double> v, const Moment& now);
  void after_reads(Effects& out, const Moment& now);
  std::optional<double> current(std::uint32_t oid) const;
  std::vector<PlannedWrite> plan(const ModeRow& row, std::string& error) const;
  double user_soc_min() const;
  void submit(Effects& out, const PlannedWrite& w);
  void submit_next(Effects& out, const Moment& now);
  void start_sampling(Effects& out, const Moment& now);
  void take_sample(Effects& out);
  void judge(Effects& out, const Moment& now);
  void start_revert(Effects& out, std::string outcome, std::string reason, std::string message,
                    const Moment& now);
  void finish_revert(Effects& out, const Moment& now);
  void finish_verified(Effects& out, const Moment& now);
  void set_mode(Effects& out, BatteryMode mode, WallTime now);
  void publish_mode(Effects& out) const;
  void sample_value(std::uint32_t oid, std::optional<double> v, Effects& out, const Moment& now);
  void derive(Effects& out, const Moment& now);
  void record_changed() { record_dirty_ = true; }

  BatteryModeSettings settings_;
  std::string serial_;
  Phase phase_ = Phase::kIdle;
  std::optional<BatteryMode> mode_;  // nullopt until derived
  // The mode was set by a command of ours and keeps the battery in strategy External: reverted
  // before a stop. A mode found on the device (a flow's settings writes, the vendor app) is
  // left to its owner and the dead-man timer of the settings.
  bool drives_ = false;
  BatteryModeRecord record_;
  bool record_dirty_ = false;
  std::uint64_t next_tag_ = 1;

  // The command under way.
  ModeCommand command_;
  Origin origin_ = Origin::kCommand;
  std::optional<ReplyTo> command_reply_;       // a command's response topic; none for our own
  std::map<std::uint32_t, double> values_;     // device values read or verified (registry unit)
  std::vector<std::uint32_t> reads_;           // still to read, in order
  std::optional<std::uint32_t> awaiting_;      // the read out
  std::vector<PlannedWrite> writes_;           // still to write
  std::optional<std::uint64_t> write_tag_;     // the write out
  std::optional<PlannedWrite> current_write_;  // the write out (or waiting for its retry)
  std::optional<Instant> retry_at_;            // a rate-limited write goes again then
  unsigned rate_retries_ = 0;
  bool wrote_ = false;   // a WRITE of this command went out
  bool dry_ = false;     // a write answered dry_run
  double hold_min_ = 0;  // hold: the minimum written, %

  // Effect window.
  Instant window_start_{};
  unsigned samples_taken_ = 0;
  unsigned samples_total_ = 0;
  std::vector<EffectSample> samples_;
  std::vector<std::uint32_t> sample_pending_;
  std::optional<EffectFigures> figures_;

  // Revert.
  std::string revert_outcome_;
  std::string revert_reason_;
  std::string revert_message_;
  bool revert_ok_ = true;
  bool stopping_ = false;
  bool stop_after_ = false;  // StopReverted once the revert is done

  // kIdle timers.
  std::optional<Instant> next_watch_;   // charge: next SOC read
  std::optional<Instant> refresh_due_;  // external: dead-man deadline
};

}  // namespace rct::daemon
