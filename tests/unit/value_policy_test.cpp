#include "daemon/value_policy.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/registry.h"
#include "daemon/poll_list.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::Value;
using rct::daemon::Instant;
using rct::daemon::PollItem;
using rct::daemon::Publication;
using rct::daemon::Rejection;
using rct::daemon::ValuePolicy;

namespace {

const Instant kT0 = Instant{} + 5000h;

// The default poll list with all hardware present: items as the daemon has them.
const std::vector<PollItem>& default_items() {
  static const std::vector<PollItem> items = [] {
    rct::daemon::Inventory inv;
    inv.pv_input_a = inv.pv_input_b = inv.power_switch = true;
    inv.battery_type = 3;
    inv.serial = "0123456789";
    return rct::daemon::build_poll_list(rct::Config{}, rct::Registry{}, inv);
  }();
  return items;
}

const PollItem& item(std::uint32_t oid) {
  for (const PollItem& i : default_items()) {
    if (i.oid == oid) return i;
  }
  FAIL("no item " << oid);
  throw std::logic_error("unreachable");
}

std::map<std::string, std::string> as_map(const std::vector<Publication>& pubs) {
  std::map<std::string, std::string> m;
  for (const Publication& p : pubs) m[p.key] = p.payload;
  return m;
}

std::optional<std::string> payload_of(const std::vector<Publication>& pubs, std::string_view key) {
  for (const Publication& p : pubs) {
    if (p.key == key) return p.payload;
  }
  return std::nullopt;
}

constexpr std::uint32_t kGridImportTotal = 0x62FBE7DC;
constexpr std::uint32_t kGridExportTotal = 0x44D4C533;
constexpr std::uint32_t kGridImportDay = 0x867DEF7D;
constexpr std::uint32_t kGridPower = 0x91617C58;
constexpr std::uint32_t kBatteryPower = 0x400F015B;
constexpr std::uint32_t kSoc = 0x959930BF;
constexpr std::uint32_t kInverterState = 0x5F33284E;

}  // namespace

TEST_CASE("a lifetime counter never goes down: not on a reset to 0, an absurd value or a restart",
          "[value_policy]") {
  ValuePolicy p;
  const PollItem& total = item(kGridImportTotal);
  std::vector<double> published;  // every value that reached MQTT, in order
  Instant t = kT0;
  const auto feed = [&](float v) {
    t += 60s;
    const auto out = p.on_reading(total, Value{v}, t);
    for (const Publication& pub : out) {
      REQUIRE(pub.key == "energy/grid_import_total");
      published.push_back(std::get<double>(pub.value));
    }
    return out;
  };

  CHECK(feed(1000.0f).empty());  // no baseline yet: held until confirmed
  CHECK(p.rejected(Rejection::kUnconfirmed) == 1);
  CHECK(payload_of(feed(1000.5f), "energy/grid_import_total") == "1000.5");
  CHECK(feed(0.0f).empty());
  CHECK(p.rejected(Rejection::kCounterZero) == 1);
  CHECK(feed(900.0f).empty());
  CHECK(feed(900.0f).empty());
  CHECK(feed(900.0f).empty());
  CHECK(p.rejected(Rejection::kCounterDecrease) == 3);
  CHECK(p.consecutive_decreases(kGridImportTotal) == 3);
  CHECK(feed(1e9f).empty());  // 1 GWh in a minute: impossible
  CHECK(feed(1e9f).empty());  // and it stays impossible, however often it is repeated
  CHECK(p.rejected(Rejection::kCounterJump) == 2);
  CHECK(feed(std::numeric_limits<float>::quiet_NaN()).empty());
  CHECK(feed(std::numeric_limits<float>::infinity()).empty());
  CHECK(p.rejected(Rejection::kNotFinite) == 2);
  CHECK(feed(-5.0f).empty());
  CHECK(feed(2e10f).empty());
  CHECK(p.rejected(Rejection::kOutOfRange) == 2);
  CHECK(payload_of(feed(1001.0f), "energy/grid_import_total") == "1001");
  CHECK(p.consecutive_decreases(kGridImportTotal) == 0);
  CHECK(p.totals() == rct::daemon::CounterTotals{{kGridImportTotal, 1001.0}});
  CHECK(p.totals_changed());
  p.mark_saved();
  CHECK_FALSE(p.totals_changed());

  // Restart with the persisted totals.
  ValuePolicy q({}, p.totals());
  const auto feed_q = [&](float v) {
    t += 60s;
    const auto out = q.on_reading(total, Value{v}, t);
    for (const Publication& pub : out) published.push_back(std::get<double>(pub.value));
    return out;
  };
  CHECK(feed_q(500.0f).empty());  // below the persisted total
  CHECK(q.rejected(Rejection::kCounterDecrease) == 1);
  CHECK(payload_of(feed_q(1001.0f), "energy/grid_import_total") == "1001");  // at once
  // Another restart after a longer pause: a bigger increase needs one confirming reading,
  // and a single absurd value in between confirms nothing.
  ValuePolicy r({}, q.totals());
  const auto feed_r = [&](float v) {
    t += 60s;
    const auto out = r.on_reading(total, Value{v}, t);
    for (const Publication& pub : out) published.push_back(std::get<double>(pub.value));
    return out;
  };
  CHECK(feed_r(1500.0f).empty());
  CHECK(feed_r(1e8f).empty());
  CHECK(feed_r(1502.0f).empty());
  CHECK(payload_of(feed_r(1503.0f), "energy/grid_import_total") == "1503");
  CHECK(r.rejected(Rejection::kUnconfirmed) == 3);

  REQUIRE(published.size() == 4);
  CHECK(std::is_sorted(published.begin(), published.end()));
  CHECK(std::none_of(published.begin(), published.end(), [](double v) { return v <= 0; }));
}

