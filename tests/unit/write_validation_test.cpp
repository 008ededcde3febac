#include "core/write_validation.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

#include "core/hex.h"
#include "core/write_allowlist.h"
#include "tests/support/catch.h"

using rct::CurrentValues;
using rct::EnumValue;
using rct::InputUnit;
using rct::RejectReason;
using rct::Value;

namespace {

std::uint32_t oid_of(std::string_view name) {
  const rct::WritableEntry* e = rct::find_writable(name);
  REQUIRE(e != nullptr);
  return e->oid;
}

// Values of a device in its default state (docs/protocol.md §13 defaults), SOC 60 %.
CurrentValues defaults() {
  return {
      {rct::kOidBatteryStatus, Value(std::int32_t{0})},
      {rct::kOidBatteryStatus2, Value(std::int32_t{0})},
      {rct::kOidBatterySoc, Value(0.6f)},
      {rct::kOidSocStrategy, Value(EnumValue{4})},
      {rct::kOidBatteryPowerExtern, Value(0.0f)},
      {rct::kOidSocMin, Value(0.07f)},
      {rct::kOidSocMax, Value(0.97f)},
      {rct::kOidSocMinIsland, Value(0.07f)},
  };
}

}  // namespace

TEST_CASE("requested values are parsed, bounded, stepped and encoded per entry",
          "[write_validation]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  struct Row {
    int line;
    const char* name;
    const char* text;
    InputUnit unit;
    std::optional<RejectReason> reason;  // nullopt: accepted
    const char* payload_hex;             // when accepted
    const char* normalised;              // when accepted
  };
  constexpr auto kUser = InputUnit::kUser;
  constexpr auto kWire = InputUnit::kWire;
  const Row rows[] = {
      {__LINE__, "power_mng.soc_min", "20", kUser, {}, "3e4ccccd", "20"},
      {__LINE__, "power_mng.soc_min", " 20.0\n", kUser, {}, "3e4ccccd", "20"},
      {__LINE__, "power_mng.soc_min", "0.2", kWire, {}, "3e4ccccd", "20"},
      {__LINE__, "power_mng.soc_min", "0.07", kWire, {}, "3d8f5c29", "7"},
      {__LINE__, "power_mng.soc_min", "5", kUser, {}, "3d4ccccd", "5"},
      {__LINE__, "power_mng.soc_min", "80", kUser, {}, "3f4ccccd", "80"},
      {__LINE__, "power_mng.soc_min", "4", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_min", "101", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_min", "20", kWire, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_min", "20.5", kUser, RejectReason::kBadStep, "", ""},
      {__LINE__, "power_mng.soc_min", "0.075", kWire, RejectReason::kBadStep, "", ""},
      {__LINE__, "power_mng.soc_min", "twenty", kUser, RejectReason::kUnparseable, "", ""},
      {__LINE__, "power_mng.soc_min", "", kUser, RejectReason::kUnparseable, "", ""},
      {__LINE__, "power_mng.soc_min", "nan", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_min", "inf", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_min", "1e39", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_max", "100", kUser, {}, "3f800000", "100"},
      {__LINE__, "power_mng.soc_max", "49", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_target_set", "50", kUser, {}, "3f000000", "50"},
      {__LINE__, "power_mng.soc_min_island", "10", kUser, {}, "3dcccccd", "10"},
      {__LINE__, "power_mng.battery_power_extern", "-1000", kUser, {}, "c47a0000", "-1000"},
      {__LINE__, "power_mng.battery_power_extern", "+2500", kWire, {}, "451c4000", "2500"},
      {__LINE__, "power_mng.battery_power_extern", "6000", kUser, {}, "45bb8000", "6000"},
      {__LINE__, "power_mng.battery_power_extern", "-6000", kUser, {}, "c5bb8000", "-6000"},
      {__LINE__, "power_mng.battery_power_extern", "-0", kUser, {}, "00000000", "0"},
      {__LINE__, "power_mng.battery_power_extern", "6001", kUser, RejectReason::kOutOfRange, "",
       ""},
      {__LINE__, "power_mng.battery_power_extern", "100.5", kUser, RejectReason::kBadStep, "", ""},
      {__LINE__, "power_mng.soc_charge_power", "100", kUser, {}, "42c80000", "100"},
      {__LINE__, "power_mng.soc_charge_power", "-1", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "p_rec_lim[1]", "0", kUser, {}, "00000000", "0"},
      {__LINE__, "p_rec_lim[1]", "-100", kUser, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "buf_v_control.power_reduction", "100", kUser, {}, "3f800000", "100"},
      {__LINE__, "buf_v_control.power_reduction", "0", kUser, {}, "00000000", "0"},
      {__LINE__, "buf_v_control.power_reduction", "1.5", kWire, RejectReason::kOutOfRange, "", ""},
      {__LINE__, "power_mng.soc_strategy", "External", kUser, {}, "02", "External"},
      {__LINE__, "power_mng.soc_strategy", "  internal ", kUser, {}, "04", "Internal"},
      {__LINE__, "power_mng.soc_strategy", "SOC target = SOC", kUser, {}, "00", "SOC target = SOC"},
      {__LINE__, "power_mng.soc_strategy", "2", kWire, {}, "02", "External"},
      {__LINE__, "power_mng.soc_strategy", "0x05", kUser, {}, "05", "Schedule"},
      {__LINE__, "power_mng.soc_strategy", "6", kUser, RejectReason::kBadEnum, "", ""},
      {__LINE__, "power_mng.soc_strategy", "-1", kUser, RejectReason::kBadEnum, "", ""},
      {__LINE__, "power_mng.soc_strategy", "Turbo", kUser, RejectReason::kBadEnum, "", ""},
      {__LINE__, "power_mng.use_grid_power_enable", "ON", kUser, {}, "01", "ON"},
      {__LINE__, "power_mng.use_grid_power_enable", "off", kUser, {}, "00", "OFF"},
      {__LINE__, "power_mng.use_grid_power_enable", "true", kWire, {}, "01", "ON"},
      {__LINE__, "power_mng.use_grid_power_enable", "0", kWire, {}, "00", "OFF"},
      {__LINE__, "power_mng.use_grid_power_enable", "maybe", kUser, RejectReason::kUnparseable, "",
       ""},
  };
  for (const Row& row : rows) {
    INFO("write_validation_test.cpp:" << row.line << " " << row.name << " '" << row.text << "'");
    auto w = rct::prepare_write(policy, oid_of(row.name), row.text, row.unit);
    if (row.reason) {
      REQUIRE_FALSE(w.ok());
      CHECK(w.error().reason == *row.reason);
      CHECK(w.error().message.find(row.name) != std::string::npos);
      continue;
    }
    REQUIRE(w.ok());
    CHECK(w->entry == rct::find_writable(row.name));
    CHECK(rct::to_hex(w->payload) == row.payload_hex);
    CHECK(w->text == row.normalised);
  }
}

TEST_CASE("a rejected text is quoted on one line, shortened, in every kind of message",
          "[write_validation]") {
  const auto policy = rct::allow_every_writable();
  const std::string odd = "12\n\x1b[31mx" + std::string(200, 'y');
  for (const char* name :
       {"power_mng.soc_target_set", "power_mng.soc_strategy", "power_mng.use_grid_power_enable"}) {
    INFO(name);
    auto w = rct::prepare_write(policy, oid_of(name), odd, InputUnit::kUser);
    REQUIRE_FALSE(w.ok());
    const std::string& m = w.error().message;
    CHECK(m.find('\n') == std::string::npos);
    CHECK(m.find('\x1b') == std::string::npos);
    CHECK(m.find("'12??[31mxy") != std::string::npos);
    // 64 bytes of the text are quoted, then "...".
    const auto open = m.find("'12");
    const auto close = m.find("...'");
    REQUIRE(close != std::string::npos);
    CHECK(close - open - 1 == 64);
  }
}

TEST_CASE("a number too long for fixed notation is shown in full in its rejection",
          "[write_validation]") {
  // The fuzzer's find: fixed notation of 1e110 overflows the formatting buffer, whose contents
  // to_chars then leaves unspecified; the message showed 64 bytes of stack.
  const auto policy = rct::allow_every_writable();
  for (const double v : {-2.1456098487838245e+110, 1e300, 1e60}) {
    auto w = rct::prepare_write(policy, oid_of("power_mng.soc_min_island"), v, InputUnit::kUser);
    REQUIRE_FALSE(w.ok());
    CHECK(w.error().reason == RejectReason::kOutOfRange);
    INFO(w.error().message);
    char shortest[64];
    const auto r = std::to_chars(shortest, shortest + sizeof shortest, v);
    CHECK(w.error().message.find(std::string(shortest, r.ptr) + " %") != std::string::npos);
    CHECK(w.error().message.find('\0') == std::string::npos);
  }
  auto wire =
      rct::prepare_write(policy, oid_of("power_mng.soc_min_island"), 1e100, InputUnit::kWire);
  REQUIRE_FALSE(wire.ok());
  CHECK(wire.error().message.find("1e+100 on the wire") != std::string::npos);
}

TEST_CASE("numbers are validated like text, selects and switches by their values",
          "[write_validation]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  auto soc_min = rct::prepare_write(policy, rct::kOidSocMin, 25.0, InputUnit::kUser);
  REQUIRE(soc_min.ok());
  CHECK(soc_min->value == Value(0.25f));
  CHECK(soc_min->user_value == 25.0);

  auto wire = rct::prepare_write(policy, rct::kOidSocMin, 0.25, InputUnit::kWire);
  REQUIRE(wire.ok());
  CHECK(wire->payload == soc_min->payload);

  auto strategy = rct::prepare_write(policy, rct::kOidSocStrategy, 2.0, InputUnit::kWire);
  REQUIRE(strategy.ok());
  CHECK(strategy->value == Value(EnumValue{2}));
  auto fractional = rct::prepare_write(policy, rct::kOidSocStrategy, 2.5, InputUnit::kWire);
  REQUIRE_FALSE(fractional.ok());
  CHECK(fractional.error().reason == RejectReason::kBadEnum);

  const std::uint32_t grid = oid_of("power_mng.use_grid_power_enable");
  auto on = rct::prepare_write(policy, grid, 1.0, InputUnit::kUser);
  REQUIRE(on.ok());
  CHECK(on->value == Value(true));
  auto two = rct::prepare_write(policy, grid, 2.0, InputUnit::kUser);
  REQUIRE_FALSE(two.ok());
  CHECK(two.error().reason == RejectReason::kUnparseable);

  auto nan = rct::prepare_write(policy, rct::kOidSocMin, std::numeric_limits<double>::quiet_NaN(),
                                InputUnit::kUser);
  REQUIRE_FALSE(nan.ok());
  CHECK(nan.error().reason == RejectReason::kOutOfRange);
}

TEST_CASE("the policy refuses everything while disabled and OIDs the operator did not allow",
          "[write_validation]") {
  rct::WritePolicy off;  // the default: disabled, nothing allowed
  auto disabled = rct::prepare_write(off, rct::kOidSocMin, "20", InputUnit::kUser);
  REQUIRE_FALSE(disabled.ok());
  CHECK(disabled.error().reason == RejectReason::kWritesDisabled);

  rct::WritePolicy some{true, {rct::kOidSocMin}, {}};
  CHECK(rct::prepare_write(some, rct::kOidSocMin, "20", InputUnit::kUser).ok());
  auto other = rct::prepare_write(some, rct::kOidSocMax, "90", InputUnit::kUser);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().reason == RejectReason::kNotAllowlisted);
  CHECK(other.error().message.find("power_mng.soc_max") != std::string::npos);

  // The built-in allowlist is checked first: an unknown OID is not_allowlisted even when disabled.
  auto unknown = rct::prepare_write(off, 0x959930BF, "1", InputUnit::kUser);  // battery.soc
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().reason == RejectReason::kNotAllowlisted);

  CHECK(rct::reject_reason_name(RejectReason::kNotAllowlisted) == "not_allowlisted");
  CHECK(rct::reject_reason_name(RejectReason::kWritesDisabled) == "writes_disabled");
  CHECK(rct::reject_reason_name(RejectReason::kOutOfRange) == "out_of_range");
  CHECK(rct::reject_reason_name(RejectReason::kBadStep) == "bad_step");
  CHECK(rct::reject_reason_name(RejectReason::kBadEnum) == "bad_enum");
  CHECK(rct::reject_reason_name(RejectReason::kUnparseable) == "unparseable");
  CHECK(rct::reject_reason_name(RejectReason::kInterlock) == "interlock");
  CHECK(rct::reject_reason_name(RejectReason::kRateLimited) == "rate_limited");
}

