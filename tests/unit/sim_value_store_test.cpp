#include <set>
#include <string>

#include "core/data_type.h"
#include "core/hex.h"
#include "core/layout_override.h"
#include "core/logger_codec.h"
#include "core/registry.h"
#include "core/value_codec.h"
#include "tests/support/catch.h"
#include "tests/support/test_registry.h"
#include "tools/simulator/battery_towers.h"
#include "tools/simulator/calendar.h"
#include "tools/simulator/device_defaults.h"
#include "tools/simulator/house_bindings.h"
#include "tools/simulator/logger_history.h"
#include "tools/simulator/value_store.h"

using rct::DataType;
using rct::sim::LoggerHistory;
using rct::sim::ValueStore;

namespace {

// 2024-06-21 14:30 device time.
constexpr std::int64_t kStart = 19895LL * 86400 + 14 * 3600 + 1800;
constexpr std::size_t kPage = 24;

float as_float(const std::vector<std::uint8_t>& payload) {
  auto v = rct::decode_value(DataType::kFloat, payload);
  REQUIRE(v.ok());
  return std::get<float>(*v);
}

std::uint32_t oid_of(std::string_view name) {
  const rct::OidInfo* info = rct::test::test_registry().find(name);
  REQUIRE(info != nullptr);
  return info->id;
}

std::vector<std::uint8_t> be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// The type the device sends: a layout override's (core/layout_override.h) for the second battery
// tower's module OIDs, which the registry types as strings; else the registry type.
DataType device_type(const rct::OidInfo& info) {
  const rct::LayoutOverride* o = rct::find_layout_override(info.name);
  return o != nullptr ? o->layout : info.response_type;
}

}  // namespace

TEST_CASE("every house binding names a registry OID and yields a value of its type",
          "[sim_store]") {
  const rct::sim::HouseModel model(1, kStart);
  std::set<std::string_view> seen;
  for (const rct::sim::HouseBinding& b : rct::sim::house_bindings()) {
    INFO(b.name);
    CHECK(seen.insert(b.name).second);
    const rct::OidInfo* info = rct::test::test_registry().find(b.name);
    REQUIRE(info != nullptr);
    auto payload = rct::encode_value(device_type(*info), b.get(model.state()));
    REQUIRE(payload.ok());
    CHECK(rct::payload_size_fits(device_type(*info), payload->size()));
  }
}

TEST_CASE("every device default has the type of its OID", "[sim_store]") {
  std::size_t with_default = 0;
  for (const rct::OidInfo& info : rct::test::test_registry().all()) {
    std::optional<rct::Value> v = rct::sim::device_default(info.name, 1);
    if (!v) continue;
    ++with_default;
    INFO(info.name);
    CHECK(rct::encode_value(device_type(info), *v).ok());
  }
  CHECK(with_default > 60);
}

TEST_CASE("the value store answers every registry OID with a payload that fits its type",
          "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  for (const rct::OidInfo& info : rct::test::test_registry().all()) {
    INFO(rct::format_oid(info.id) << " " << info.name);
    auto payload = store.read(info.id, kStart);
    REQUIRE(payload.has_value());
    const DataType type = device_type(info);
    CHECK(rct::payload_size_fits(type, payload->size()));
    if (type == DataType::kString) CHECK(payload->size() >= 64);
    // What a client decodes it as (core/layout_override.h).
    CHECK(rct::decode_type(info, payload->size()) == type);
    CHECK(rct::decode_value(type, *payload).ok());
  }
  CHECK_FALSE(store.read(0x01020304, kStart).has_value());  // not in the registry: silent
}

