#include "daemon/dead_man_timer.h"

#include <chrono>

#include "core/write_allowlist.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::EnumValue;
using rct::Value;
using rct::daemon::DeadManTimer;
using State = DeadManTimer::State;

namespace {

DeadManTimer::Options options() {
  DeadManTimer::Options o;
  o.timeout = 60s;
  o.retry_interval = 10s;
  return o;
}

const std::vector<DeadManTimer::RevertWrite> kRevert = {
    {rct::kOidBatteryPowerExtern, 0.0},
    {rct::kOidSocStrategy, 4.0},
};

}  // namespace

TEST_CASE("the dead-man timer stays idle until an External session starts", "[dead_man]") {
  const DeadManTimer::TimePoint t0{};
  DeadManTimer dm(options());
  CHECK(dm.state() == State::kIdle);
  CHECK_FALSE(dm.deadline().has_value());
  dm.on_write(rct::kOidSocMin, Value(0.2f), t0);
  dm.on_write(rct::kOidBatteryPowerExtern, Value(0.0f), t0);  // 0 W: nothing to revert
  dm.on_write(rct::kOidSocStrategy, Value(EnumValue{4}), t0);
  CHECK(dm.state() == State::kIdle);
  CHECK(dm.poll(t0 + 1h).empty());
  CHECK(rct::daemon::dead_man_state_name(dm.state()) == "idle");
}

TEST_CASE("without a refresh the dead-man timer asks for power 0 and strategy Internal once",
          "[dead_man]") {
  const DeadManTimer::TimePoint t0{};
  DeadManTimer dm(options());
  dm.on_write(rct::kOidSocStrategy, Value(EnumValue{2}), t0);
  CHECK(dm.state() == State::kArmed);
  REQUIRE(dm.deadline().has_value());
  CHECK(*dm.deadline() == t0 + 60s);

  // Refreshes move the deadline.
  dm.on_write(rct::kOidBatteryPowerExtern, Value(-2000.0f), t0 + 30s);
  CHECK(*dm.deadline() == t0 + 90s);
  dm.on_write(rct::kOidBatteryPowerExtern, Value(0.0f), t0 + 80s);
  CHECK(*dm.deadline() == t0 + 140s);
  CHECK(dm.poll(t0 + 139s).empty());
  CHECK(dm.state() == State::kArmed);

  const auto writes = dm.poll(t0 + 140s);
  CHECK(writes == kRevert);
  CHECK(dm.state() == State::kReverting);
  CHECK_FALSE(dm.deadline().has_value());  // waiting for the result, not for time
  CHECK(dm.poll(t0 + 200s).empty());       // handed out once

  dm.on_revert_result(true, t0 + 141s);
  CHECK(dm.state() == State::kIdle);
  CHECK(dm.poll(t0 + 1h).empty());
}

TEST_CASE("a failed revert is handed out again after the retry interval", "[dead_man]") {
  const DeadManTimer::TimePoint t0{};
  DeadManTimer dm(options());
  dm.on_write(rct::kOidBatteryPowerExtern, Value(1500.0f), t0);  // non-zero power arms too
  CHECK(dm.state() == State::kArmed);
  CHECK(dm.poll(t0 + 60s) == kRevert);
  dm.on_revert_result(false, t0 + 62s);
  CHECK(dm.state() == State::kReverting);
  REQUIRE(dm.deadline().has_value());
  CHECK(*dm.deadline() == t0 + 72s);
  CHECK(dm.poll(t0 + 71s).empty());
  CHECK(dm.poll(t0 + 72s) == kRevert);
  dm.on_revert_result(true, t0 + 73s);
  CHECK(dm.state() == State::kIdle);
}

TEST_CASE("leaving External by hand disarms the dead-man timer; re-entering re-arms it",
          "[dead_man]") {
  const DeadManTimer::TimePoint t0{};
  DeadManTimer dm(options());
  dm.on_write(rct::kOidSocStrategy, Value(EnumValue{2}), t0);
  dm.on_write(rct::kOidSocStrategy, Value(EnumValue{1}), t0 + 10s);  // Constant
  CHECK(dm.state() == State::kIdle);
  CHECK(dm.poll(t0 + 1h).empty());

  // While a revert is pending, power writes do not count; strategy External does.
  dm.on_write(rct::kOidSocStrategy, Value(EnumValue{2}), t0 + 2h);
  CHECK(dm.poll(t0 + 2h + 60s) == kRevert);
  dm.on_write(rct::kOidBatteryPowerExtern, Value(500.0f), t0 + 2h + 61s);
  CHECK(dm.state() == State::kReverting);
  dm.on_write(rct::kOidSocStrategy, Value(EnumValue{2}), t0 + 2h + 62s);
  CHECK(dm.state() == State::kArmed);
  CHECK(*dm.deadline() == t0 + 2h + 122s);
  dm.on_revert_result(true, t0 + 2h + 63s);  // a stale result: ignored
  CHECK(dm.state() == State::kArmed);
}

TEST_CASE("revert_now hands out the revert before the deadline, once, and never while idle",
          "[dead_man]") {
  const DeadManTimer::TimePoint t0{};
  DeadManTimer dm(options());
  CHECK(dm.revert_now().empty());
  CHECK(dm.state() == State::kIdle);

  dm.on_write(rct::kOidSocStrategy, Value(EnumValue{2}), t0);
  CHECK(dm.revert_now() == kRevert);  // long before t0 + 60 s
  CHECK(dm.state() == State::kReverting);
  CHECK(dm.revert_now().empty());  // out already: its result ends it
  CHECK(dm.poll(t0 + 1h).empty());
  dm.on_revert_result(true, t0 + 1s);
  CHECK(dm.state() == State::kIdle);
  CHECK(dm.revert_now().empty());

  // A failed revert waiting for its retry is handed out again at once.
  dm.on_write(rct::kOidBatteryPowerExtern, Value(800.0f), t0 + 2s);
  CHECK(dm.poll(t0 + 62s) == kRevert);
  dm.on_revert_result(false, t0 + 63s);
  CHECK(dm.revert_now() == kRevert);
  dm.on_revert_result(true, t0 + 64s);
  CHECK(dm.state() == State::kIdle);
}
