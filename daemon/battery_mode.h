#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The named battery modes (docs/battery-modes.md) as data: per mode the writes, in order, and
// the effect the battery must show afterwards. Nothing here reads or writes anything; the mode
// machine (battery_mode_session.h) runs a row against values read fresh from the inverter.
//
// Powers in W with the device's signs: battery positive = discharge (g_sync.p_acc_lp), grid
// positive = import (g_sync.p_ac_grid_sum_lp). SOC values in whole percent.

namespace rct::daemon {

enum class BatteryMode { kNormal, kHold, kCharge, kDischargeLock, kExternal, kOther };
// "normal", "hold", "charge", "discharge_lock", "external", "other".
std::string_view battery_mode_name(BatteryMode m);
// A mode that can be commanded (kOther is only ever reported); nullopt for other text.
std::optional<BatteryMode> battery_mode_from_name(std::string_view name);
// The commandable modes, in the order the Home Assistant select shows them.
std::span<const BatteryMode> commandable_battery_modes();

// What one write of a mode puts into the OID, decided against the device's current values.
enum class ModeValue {
  kZero,        // 0 (battery_power_extern)
  kInternal,    // strategy Internal
  kExternal,    // strategy External
  kUserSocMin,  // the user's minimum (configured, remembered, else kDefaultSocMin)
  kSocFloor,    // the current SOC rounded down, at most soc_max (hold)
  kMinusPower,  // −power (charge)
  kPower,       // power (external)
};

struct ModeWrite {
  std::uint32_t oid = 0;
  ModeValue value = ModeValue::kZero;
  // Only when the strategy must be switched: battery_power_extern 0 before External (the
  // kExternPowerZero interlock), needless when the strategy is External already.
  bool only_before_strategy_switch = false;
};

// What the battery must show in the effect window (judge_effect).
enum class ModeEffect {
  kFollowsHouse,    // normal: not charging from the grid, not feeding the grid
  kNoDischarge,     // hold: not charging from the grid; no discharge once at the minimum
  kPowerRequested,  // charge (−power), external (power): within max(tolerance, 20 %)
  kStill,           // discharge_lock: |battery| ≤ tolerance
};

struct ModeRow {
  BatteryMode mode = BatteryMode::kNormal;
  std::span<const ModeWrite> writes;  // in order; a write the device already shows is skipped
  ModeEffect effect = ModeEffect::kFollowsHouse;
  // The bridge drives the battery (strategy External): reverted before the daemon stops.
  bool external_strategy = false;
  // The caller must send the command again within dead_man_timeout (external).
  bool needs_refresh = false;
};

// The row of a commandable mode (nullptr for kOther).
const ModeRow* find_mode_row(BatteryMode m);

// The device's minimum when nothing else is known (docs/protocol.md §15.6).
inline constexpr double kDefaultSocMin = 7;
// Share of the requested power a charge or external mode may miss by (beside the tolerance).
inline constexpr double kPowerShare = 0.2;

// One sample of the effect window; a missing reading stays nullopt.
struct EffectSample {
  std::optional<double> battery;  // W, positive = discharge
  std::optional<double> grid;     // W, positive = import
  std::optional<double> soc;      // %
};

// The judged figures: means of the samples of the settled part.
struct EffectFigures {
  std::optional<double> battery;
  std::optional<double> grid;
  std::optional<double> soc;
  double window_s = 0;
};
EffectFigures mean_figures(std::span<const EffectSample> samples, double window_s);

struct EffectVerdict {
  bool holds = false;
  std::string why;  // for the message: what contradicted the mode (empty when it holds)
};
// `power`: the requested W of charge (positive number) or external (signed); `soc_min`: the
// minimum hold wrote, %.
EffectVerdict judge_effect(ModeEffect effect, const EffectFigures& figures, double tolerance,
                           double power, double soc_min);

// The mode the device's settings show. `hold_soc_min`: the minimum hold wrote (remembered);
// `charging`: a charge target is remembered.
BatteryMode derive_mode(std::uint8_t strategy, double extern_power, double soc_min_pct,
                        std::optional<double> hold_soc_min, bool charging);

// Hold's minimum: the SOC rounded down to a whole percent, at most soc_max rounded down.
double hold_soc_min(double soc_pct, double soc_max_pct);

}  // namespace rct::daemon