TEST_CASE("the value store shows identity, inventory and model values as the device does",
          "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  auto description = store.read(oid_of("android_description"), kStart);
  REQUIRE(description);
  CHECK(description->size() == 64);
  CHECK(std::string(description->begin(), description->begin() + 11) == "PS 6.0 BA3L");
  CHECK((*description)[11] == 0);
  auto sn = rct::decode_value(DataType::kString, *store.read(oid_of("inverter_sn"), kStart));
  CHECK(std::get<std::string>(*sn).size() >= 10);
  CHECK(store.read(oid_of("dc_conv.dc_conv_struct[0].enabled"), kStart) ==
        std::vector<std::uint8_t>{1});
  CHECK(store.read(oid_of("dc_conv.dc_conv_struct[1].enabled"), kStart) ==
        std::vector<std::uint8_t>{1});
  CHECK(store.read(oid_of("rb485.available"), kStart) == std::vector<std::uint8_t>{0});
  CHECK(store.read(oid_of("power_mng.n_batteries"), kStart) == std::vector<std::uint8_t>{1});

  const float soc = as_float(*store.read(oid_of("battery.soc"), kStart));
  CHECK(soc >= 0.0f);
  CHECK(soc <= 1.0f);
  CHECK(as_float(*store.read(oid_of("energy.e_grid_feed_total"), kStart)) < 0.0f);
  const float load_total = as_float(*store.read(oid_of("energy.e_load_total"), kStart));
  const float later = as_float(*store.read(oid_of("energy.e_load_total"), kStart + 3600));
  CHECK(later > load_total);
  // Grid balance as the OIDs show it.
  const std::int64_t t = kStart + 3600;
  const float grid = as_float(*store.read(oid_of("g_sync.p_ac_grid_sum_lp"), t));
  const float load = as_float(*store.read(oid_of("g_sync.p_ac_load_sum_lp"), t));
  const float ac = as_float(*store.read(oid_of("g_sync.p_ac_sum_lp"), t));
  CHECK(grid == Approx(load - ac).margin(0.01));
  auto cells =
      rct::decode_value(DataType::kBatteryModuleStatus, *store.read(oid_of("battery.cells[0]"), t));
  REQUIRE(cells.ok());
  const auto& status = std::get<rct::BatteryModuleStatus>(*cells);
  CHECK(status.cells[0].voltage_mv > 3000);
  CHECK(status.cells[0].voltage_mv < 3500);
}

TEST_CASE("the simulated battery has a weak cell, an empty slot and a cold second tower",
          "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  auto status_of = [&](std::string_view name) {
    const rct::OidInfo* info = rct::test::test_registry().find(name);
    REQUIRE(info != nullptr);
    const auto payload = *store.read(info->id, kStart);
    auto v = rct::decode_value(rct::decode_type(*info, payload.size()), payload);
    REQUIRE(v.ok());
    REQUIRE(std::holds_alternative<rct::BatteryModuleStatus>(*v));
    return std::get<rct::BatteryModuleStatus>(*v);
  };
  const auto weak_module = status_of("battery.cells[1]");
  const auto weak = weak_module.cells[rct::sim::kWeakCell].voltage_mv;
  for (std::size_t i = 0; i < rct::kBatteryCells; ++i) {
    if (i != rct::sim::kWeakCell) CHECK(weak_module.cells[i].voltage_mv > weak + 30);
  }
  const auto cold = status_of("battery_placeholder[0].cells[0]");
  CHECK(cold.cells[0].voltage_mv > 3000);
  CHECK(cold.cells[0].temperature_c < 0);
  const auto empty = status_of("battery_placeholder[0].cells[1]");
  for (const rct::CellStatus& c : empty.cells) CHECK(c.voltage_mv == 0);
  CHECK(status_of("battery_placeholder[0].cells[2]").cells[5].voltage_mv > 3000);
  CHECK(status_of("battery.cells[3]").cells[0].voltage_mv == 0);  // no module in slot 4
}