TEST_CASE("interlocks read only what the requested value needs", "[write_validation]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  auto reads = [&](std::uint32_t oid, const char* text) {
    auto w = rct::prepare_write(policy, oid, text, InputUnit::kUser);
    REQUIRE(w.ok());
    return rct::interlock_reads(*w);
  };
  using V = std::vector<std::uint32_t>;
  CHECK(reads(rct::kOidSocStrategy, "Internal").empty());
  CHECK(reads(rct::kOidSocStrategy, "Constant") ==
        V{rct::kOidBatteryStatus, rct::kOidBatteryStatus2});
  CHECK(reads(rct::kOidSocStrategy, "External") ==
        V{rct::kOidBatteryStatus, rct::kOidBatteryStatus2, rct::kOidBatteryPowerExtern});
  CHECK(reads(rct::kOidBatteryPowerExtern, "0").empty());
  CHECK(reads(rct::kOidBatteryPowerExtern, "-500") ==
        V{rct::kOidBatteryStatus, rct::kOidBatteryStatus2, rct::kOidSocStrategy});
  CHECK(reads(rct::kOidSocMin, "20") == V{rct::kOidSocMax, rct::kOidBatterySoc, rct::kOidSocMin});
  CHECK(reads(rct::kOidSocMax, "90") == V{rct::kOidSocMin, rct::kOidSocMinIsland});
  CHECK(reads(rct::kOidSocMinIsland, "10") == V{rct::kOidSocMax});
  CHECK(reads(oid_of("power_mng.use_grid_power_enable"), "ON").empty());
}

