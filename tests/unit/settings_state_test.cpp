#include "daemon/settings_state.h"

#include <cmath>
#include <limits>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::EnumValue;
using rct::Value;
using rct::daemon::Instant;
using rct::daemon::SettingsState;

namespace {

const rct::WritableEntry& entry(std::string_view key) {
  const rct::WritableEntry* e = rct::find_writable_key(key);
  REQUIRE(e != nullptr);
  return *e;
}

}  // namespace

TEST_CASE("settings are published in the user unit, on change and on the heartbeat",
          "[settings_state]") {
  SettingsState state(300s);
  const Instant t0 = Instant{} + 1000h;
  const auto& target = entry("soc_target");
  // 0.5 on the wire is 50 %; float32 noise does not show.
  CHECK(state.on_reading(target, Value(0.5f), t0) == "50");
  CHECK(state.on_reading(target, Value(0.5f), t0 + 60s) == std::nullopt);
  CHECK(state.on_reading(target, Value(0.07f), t0 + 61s) == "7");
  CHECK(state.on_reading(target, Value(0.07f), t0 + 360s) == std::nullopt);
  CHECK(state.on_reading(target, Value(0.07f), t0 + 361s) == "7");  // heartbeat
  // A verified read-back is published even when unchanged.
  CHECK(state.on_reading(target, Value(0.07f), t0 + 362s, true) == "7");

  CHECK(state.on_reading(entry("soc_strategy"), Value(EnumValue{2}), t0) == "External");
  CHECK(state.on_reading(entry("grid_charging"), Value(true), t0) == "ON");
  CHECK(state.on_reading(entry("battery_power_extern"), Value(-1500.0f), t0) == "-1500");
  REQUIRE(state.current().size() == 4);
  CHECK(state.current().at("soc_strategy").payload == "External");
}

TEST_CASE("a setting that is not a finite number is never published", "[settings_state]") {
  SettingsState state;
  const Instant t0 = Instant{} + 1h;
  const auto& target = entry("soc_target");
  CHECK(state.on_reading(target, Value(std::numeric_limits<float>::quiet_NaN()), t0) ==
        std::nullopt);
  CHECK(state.on_reading(target, Value(std::numeric_limits<float>::infinity()), t0) ==
        std::nullopt);
  CHECK(state.on_reading(target, Value(std::string("text")), t0) == std::nullopt);
  CHECK(state.current().empty());
}

TEST_CASE("settings no longer allowed are forgotten and named for clearing", "[settings_state]") {
  SettingsState state;
  const Instant t0 = Instant{} + 1h;
  state.on_reading(entry("soc_target"), Value(0.5f), t0);
  state.on_reading(entry("soc_min"), Value(0.07f), t0);
  const auto dropped = state.retain_only({&entry("soc_min")});
  CHECK(dropped == std::vector<std::string>{"soc_target"});
  REQUIRE(state.current().size() == 1);
  CHECK(state.current().count("soc_min") == 1);
  CHECK(state.retain_only({}) == std::vector<std::string>{"soc_min"});
  CHECK(state.current().empty());
  // Forgotten means published again at once.
  CHECK(state.on_reading(entry("soc_min"), Value(0.07f), t0 + 1s) == "7");
}