TEST_CASE(
    "a lifetime counter that never left 0 is published as 0 after three zero readings in "
    "a row, and never again once it counted",
    "[value_policy]") {
  ValuePolicy p;
  const PollItem& total = item(kGridImportTotal);
  Instant t = kT0;
  const auto feed = [&](float v) {
    t += 60s;
    return payload_of(p.on_reading(total, Value{v}, t), "energy/grid_import_total");
  };

  CHECK_FALSE(feed(0.0f));
  CHECK_FALSE(feed(0.0f));
  CHECK(p.rejected(Rejection::kCounterZero) == 2);
  CHECK(feed(0.0f) == "0");  // the third in a row: a counter that never moved
  CHECK(p.rejected(Rejection::kCounterZero) == 2);
  CHECK_FALSE(feed(0.0f));  // unchanged: only the heartbeat repeats it
  CHECK(p.rejected(Rejection::kCounterZero) == 2);
  CHECK(p.totals().empty());  // a zero is no total worth keeping

  // The counter starts counting: its first total is confirmed like any first reading (the
  // accepted zeros are no baseline that would make it an absurd jump).
  CHECK_FALSE(feed(5000.0f));
  CHECK(feed(5001.0f) == "5001");
  CHECK(p.totals() == rct::daemon::CounterTotals{{kGridImportTotal, 5001.0}});
  // From now on 0 is a glitch, however often it comes.
  for (int i = 0; i < 5; ++i) CHECK_FALSE(feed(0.0f));
  CHECK(p.rejected(Rejection::kCounterZero) == 7);
  CHECK(feed(5002.0f) == "5002");
}