TEST_CASE("interlocks refuse unsafe writes against the device's current values",
          "[write_validation]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  struct Row {
    int line;
    std::uint32_t oid;
    const char* text;
    std::vector<std::pair<std::uint32_t, Value>> changes;  // applied to defaults()
    bool accepted;
    const char* message_part;  // in the rejection
  };
  const Row rows[] = {
      // Strategy: refused while the battery calibrates (either phase), except for Internal;
      // bat_status 1032 / 2048 and balancing are normal operation (docs/protocol.md §14.2).
      {__LINE__, rct::kOidSocStrategy, "External", {}, true, ""},
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus2, Value(std::int32_t{8})}},
       false,
       "power_mng.soc_strategy: refused while the battery is calibrating (charge phase): "
       "battery.status2 bit 3 (8) is set"},
      {__LINE__,
       rct::kOidSocStrategy,
       "Constant",
       {{rct::kOidBatteryStatus2, Value(std::int32_t{1024 + 256})}},
       false,
       "is calibrating (discharge phase): battery.status2 bit 10 (1024) is set"},
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus, Value(std::int32_t{1032})}},
       true,
       ""},
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus, Value(std::int32_t{2048})}},
       true,
       ""},
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus, Value(std::int32_t{2048})},
        {rct::kOidBatteryStatus2, Value(std::int32_t{256})}},
       true,
       ""},
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus2, Value(std::int32_t{512})}},
       true,
       ""},
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus2, Value(std::int32_t{32})}},
       true,
       ""},
      {__LINE__,
       rct::kOidSocStrategy,
       "Internal",
       {{rct::kOidBatteryStatus2, Value(std::int32_t{8})}},
       true,
       ""},
      // A battery power other than 0 W: the same bits refuse it; 0 W always passes.
      {__LINE__,
       rct::kOidBatteryPowerExtern,
       "-3000",
       {{rct::kOidSocStrategy, Value(EnumValue{2})},
        {rct::kOidBatteryStatus2, Value(std::int32_t{8})}},
       false,
       "power_mng.battery_power_extern: refused while the battery is calibrating (charge phase): "
       "battery.status2 bit 3 (8) is set"},
      {__LINE__,
       rct::kOidBatteryPowerExtern,
       "0",
       {{rct::kOidSocStrategy, Value(EnumValue{2})},
        {rct::kOidBatteryStatus2, Value(std::int32_t{1024})}},
       true,
       ""},
      // Switching to External with a power left over would apply it at once.
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryPowerExtern, Value(1500.0f)}},
       false,
       "write it 0 first"},
      {__LINE__,
       rct::kOidSocStrategy,
       "Constant",
       {{rct::kOidBatteryPowerExtern, Value(1500.0f)}},
       true,
       ""},
      // External power only with strategy External; 0 always.
      {__LINE__, rct::kOidBatteryPowerExtern, "1000", {}, false, "Internal (4)"},
      {__LINE__,
       rct::kOidBatteryPowerExtern,
       "1000",
       {{rct::kOidSocStrategy, Value(EnumValue{2})}},
       true,
       ""},
      {__LINE__, rct::kOidBatteryPowerExtern, "0", {}, true, ""},
      // SOC window consistency.
      {__LINE__,
       rct::kOidSocMin,
       "50",
       {{rct::kOidSocMax, Value(0.4f)}},
       false,
       "above power_mng.soc_max 40 %"},
      {__LINE__, rct::kOidSocMin, "40", {{rct::kOidSocMax, Value(0.4f)}}, true, ""},
      {__LINE__,
       rct::kOidSocMinIsland,
       "50",
       {{rct::kOidSocMax, Value(0.4f)}},
       false,
       "above power_mng.soc_max"},
      {__LINE__,
       rct::kOidSocMax,
       "50",
       {{rct::kOidSocMin, Value(0.6f)}},
       false,
       "below power_mng.soc_min 60 %"},
      {__LINE__,
       rct::kOidSocMax,
       "50",
       {{rct::kOidSocMinIsland, Value(0.55f)}},
       false,
       "below power_mng.soc_min_island 55 %"},
      {__LINE__, rct::kOidSocMax, "60", {{rct::kOidSocMin, Value(0.6f)}}, true, ""},
      // Raising soc_min above the SOC would charge the battery (from the grid if need be).
      {__LINE__, rct::kOidSocMin, "70", {}, false, "above the battery SOC 60 %"},
      {__LINE__, rct::kOidSocMin, "60", {}, true, ""},
      {__LINE__, rct::kOidSocMin, "70", {{rct::kOidSocMin, Value(0.8f)}}, true, ""},  // lowering
      // A value the interlock needs could not be read: refused.
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus, Value(std::string("x"))}},
       false,
       "battery.bat_status could not be read"},
      {__LINE__,
       rct::kOidSocStrategy,
       "External",
       {{rct::kOidBatteryStatus2, Value(8.0f)}},
       false,
       "battery.status2 could not be read"},
      {__LINE__,
       rct::kOidSocMin,
       "20",
       {{rct::kOidSocMax, Value(std::numeric_limits<float>::quiet_NaN())}},
       false,
       "power_mng.soc_max could not be read"},
  };
  for (const Row& row : rows) {
    INFO("write_validation_test.cpp:" << row.line << " '" << row.text << "'");
    CurrentValues current = defaults();
    for (const auto& [oid, v] : row.changes) current[oid] = v;
    auto r = rct::validate_write(policy, row.oid, row.text, InputUnit::kUser, current);
    if (row.accepted) {
      CHECK(r.ok());
      continue;
    }
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason == RejectReason::kInterlock);
    INFO(r.error().message);
    CHECK(r.error().message.find(row.message_part) != std::string::npos);
  }
}

