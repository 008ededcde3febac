#include "daemon/battery_mode.h"

#include <vector>

#include "core/write_allowlist.h"
#include "daemon/battery_mode_session.h"
#include "tests/support/catch.h"

using rct::daemon::BatteryMode;
using rct::daemon::EffectFigures;
using rct::daemon::ModeEffect;
using rct::daemon::ModeValue;

namespace {

std::vector<std::pair<std::uint32_t, ModeValue>> mode_writes(BatteryMode m) {
  const rct::daemon::ModeRow* row = rct::daemon::find_mode_row(m);
  REQUIRE(row != nullptr);
  std::vector<std::pair<std::uint32_t, ModeValue>> out;
  for (const auto& w : row->writes) out.emplace_back(w.oid, w.value);
  return out;
}

EffectFigures effect_figures_of(double battery, double grid, double soc = 50) {
  EffectFigures f;
  f.battery = battery;
  f.grid = grid;
  f.soc = soc;
  f.window_s = 30;
  return f;
}

}  // namespace

TEST_CASE(
    "every battery mode writes the external power, the strategy and its own value in that "
    "order",
    "[battery_mode]") {
  using P = std::pair<std::uint32_t, ModeValue>;
  CHECK(mode_writes(BatteryMode::kNormal) ==
        std::vector<P>{{rct::kOidBatteryPowerExtern, ModeValue::kZero},
                       {rct::kOidSocStrategy, ModeValue::kInternal},
                       {rct::kOidSocMin, ModeValue::kUserSocMin}});
  CHECK(mode_writes(BatteryMode::kHold) ==
        std::vector<P>{{rct::kOidBatteryPowerExtern, ModeValue::kZero},
                       {rct::kOidSocStrategy, ModeValue::kInternal},
                       {rct::kOidSocMin, ModeValue::kSocFloor}});
  CHECK(mode_writes(BatteryMode::kCharge) ==
        std::vector<P>{{rct::kOidBatteryPowerExtern, ModeValue::kZero},
                       {rct::kOidSocStrategy, ModeValue::kExternal},
                       {rct::kOidBatteryPowerExtern, ModeValue::kMinusPower}});
  CHECK(mode_writes(BatteryMode::kDischargeLock) ==
        std::vector<P>{{rct::kOidBatteryPowerExtern, ModeValue::kZero},
                       {rct::kOidSocStrategy, ModeValue::kExternal}});
  CHECK(mode_writes(BatteryMode::kExternal) ==
        std::vector<P>{{rct::kOidBatteryPowerExtern, ModeValue::kZero},
                       {rct::kOidSocStrategy, ModeValue::kExternal},
                       {rct::kOidBatteryPowerExtern, ModeValue::kPower}});
  CHECK(rct::daemon::find_mode_row(BatteryMode::kOther) == nullptr);
  CHECK(rct::daemon::find_mode_row(BatteryMode::kCharge)->external_strategy);
  CHECK_FALSE(rct::daemon::find_mode_row(BatteryMode::kHold)->external_strategy);
  CHECK(rct::daemon::find_mode_row(BatteryMode::kExternal)->needs_refresh);
}

TEST_CASE("mode names read back as the modes they name", "[battery_mode]") {
  for (BatteryMode m : rct::daemon::commandable_battery_modes()) {
    CHECK(rct::daemon::battery_mode_from_name(rct::daemon::battery_mode_name(m)) == m);
  }
  CHECK_FALSE(rct::daemon::battery_mode_from_name("other"));
  CHECK_FALSE(rct::daemon::battery_mode_from_name("Hold"));
}

TEST_CASE("hold's minimum is the SOC rounded down and never above soc_max", "[battery_mode]") {
  CHECK(rct::daemon::hold_soc_min(45.9, 97) == 45);
  CHECK(rct::daemon::hold_soc_min(45.0, 97) == 45);
  // float32 0.45 is 0.449999988: the minimum is 44, never a hair above the SOC.
  CHECK(rct::daemon::hold_soc_min(static_cast<double>(0.45f) * 100, 97) <=
        static_cast<double>(0.45f) * 100);
  CHECK(rct::daemon::hold_soc_min(99.5, 97) == 97);
}

