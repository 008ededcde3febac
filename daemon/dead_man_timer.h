#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/value.h"

namespace rct::daemon {

// Hands the battery back to the inverter when whoever drives strategy External stops refreshing
// power_mng.battery_power_extern (a Node-RED flow that died, Home Assistant restarting): the
// device would otherwise keep charging or discharging at the last power for ever. Pure logic on
// the caller's steady time; the daemon drives it and performs the revert writes.
//
// States:
//   kIdle      — no External session of ours: nothing to watch.
//   kArmed     — strategy External or a non-zero external power was written; the deadline is the
//                last such write (or any battery_power_extern write) + timeout.
//   kReverting — the deadline passed: poll() handed out the revert writes (battery_power_extern
//                = 0, then soc_strategy = Internal) and waits for on_revert_result(); a failed
//                revert is handed out again every retry_interval.
// kIdle → kArmed: on_write(soc_strategy = External) or on_write(battery_power_extern ≠ 0).
// kArmed → kArmed: on_write(battery_power_extern, any) or on_write(soc_strategy = External).
// kArmed → kReverting: the deadline passed (poll) or the daemon stops (revert_now).
// kArmed / kReverting → kIdle: on_write(soc_strategy ≠ External) by someone else, or a revert
// reported done. kReverting → kArmed: on_write(soc_strategy = External) (the driver is back).
class DeadManTimer {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  enum class State { kIdle, kArmed, kReverting };

  struct Options {
    Duration timeout = std::chrono::seconds(120);        // refresh at least this often
    Duration retry_interval = std::chrono::seconds(30);  // after a revert that failed
  };

  // One revert write, value in the registry's (wire) unit, to send in order and with the rate
  // limit bypassed (a safety write). Both pass the interlocks by design (write_allowlist.h).
  struct RevertWrite {
    std::uint32_t oid = 0;
    double value = 0.0;
    bool operator==(const RevertWrite&) const = default;
  };

  explicit DeadManTimer(Options options) : options_(options) {}

  // Every WRITE that went on the wire, verified or not, except the revert writes themselves
  // (report those through on_revert_result). OIDs other than the two watched are ignored.
  void on_write(std::uint32_t oid, const Value& wire_value, TimePoint now);
  // When poll() has something to do next; nullopt while idle.
  std::optional<TimePoint> deadline() const;
  // The revert writes when the deadline has passed (state kReverting), else nothing. Handed out
  // once per deadline: a pending revert is not repeated before on_revert_result or its retry.
  std::vector<RevertWrite> poll(TimePoint now);
  // The revert writes now, whatever the deadline: the daemon is stopping, and nothing would
  // revert an External session after it. Nothing while idle, or while a revert is out (its
  // on_revert_result ends it). State kReverting, as after poll().
  std::vector<RevertWrite> revert_now();
  // What became of the revert writes: true → kIdle; false → handed out again after
  // retry_interval. Ignored unless kReverting.
  void on_revert_result(bool reverted, TimePoint now);

  // The battery modes (battery_mode_session.h) took the battery over: they revert what they
  // drive themselves. → kIdle.
  void release() {
    state_ = State::kIdle;
    revert_pending_ = false;
  }

  State state() const { return state_; }
  const Options& options() const { return options_; }
  // New options (a configuration reload) apply from the next write or retry; a deadline already
  // set stays.
  void set_options(Options options) { options_ = options; }

 private:
  Options options_;
  State state_ = State::kIdle;
  TimePoint deadline_{};
  bool revert_pending_ = false;  // kReverting: writes handed out, result not yet reported
};

std::string_view dead_man_state_name(DeadManTimer::State s);  // "idle", "armed", "reverting"

}  // namespace rct::daemon