TEST_CASE("the battery bits policy blocks exactly the bits it names", "[write_validation]") {
  rct::WritePolicy policy = rct::allow_every_writable();
  auto verdict = [&](std::int32_t bat_status, std::int32_t status2) {
    CurrentValues current = defaults();
    current[rct::kOidBatteryStatus] = Value(bat_status);
    current[rct::kOidBatteryStatus2] = Value(status2);
    auto r =
        rct::validate_write(policy, rct::kOidSocStrategy, "External", InputUnit::kUser, current);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  // The default: calibration only.
  CHECK(verdict(0, 8).find("status2 bit 3 (8)") != std::string::npos);
  CHECK(verdict(2048, 256 + 512) == "ok");
  CHECK(verdict(1 << 20, 1 << 5) == "ok");

  // Balancing and unknown bits blocked on request; calibration no longer.
  const std::vector<std::string> names = {"balancing"};
  policy.battery = rct::battery_block_policy(names, true);
  CHECK(verdict(0, 8) == "ok");
  CHECK(verdict(1032, 0) == "ok");
  CHECK(verdict(2048, 0) ==
        "power_mng.soc_strategy: refused while the battery is balancing its cells: "
        "battery.bat_status bit 11 (2048) is set");
  CHECK(verdict(0, 256).find("battery.status2 bit 8 (256) is set") != std::string::npos);
  CHECK(verdict(0, 32) ==
        "power_mng.soc_strategy: refused while the battery reports an unknown status bit: "
        "battery.status2 bit 5 (32) is set");
  CHECK(verdict(1 << 20, 0).find("battery.bat_status bit 20 (1048576)") != std::string::npos);

  // Nothing blocked at all: every status passes, but the words must still be readable.
  policy.battery = rct::battery_block_policy({}, false);
  CHECK(verdict(-1, -1) == "ok");
  CurrentValues without = defaults();
  without.erase(rct::kOidBatteryStatus2);
  CHECK_FALSE(
      rct::validate_write(policy, rct::kOidSocStrategy, "External", InputUnit::kUser, without)
          .ok());
}

TEST_CASE("a missing interlock value refuses the write", "[write_validation]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  for (std::uint32_t missing :
       {rct::kOidBatteryStatus, rct::kOidBatteryStatus2, rct::kOidBatteryPowerExtern}) {
    CurrentValues current = defaults();
    current.erase(missing);
    auto r =
        rct::validate_write(policy, rct::kOidSocStrategy, "External", InputUnit::kUser, current);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().reason == RejectReason::kInterlock);
    CHECK(r.error().message.find("could not be read") != std::string::npos);
  }
  // The same request with everything present passes: the refusals above came from the gap.
  CHECK(rct::validate_write(policy, rct::kOidSocStrategy, "External", InputUnit::kUser, defaults())
            .ok());
}