TEST_CASE("a glitch zero on a fresh install is not published when a real total follows",
          "[value_policy]") {
  const PollItem& total = item(kGridImportTotal);
  // No state file: nothing was ever accepted. Zeros fewer than three in a row, then the real
  // total: only the real total reaches MQTT.
  for (int zeros = 1; zeros < rct::daemon::kZeroReadingsForGenuineZero; ++zeros) {
    ValuePolicy p;
    Instant t = kT0;
    std::vector<std::string> published;
    const auto feed = [&](float v) {
      t += 60s;
      for (const Publication& pub : p.on_reading(total, Value{v}, t)) {
        published.push_back(pub.payload);
      }
    };
    for (int i = 0; i < zeros; ++i) feed(0.0f);
    feed(123456.0f);
    feed(0.0f);  // and one more glitch between the real totals
    feed(123457.0f);
    feed(0.0f);
    feed(0.0f);
    feed(0.0f);  // three in a row, but the counter has counted: still a glitch
    INFO(zeros << " zero(s) first");
    CHECK(published == std::vector<std::string>{"123457"});
    CHECK(p.rejected(Rejection::kCounterZero) == static_cast<std::uint64_t>(zeros) + 4);
  }
}

TEST_CASE(
    "a lifetime counter that showed a plausible nonzero reading, or whose zeros are not in a "
    "row, is not published as 0",
    "[value_policy]") {
  const PollItem& total = item(kGridImportTotal);
  Instant t = kT0;
  {
    // A real total read once (held unconfirmed), then only zeros: the counter counts, the zeros
    // are glitches, however many.
    ValuePolicy p;
    const auto feed = [&](float v) {
      t += 60s;
      return p.on_reading(total, Value{v}, t);
    };
    CHECK(feed(5000.0f).empty());
    for (int i = 0; i < 6; ++i) CHECK(feed(0.0f).empty());
    CHECK(p.rejected(Rejection::kCounterZero) == 6);
  }
  {
    // Implausible readings between the zeros: not three zeros in a row.
    ValuePolicy p;
    const auto feed = [&](float v) {
      t += 60s;
      return p.on_reading(total, Value{v}, t);
    };
    for (int i = 0; i < 3; ++i) {
      CHECK(feed(0.0f).empty());
      CHECK(feed(0.0f).empty());
      CHECK(feed(std::numeric_limits<float>::quiet_NaN()).empty());
      CHECK(feed(2e10f).empty());  // out of range
    }
    CHECK(p.rejected(Rejection::kCounterZero) == 6);
    CHECK(payload_of(feed(0.0f), "energy/grid_import_total") == std::nullopt);
    CHECK(payload_of(feed(0.0f), "energy/grid_import_total") == std::nullopt);
    CHECK(payload_of(feed(0.0f), "energy/grid_import_total") == "0");  // now three in a row
  }
}

TEST_CASE("a lifetime counter with a persisted total never publishes 0 after a restart",
          "[value_policy]") {
  const PollItem& total = item(kGridImportTotal);
  ValuePolicy p({}, rct::daemon::CounterTotals{{kGridImportTotal, 42.0}});
  Instant t = kT0;
  for (int i = 0; i < 2 * rct::daemon::kZeroReadingsForGenuineZero; ++i) {
    t += 60s;
    CHECK(p.on_reading(total, Value{0.0f}, t).empty());
  }
  CHECK(p.rejected(Rejection::kCounterZero) ==
        static_cast<std::uint64_t>(2 * rct::daemon::kZeroReadingsForGenuineZero));
}

TEST_CASE("periodic counters drop only to a value counted since the period boundary",
          "[value_policy]") {
  ValuePolicy p;
  const PollItem& day = item(kGridImportDay);
  Instant t = kT0;
  const auto feed = [&](float v) {
    t += 60s;
    return payload_of(p.on_reading(day, Value{v}, t), "energy/grid_import_day");
  };
  CHECK_FALSE(feed(5000.0f));
  CHECK(feed(5010.0f) == "5010");
  CHECK_FALSE(feed(4000.0f));  // a drop to a value that cannot be new since midnight
  CHECK(p.rejected(Rejection::kCounterDecrease) == 1);
  CHECK(feed(3.0f) == "3");  // midnight
  CHECK(feed(10.0f) == "10");
  CHECK_FALSE(feed(9000.0f));  // +9 kWh in a minute
  CHECK(p.rejected(Rejection::kCounterJump) == 1);
  CHECK(feed(0.0f) == "0");   // 0 is a valid periodic value (a boundary)
  CHECK(p.totals().empty());  // only lifetime totals are persisted
}

