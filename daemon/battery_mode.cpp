#include "daemon/battery_mode.h"

#include <algorithm>
#include <cmath>

#include "core/number_text.h"
#include "core/write_allowlist.h"

namespace rct::daemon {

namespace {

// Extern 0 first (leftover power, kExternPowerZero), strategy, then the mode's own value.
constexpr ModeWrite kNormalWrites[] = {
    {kOidBatteryPowerExtern, ModeValue::kZero, false},
    {kOidSocStrategy, ModeValue::kInternal, false},
    {kOidSocMin, ModeValue::kUserSocMin, false},
};
constexpr ModeWrite kHoldWrites[] = {
    {kOidBatteryPowerExtern, ModeValue::kZero, false},
    {kOidSocStrategy, ModeValue::kInternal, false},
    {kOidSocMin, ModeValue::kSocFloor, false},
};
constexpr ModeWrite kChargeWrites[] = {
    {kOidBatteryPowerExtern, ModeValue::kZero, true},
    {kOidSocStrategy, ModeValue::kExternal, false},
    {kOidBatteryPowerExtern, ModeValue::kMinusPower, false},
};
constexpr ModeWrite kDischargeLockWrites[] = {
    {kOidBatteryPowerExtern, ModeValue::kZero, false},
    {kOidSocStrategy, ModeValue::kExternal, false},
};
constexpr ModeWrite kExternalWrites[] = {
    {kOidBatteryPowerExtern, ModeValue::kZero, true},
    {kOidSocStrategy, ModeValue::kExternal, false},
    {kOidBatteryPowerExtern, ModeValue::kPower, false},
};

constexpr ModeRow kModeRows[] = {
    {BatteryMode::kNormal, kNormalWrites, ModeEffect::kFollowsHouse, false, false},
    {BatteryMode::kHold, kHoldWrites, ModeEffect::kNoDischarge, false, false},
    {BatteryMode::kCharge, kChargeWrites, ModeEffect::kPowerRequested, true, false},
    {BatteryMode::kDischargeLock, kDischargeLockWrites, ModeEffect::kStill, true, false},
    {BatteryMode::kExternal, kExternalWrites, ModeEffect::kPowerRequested, true, true},
};

constexpr BatteryMode kCommandable[] = {BatteryMode::kNormal, BatteryMode::kHold,
                                        BatteryMode::kCharge, BatteryMode::kDischargeLock,
                                        BatteryMode::kExternal};

std::string watts_text(double w) {
  return human_number(std::round(w)) + " W";
}

}  // namespace

std::string_view battery_mode_name(BatteryMode m) {
  switch (m) {
    case BatteryMode::kNormal:
      return "normal";
    case BatteryMode::kHold:
      return "hold";
    case BatteryMode::kCharge:
      return "charge";
    case BatteryMode::kDischargeLock:
      return "discharge_lock";
    case BatteryMode::kExternal:
      return "external";
    case BatteryMode::kOther:
      return "other";
  }
  return "other";
}

std::optional<BatteryMode> battery_mode_from_name(std::string_view name) {
  for (BatteryMode m : kCommandable) {
    if (battery_mode_name(m) == name) return m;
  }
  return std::nullopt;
}

std::span<const BatteryMode> commandable_battery_modes() {
  return kCommandable;
}

const ModeRow* find_mode_row(BatteryMode m) {
  for (const ModeRow& row : kModeRows) {
    if (row.mode == m) return &row;
  }
  return nullptr;
}

EffectFigures mean_figures(std::span<const EffectSample> samples, double window_s) {
  EffectFigures f;
  f.window_s = window_s;
  auto mean = [&](std::optional<double> EffectSample::*field) -> std::optional<double> {
    double sum = 0;
    int n = 0;
    for (const EffectSample& s : samples) {
      if (const auto& v = s.*field) {
        sum += *v;
        ++n;
      }
    }
    if (n == 0) return std::nullopt;
    return sum / n;
  };
  f.battery = mean(&EffectSample::battery);
  f.grid = mean(&EffectSample::grid);
  f.soc = mean(&EffectSample::soc);
  return f;
}

EffectVerdict judge_effect(ModeEffect effect, const EffectFigures& f, double tolerance,
                           double power, double soc_min) {
  if (!f.battery || !f.grid) return {false, "the battery and grid power could not be read"};
  const double bat = *f.battery;
  const double grid = *f.grid;
  const bool grid_charging = bat < -tolerance && grid > tolerance;
  const std::string figures = "battery " + watts_text(bat) + ", grid " + watts_text(grid);
  switch (effect) {
    case ModeEffect::kFollowsHouse:
      if (grid_charging) return {false, "the battery charges from the grid (" + figures + ")"};
      if (bat > tolerance && grid < -tolerance) {
        return {false, "the battery feeds the grid (" + figures + ")"};
      }
      return {true, {}};
    case ModeEffect::kNoDischarge:
      if (grid_charging) return {false, "the battery charges from the grid (" + figures + ")"};
      // The minimum is the SOC rounded down: the battery may still give up to that last percent.
      if (bat > tolerance && f.soc && *f.soc <= soc_min) {
        return {false, "the battery discharges below the minimum of " + human_number(soc_min) +
                           " % (" + figures + ")"};
      }
      return {true, {}};
    case ModeEffect::kPowerRequested: {
      const double allowed = std::max(tolerance, kPowerShare * std::abs(power));
      if (std::abs(bat - power) > allowed) {
        return {false, "the battery power is not the requested " + watts_text(power) + " within " +
                           watts_text(allowed) + " (" + figures + ")"};
      }
      return {true, {}};
    }
    case ModeEffect::kStill:
      if (std::abs(bat) > tolerance) {
        return {false, "the battery is not still (" + figures + ")"};
      }
      return {true, {}};
  }
  return {false, "unknown effect"};
}

BatteryMode derive_mode(std::uint8_t strategy, double extern_power, double soc_min_pct,
                        std::optional<double> hold_min, bool charging) {
  if (strategy == kStrategyExternal) {
    if (extern_power == 0) return BatteryMode::kDischargeLock;
    if (extern_power < 0 && charging) return BatteryMode::kCharge;
    return BatteryMode::kExternal;
  }
  if (strategy != kStrategyInternal) return BatteryMode::kOther;
  if (hold_min && std::abs(soc_min_pct - *hold_min) < 0.5) return BatteryMode::kHold;
  return BatteryMode::kNormal;
}

double hold_soc_min(double soc_pct, double soc_max_pct) {
  // Strictly down: float32 noise may cost a percent, but the minimum is never above the SOC
  // (above it, the inverter charges up to it from the grid).
  return std::min(std::floor(soc_pct), std::floor(soc_max_pct));
}

}  // namespace rct::daemon