TEST_CASE("a read-back matches within float32 noise and never across a step",
          "[write_validation]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  auto soc_min = rct::prepare_write(policy, rct::kOidSocMin, "20", InputUnit::kUser);
  REQUIRE(soc_min.ok());
  CHECK(rct::readback_matches(*soc_min, Value(0.2f)));
  float near = 0.2f;
  for (int i = 0; i < 4; ++i) near = std::nextafter(near, 1.0f);
  CHECK(rct::readback_matches(*soc_min, Value(near)));
  CHECK_FALSE(rct::readback_matches(*soc_min, Value(0.07f)));
  CHECK_FALSE(rct::readback_matches(*soc_min, Value(0.201f)));
  CHECK_FALSE(rct::readback_matches(*soc_min, Value(std::numeric_limits<float>::quiet_NaN())));
  CHECK_FALSE(rct::readback_matches(*soc_min, Value(std::int32_t{0})));

  auto power = rct::prepare_write(policy, rct::kOidBatteryPowerExtern, "-6000", InputUnit::kUser);
  REQUIRE(power.ok());
  CHECK(rct::readback_matches(*power, Value(std::nextafter(-6000.0f, 0.0f))));
  CHECK_FALSE(rct::readback_matches(*power, Value(-5999.0f)));

  auto strategy = rct::prepare_write(policy, rct::kOidSocStrategy, "External", InputUnit::kUser);
  REQUIRE(strategy.ok());
  CHECK(rct::readback_matches(*strategy, Value(EnumValue{2})));
  CHECK_FALSE(rct::readback_matches(*strategy, Value(EnumValue{4})));
  CHECK_FALSE(rct::readback_matches(*strategy, Value(std::uint8_t{2})));
}