TEST_CASE("the effect of each mode is judged on battery and grid power", "[battery_mode]") {
  using rct::daemon::judge_effect;
  // normal: the battery follows the house; charging from the grid or feeding it contradicts.
  CHECK(judge_effect(ModeEffect::kFollowsHouse, effect_figures_of(400, 30), 300, 0, 0).holds);
  CHECK(judge_effect(ModeEffect::kFollowsHouse, effect_figures_of(-2000, 20), 300, 0, 0).holds);
  CHECK_FALSE(
      judge_effect(ModeEffect::kFollowsHouse, effect_figures_of(-6000, 6400), 300, 0, 0).holds);
  CHECK_FALSE(
      judge_effect(ModeEffect::kFollowsHouse, effect_figures_of(3000, -2500), 300, 0, 0).holds);
  // hold: grid charging contradicts; a discharge only at or below the minimum written.
  const auto trap =
      judge_effect(ModeEffect::kNoDischarge, effect_figures_of(-6000, 6400, 45.5), 300, 0, 45);
  CHECK_FALSE(trap.holds);
  CHECK(trap.why.find("charges from the grid") != std::string::npos);
  CHECK(judge_effect(ModeEffect::kNoDischarge, effect_figures_of(500, 20, 45.6), 300, 0, 45).holds);
  CHECK_FALSE(
      judge_effect(ModeEffect::kNoDischarge, effect_figures_of(500, 20, 44.8), 300, 0, 45).holds);
  // charge / external: the requested power within max(tolerance, 20 %).
  CHECK(judge_effect(ModeEffect::kPowerRequested, effect_figures_of(-2700, 3100), 300, -3000, 0)
            .holds);
  CHECK_FALSE(
      judge_effect(ModeEffect::kPowerRequested, effect_figures_of(-2000, 2400), 300, -3000, 0)
          .holds);
  CHECK(judge_effect(ModeEffect::kPowerRequested, effect_figures_of(-1000, 1400), 300, -1200, 0)
            .holds);
  CHECK_FALSE(
      judge_effect(ModeEffect::kPowerRequested, effect_figures_of(0, 400), 300, -1200, 0).holds);
  // discharge_lock: still.
  CHECK(judge_effect(ModeEffect::kStill, effect_figures_of(120, 500), 300, 0, 0).holds);
  CHECK_FALSE(judge_effect(ModeEffect::kStill, effect_figures_of(-900, 1300), 300, 0, 0).holds);
  // No figures: never holds.
  CHECK_FALSE(judge_effect(ModeEffect::kStill, EffectFigures{}, 300, 0, 0).holds);
}

TEST_CASE("the mode is derived from the device's strategy, external power and minimum",
          "[battery_mode]") {
  using rct::daemon::derive_mode;
  CHECK(derive_mode(rct::kStrategyInternal, 0, 7, std::nullopt, false) == BatteryMode::kNormal);
  CHECK(derive_mode(rct::kStrategyInternal, 0, 45, 45.0, false) == BatteryMode::kHold);
  CHECK(derive_mode(rct::kStrategyInternal, 0, 7, 45.0, false) == BatteryMode::kNormal);
  CHECK(derive_mode(rct::kStrategyExternal, 0, 7, std::nullopt, false) ==
        BatteryMode::kDischargeLock);
  CHECK(derive_mode(rct::kStrategyExternal, -3000, 7, std::nullopt, true) == BatteryMode::kCharge);
  CHECK(derive_mode(rct::kStrategyExternal, -3000, 7, std::nullopt, false) ==
        BatteryMode::kExternal);
  CHECK(derive_mode(rct::kStrategyExternal, 1500, 7, std::nullopt, true) == BatteryMode::kExternal);
  CHECK(derive_mode(1, 0, 7, std::nullopt, false) == BatteryMode::kOther);  // Constant
}

TEST_CASE("mode commands are a plain name or JSON with power, soc and id", "[battery_mode]") {
  using rct::daemon::parse_mode_command;
  auto hold = parse_mode_command(" hold\n");
  REQUIRE(hold);
  CHECK(hold->mode == BatteryMode::kHold);
  CHECK(hold->id == "null");
  auto charge = parse_mode_command(R"({"mode":"charge","power":3000,"soc":80,"id":"abc"})");
  REQUIRE(charge);
  CHECK(charge->mode == BatteryMode::kCharge);
  CHECK(charge->power == 3000);
  CHECK(charge->soc == 80);
  CHECK(charge->id == "\"abc\"");
  auto external = parse_mode_command(R"({"mode":"external","power":-2000,"id":7})");
  REQUIRE(external);
  CHECK(external->power == -2000);
  CHECK(external->id == "7");
  CHECK(parse_mode_command("\"discharge_lock\"")->mode == BatteryMode::kDischargeLock);

  auto charge_plain = parse_mode_command("charge");  // [battery_modes] charge_power to soc_max
  REQUIRE(charge_plain);
  CHECK(charge_plain->power == 0);
  CHECK(charge_plain->soc == 0);
  CHECK(parse_mode_command("external").error().reason == "unparseable");
  auto too_much = parse_mode_command(R"({"mode":"charge","power":9000,"soc":80,"id":1})");
  REQUIRE_FALSE(too_much);
  CHECK(too_much.error().reason == "out_of_range");
  CHECK(too_much.error().id == "1");
  CHECK(parse_mode_command(R"({"mode":"charge","power":0,"soc":80})").error().reason ==
        "out_of_range");
  CHECK(parse_mode_command(R"({"mode":"external","power":"x"})").error().reason == "unparseable");
  CHECK(parse_mode_command("other").error().message.find("no battery mode") != std::string::npos);
  CHECK(parse_mode_command(std::string(2000, ' ') + "hold").error().message.find("longer") !=
        std::string::npos);
  CHECK_FALSE(parse_mode_command(""));
}