TEST_CASE("feed-in counters are published as absolute values", "[value_policy]") {
  ValuePolicy p;
  const PollItem& total = item(kGridExportTotal);
  CHECK(p.on_reading(total, Value{-2500.0f}, kT0).empty());
  const auto out = p.on_reading(total, Value{-2500.25f}, kT0 + 60s);
  CHECK(payload_of(out, "energy/grid_export_total") == "2500.25");
  CHECK(p.totals().at(kGridExportTotal) == 2500.25);
  CHECK(p.on_reading(total, Value{-2400.0f}, kT0 + 120s).empty());  // |x| went down
}

TEST_CASE("NaN, infinities, absurd magnitudes and wrong types are never published",
          "[value_policy]") {
  ValuePolicy p;
  const PollItem& grid = item(kGridPower);
  CHECK(p.on_reading(grid, Value{std::numeric_limits<float>::quiet_NaN()}, kT0).empty());
  CHECK(p.on_reading(grid, Value{-std::numeric_limits<float>::infinity()}, kT0).empty());
  CHECK(p.on_reading(grid, Value{150000.0f}, kT0).empty());  // 150 kW
  CHECK(p.on_reading(grid, Value{std::string("x")}, kT0).empty());
  CHECK(p.on_reading(grid, Value{std::uint8_t{3}}, kT0).size() == 3);  // integers are numbers
  CHECK(p.rejected(Rejection::kNotFinite) == 2);  // once per reading, not per sensor
  CHECK(p.rejected(Rejection::kOutOfRange) == 1);
  CHECK(p.rejected(Rejection::kWrongType) == 1);
  CHECK(p.rejected_total() == 4);
  CHECK(p.on_reading(item(kSoc), Value{1.5f}, kT0).empty());        // SOC is a 0..1 fraction
  CHECK(p.on_reading(item(0x701A0482), Value{1.0f}, kT0).empty());  // a flag needs a BOOL
}

TEST_CASE("values are scaled, split and rendered as Home Assistant expects", "[value_policy]") {
  ValuePolicy p;
  auto out = as_map(p.on_reading(item(kSoc), Value{0.296f}, kT0));
  CHECK(out.at("battery/soc") == "29.6");

  out = as_map(p.on_reading(item(kBatteryPower), Value{-1500.5f}, kT0));
  CHECK(out.at("battery/power") == "-1500.5");
  CHECK(out.at("battery/charge_power") == "1500.5");
  CHECK(out.at("battery/discharge_power") == "0");

  out = as_map(p.on_reading(item(kGridPower), Value{-0.0f}, kT0));
  CHECK(out.at("grid/power") == "0");
  CHECK(out.at("grid/import_power") == "0");
  CHECK(out.at("grid/export_power") == "0");

  out = as_map(p.on_reading(item(kInverterState), Value{rct::EnumValue{13}}, kT0));
  CHECK(out.at("inverter/state") == "Feed-in");
  out = as_map(p.on_reading(item(kInverterState), Value{rct::EnumValue{200}}, kT0 + 10s));
  CHECK(out.at("inverter/state") == "200");  // not in the table: the number

  out = as_map(p.on_reading(item(0x682CDDA1), Value{rct::EnumValue{3}}, kT0));
  CHECK(out.at("battery/type") == "Li-ion RCT Power");
  out = as_map(p.on_reading(item(0x701A0482), Value{true}, kT0));
  CHECK(out.at("pv/a/connected") == "ON");
  out = as_map(p.on_reading(item(0x701A0482), Value{false}, kT0 + 1s));
  CHECK(out.at("pv/a/connected") == "OFF");
  out = as_map(p.on_reading(item(0x37F9D5CA), Value{std::uint32_t{0x80000001}}, kT0));
  CHECK(out.at("inverter/fault_0") == "2147483649");
  out = as_map(p.on_reading(item(0xDDD1C2D0), Value{std::string("RCT Power 3.0.5662")}, kT0));
  CHECK(out.at("inverter/firmware") == "RCT Power 3.0.5662");
  out = as_map(p.on_reading(item(0x27650FE2), Value{std::uint32_t{5126}}, kT0));
  CHECK(out.at("power_switch/firmware") == "5126");

  // battery.cycles is an INT32 lifetime counter: integer text.
  CHECK(p.on_reading(item(0xC0DF2978), Value{std::int32_t{150}}, kT0).empty());
  const auto cycles = p.on_reading(item(0xC0DF2978), Value{std::int32_t{150}}, kT0 + 60s);
  REQUIRE(cycles.size() == 1);
  CHECK(cycles[0].payload == "150");
  CHECK(std::get<std::int64_t>(cycles[0].value) == 150);
}