TEST_CASE("device values are shown in the user unit of their entry", "[write_validation]") {
  const auto& soc_min = *rct::find_writable(rct::kOidSocMin);
  CHECK(rct::user_text(soc_min, Value(0.07f)) == "7");
  CHECK(rct::user_text(soc_min, Value(0.075f)) == "7.5");
  CHECK(rct::user_value(soc_min, Value(0.5f)) == Approx(50.0));
  const auto& strategy = *rct::find_writable(rct::kOidSocStrategy);
  CHECK(rct::user_text(strategy, Value(EnumValue{2})) == "External");
  CHECK(rct::user_text(strategy, Value(EnumValue{9})) == "9");
  const auto& grid = *rct::find_writable(std::string_view("power_mng.use_grid_power_enable"));
  CHECK(rct::user_text(grid, Value(true)) == "ON");
  CHECK(rct::user_text(grid, Value(false)) == "OFF");
  const auto& power = *rct::find_writable(rct::kOidBatteryPowerExtern);
  CHECK(rct::user_text(power, Value(-1500.0f)) == "-1500");
  CHECK(rct::user_text(power, Value(0.0f)) == "0");
  CHECK(rct::user_text(power, Value(std::string("x"))) == "?");
  CHECK_FALSE(rct::user_value(power, Value(std::string("x"))).has_value());
}