TEST_CASE("a WRITE is stored for settings and refused for measurements", "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  const std::uint32_t strategy = oid_of("power_mng.soc_strategy");
  CHECK(store.read(strategy, kStart) == std::vector<std::uint8_t>{4});
  CHECK(store.write(strategy, std::vector<std::uint8_t>{2}, kStart).result ==
        ValueStore::WriteResult::kStored);
  CHECK(store.read(strategy, kStart + 1) == std::vector<std::uint8_t>{2});
  CHECK(store.write(strategy, std::vector<std::uint8_t>{2, 0}, kStart).result ==
        ValueStore::WriteResult::kWrongSize);
  CHECK(store.write(oid_of("battery.soc"), be32(0x3f000000), kStart).result ==
        ValueStore::WriteResult::kReadOnly);
  CHECK(store.write(0x01020304, be32(1), kStart).result == ValueStore::WriteResult::kUnknownOid);

  const std::uint32_t name = oid_of("android_description");
  const std::vector<std::uint8_t> text{'G', 'a', 'r', 'a', 'g', 'e'};
  CHECK(store.write(name, text, kStart).result == ValueStore::WriteResult::kStored);
  auto back = rct::decode_value(DataType::kString, *store.read(name, kStart));
  CHECK(std::get<std::string>(*back) == "Garage");
  CHECK(store.write(name, std::vector<std::uint8_t>(65, 'x'), kStart).result ==
        ValueStore::WriteResult::kWrongSize);

  // External strategy with a charge power: the model follows the written setting.
  CHECK(store.write(oid_of("power_mng.battery_power_extern"), be32(0xC4BB8000), kStart).result ==
        ValueStore::WriteResult::kStored);  // -1500.0 W
  const float battery = as_float(*store.read(oid_of("g_sync.p_acc_lp"), kStart + 600));
  CHECK(battery == Approx(-1500.0f));
}

TEST_CASE("a reboot reverts written settings to their defaults; measurements carry on",
          "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  const std::uint32_t strategy = oid_of("power_mng.soc_strategy");
  const std::uint32_t soc_max = oid_of("power_mng.soc_max");
  const std::uint32_t name = oid_of("android_description");
  const auto name_before = *store.read(name, kStart);
  REQUIRE(store.write(strategy, std::vector<std::uint8_t>{2}, kStart).result ==
          ValueStore::WriteResult::kStored);
  REQUIRE(store.write(soc_max, be32(0x3f4ccccd), kStart).result ==
          ValueStore::WriteResult::kStored);  // 0.8
  REQUIRE(store.write(name, std::vector<std::uint8_t>{'X'}, kStart).result ==
          ValueStore::WriteResult::kStored);
  CHECK(as_float(*store.read(soc_max, kStart + 1)) == 0.8f);
  const auto counter = oid_of("energy.e_load_total");
  const float energy_before = as_float(*store.read(counter, kStart + 60));

  store.reset_settings(kStart + 60);
  CHECK(store.read(strategy, kStart + 61) == std::vector<std::uint8_t>{4});
  CHECK(as_float(*store.read(soc_max, kStart + 61)) == 0.97f);
  CHECK(*store.read(name, kStart + 61) == name_before);
  // The model was not reset: lifetime counters keep rising.
  CHECK(as_float(*store.read(counter, kStart + 600)) > energy_before);
}

TEST_CASE("time-series queries page backwards through samples at or before T", "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  const std::uint32_t soc_series = oid_of("logger.minutes_soc_log_ts");
  std::uint32_t t = static_cast<std::uint32_t>(kStart);
  std::set<std::uint32_t> seen;
  std::uint32_t previous_oldest = t + 1;
  for (int page = 0; page < 5; ++page) {
    INFO("page " << page << " T " << t);
    auto out = store.write(soc_series, be32(t), kStart);
    REQUIRE(out.result == ValueStore::WriteResult::kAnswered);
    REQUIRE(rct::payload_size_fits(DataType::kTimeSeries, out.answer.size()));
    const rct::TimeSeries ts = rct::decode_timeseries(out.answer);
    CHECK(ts.query_timestamp == t);
    REQUIRE(ts.points.size() == kPage);
    for (std::size_t i = 0; i < ts.points.size(); ++i) {
      CHECK(ts.points[i].timestamp <= t);
      CHECK(ts.points[i].timestamp % 300 == 0);
      CHECK(ts.points[i].value >= 0.0f);
      CHECK(ts.points[i].value <= 1.0f);
      if (i > 0) CHECK(ts.points[i].timestamp == ts.points[i - 1].timestamp + 300);
    }
    // The newest sample of the next page is the oldest of this one (duplicate at the boundary).
    if (page > 0) CHECK(ts.points.back().timestamp == previous_oldest);
    for (std::size_t i = 0; i + 1 < ts.points.size(); ++i)
      CHECK(seen.insert(ts.points[i].timestamp).second);
    previous_oldest = ts.points.front().timestamp;
    t = ts.points.front().timestamp;
  }
  // Before the retained history: nothing older, only the echo.
  auto empty =
      store.write(soc_series, be32(static_cast<std::uint32_t>(kStart - 100 * 86400)), kStart);
  CHECK(rct::decode_timeseries(empty.answer).points.empty());
  // A T in the future is answered with what exists now.
  auto future = store.write(soc_series, be32(static_cast<std::uint32_t>(kStart + 86400)), kStart);
  CHECK(rct::decode_timeseries(future.answer).points.back().timestamp <= kStart);
}