TEST_CASE("changes within the deadband wait for the heartbeat", "[value_policy]") {
  ValuePolicy p({300s});
  const PollItem& grid = item(kGridPower);  // deadband 1 W
  auto out = as_map(p.on_reading(grid, Value{1000.0f}, kT0));
  CHECK(out.size() == 3);
  out = as_map(p.on_reading(grid, Value{1000.5f}, kT0 + 10s));
  CHECK(out.empty());
  out = as_map(p.on_reading(grid, Value{1001.5f}, kT0 + 20s));  // 1.5 W from the last published
  CHECK(out.at("grid/power") == "1001.5");
  CHECK(out.at("grid/import_power") == "1001.5");
  CHECK(out.count("grid/export_power") == 0);  // still 0
  out = as_map(p.on_reading(grid, Value{1001.5f}, kT0 + 299s));
  CHECK(out.empty());
  out = as_map(p.on_reading(grid, Value{1001.5f}, kT0 + 300s));
  CHECK(out.size() == 1);  // the export sensor's heartbeat (last published at kT0)
  CHECK(out.at("grid/export_power") == "0");
  out = as_map(p.on_reading(grid, Value{1001.5f}, kT0 + 320s));
  CHECK(out.size() == 2);  // grid and import: last published at 20 s

  // Text: on change or heartbeat only.
  const PollItem& state = item(kInverterState);
  CHECK(p.on_reading(state, Value{rct::EnumValue{13}}, kT0).size() == 1);
  CHECK(p.on_reading(state, Value{rct::EnumValue{13}}, kT0 + 60s).empty());
  CHECK(p.on_reading(state, Value{rct::EnumValue{11}}, kT0 + 120s).size() == 1);
  CHECK(p.on_reading(state, Value{rct::EnumValue{11}}, kT0 + 420s).size() == 1);

  // A zero deadband publishes every change.
  const PollItem& soc = item(kSoc);
  CHECK(p.on_reading(soc, Value{0.5f}, kT0).size() == 1);
  CHECK(p.on_reading(soc, Value{0.5f}, kT0 + 10s).empty());
  CHECK(p.on_reading(soc, Value{0.501f}, kT0 + 20s).size() == 1);

  // current(): the last published value of every key, for a republish after reconnect.
  const auto all = as_map(p.current());
  CHECK(all.at("grid/power") == "1001.5");
  CHECK(all.at("inverter/state") == "Battery passive");
  CHECK(all.at("battery/soc") == "50.1");
}

TEST_CASE("numbers are formatted without float noise or exponents", "[value_policy]") {
  CHECK(rct::payload_number(static_cast<double>(0.296f) * 100, true) == "29.6");
  CHECK(rct::payload_number(-0.0, true) == "0");
  CHECK(rct::payload_number(1e10, true) == "10000000000");
  CHECK(rct::payload_number(1234.5, true) == "1234.5");
  CHECK(rct::payload_number(0.1, false) == "0.1");
  CHECK(rct::payload_number(123456.789, false) == "123456.789");
  CHECK(rct::payload_number(0.00001, false) == "0.00001");
  CHECK(rct::daemon::format_integer(-42) == "-42");
}