TEST_CASE("day, month and year series hold period energies and end in year 2000", "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  auto day = rct::decode_timeseries(store
                                        .write(oid_of("logger.day_eload_log_ts"),
                                               be32(static_cast<std::uint32_t>(kStart)), kStart)
                                        .answer);
  REQUIRE(day.points.size() == kPage);
  for (const auto& p : day.points) {
    CHECK(p.timestamp % 86400 == 0);
    CHECK(p.value > 2000.0f);  // Wh per day
    CHECK(p.value < 40000.0f);
  }
  auto month = rct::decode_timeseries(
      store
          .write(oid_of("logger.month_ea_log_ts"), be32(static_cast<std::uint32_t>(kStart)), kStart)
          .answer);
  REQUIRE(!month.points.empty());
  for (const auto& p : month.points) {
    CHECK(rct::sim::civil_from_days(p.timestamp / 86400).day == 1);
    CHECK(p.value >= 0.0f);
  }
  // Paging the year series reaches the end-of-history sample and then nothing older.
  const std::uint32_t year = oid_of("logger.year_eac_log_ts");
  std::uint32_t t = static_cast<std::uint32_t>(kStart);
  rct::TimeSeries page;
  for (int i = 0; i < 10; ++i) {
    page = rct::decode_timeseries(store.write(year, be32(t), kStart).answer);
    REQUIRE(!page.points.empty());
    if (page.points.front().timestamp == t) break;
    t = page.points.front().timestamp;
  }
  CHECK(page.points.front().timestamp == LoggerHistory::kEndOfHistory);
}

TEST_CASE("event-table queries page backwards and log parameter changes", "[sim_store]") {
  ValueStore store(rct::test::test_registry(), 1, kStart, kPage);
  const std::uint32_t events = oid_of("logger.error_log_time_stamp");
  CHECK(store.write(oid_of("power_mng.soc_min"), be32(0x3e4ccccd), kStart - 60).result ==
        ValueStore::WriteResult::kStored);  // 0.2
  auto first = store.write(events, be32(static_cast<std::uint32_t>(kStart)), kStart);
  REQUIRE(first.result == ValueStore::WriteResult::kAnswered);
  REQUIRE(rct::payload_size_fits(DataType::kEventTable, first.answer.size()));
  const rct::EventTable table = rct::decode_event_table(first.answer);
  REQUIRE(table.entries.size() == kPage);
  CHECK(table.entries.back().type == 0x73);  // the newest: our parameter change
  CHECK(table.entries.back().element2 == oid_of("power_mng.soc_min"));
  CHECK(table.entries.back().element4 == 0x3e4ccccd);
  for (std::size_t i = 1; i < table.entries.size(); ++i) {
    CHECK(table.entries[i - 1].timestamp <= table.entries[i].timestamp);
  }
  const std::uint32_t oldest = table.entries.front().timestamp;
  const rct::EventTable next =
      rct::decode_event_table(store.write(events, be32(oldest), kStart).answer);
  REQUIRE(!next.entries.empty());
  CHECK(next.entries.back().timestamp == oldest);
  for (const auto& e : next.entries) CHECK(e.timestamp <= oldest);
}
