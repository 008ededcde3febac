#include "core/registry.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "core/layout_override.h"
#include "tests/support/catch.h"
#include "tests/support/shared_dir.h"
#include "tests/support/tsv.h"

using rct::DataType;
using rct::OidInfo;
using rct::Registry;

namespace {

// registry.tsv spells types in lower case; kept local so this test does not depend on
// data_type_from_name.
std::optional<DataType> tsv_type(std::string_view name) {
  constexpr std::pair<std::string_view, DataType> kTypes[] = {
      {"unknown", DataType::kUnknown},
      {"bool", DataType::kBool},
      {"uint8", DataType::kUint8},
      {"int8", DataType::kInt8},
      {"uint16", DataType::kUint16},
      {"int16", DataType::kInt16},
      {"uint32", DataType::kUint32},
      {"int32", DataType::kInt32},
      {"enum", DataType::kEnum},
      {"float", DataType::kFloat},
      {"string", DataType::kString},
      {"timeseries", DataType::kTimeSeries},
      {"event_table", DataType::kEventTable},
      {"battery_module_status", DataType::kBatteryModuleStatus},
      {"battery_module_statistics", DataType::kBatteryModuleStatistics},
      {"battery_module_resistance", DataType::kBatteryModuleResistance},
  };
  for (const auto& [text, type] : kTypes) {
    if (text == name) return type;
  }
  return std::nullopt;
}

std::uint32_t parse_oid(const std::string& text) {
  return static_cast<std::uint32_t>(std::stoul(text, nullptr, 16));
}

std::string hex(std::uint32_t id) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08X", id);
  return buf;
}

}  // namespace

TEST_CASE("the registry equals registry.tsv field by field", "[registry]") {
  auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared not found: registry.tsv comparison skipped");
    return;
  }
  const auto path = *shared / "reference" / "registry.tsv";
  const auto rows = rct::test::read_tsv(path);
  const Registry registry;

  CHECK(rows.size() == 895);
  CHECK(registry.all().size() == rows.size());

  std::set<std::uint32_t> tsv_ids;
  std::map<std::string_view, int> overridden;  // override name prefix → registry.tsv rows
  for (const auto& row : rows) {
    const std::uint32_t id = parse_oid(row["oid"]);
    tsv_ids.insert(id);
    INFO("registry.tsv:" << row.line << " oid " << row["oid"] << " " << row["name"]);
    const OidInfo* info = registry.find(id);
    REQUIRE(info != nullptr);
    CHECK(info->id == id);
    CHECK(info->name == row["name"]);
    CHECK(info->group == row["group"]);
    const auto request = tsv_type(row["request_type"]);
    const auto response = tsv_type(row["response_type"]);
    REQUIRE(request.has_value());
    REQUIRE(response.has_value());
    INFO("tsv types " << row["request_type"] << "/" << row["response_type"]);
    CHECK(info->request_type == *request);
    CHECK(info->response_type == *response);
    CHECK(info->unit == row["unit"]);
    // A layout override (core/layout_override.h) decodes some payloads of these OIDs otherwise,
    // deliberately: the registry keeps the reference's type, and the override names that type.
    if (const rct::LayoutOverride* o = rct::find_layout_override(info->name)) {
      INFO("layout override: " << o->reason);
      CHECK(o->registry_type == *response);
      ++overridden[o->name_prefix];
    }
  }
  // Each override covers the seven module slots of a tower, no more and no fewer.
  CHECK(overridden.size() == rct::layout_overrides().size());
  for (const auto& [prefix, count] : overridden) {
    INFO(prefix);
    CHECK(count == 7);
  }
  CHECK(tsv_ids.size() == rows.size());

  // The other direction: nothing in our table that the reference lacks.
  for (const OidInfo& info : registry.all()) {
    INFO("table entry " << hex(info.id) << " " << info.name);
    CHECK(tsv_ids.count(info.id) == 1);
  }
}

TEST_CASE("every OID has a description of its own", "[registry]") {
  const Registry registry;
  std::set<std::string_view> seen;
  for (const OidInfo& info : registry.all()) {
    INFO(hex(info.id) << " " << info.name);
    CHECK_FALSE(info.description.empty());
    CHECK(info.description.front() != ' ');
    CHECK(info.description.back() != ' ');
    CHECK(seen.insert(info.description).second);  // no copy-paste slip between two OIDs
  }
}

TEST_CASE("lookup by id and by name agree for every OID", "[registry]") {
  const Registry registry;
  for (const OidInfo& info : registry.all()) {
    INFO(hex(info.id) << " " << info.name);
    CHECK(registry.find(info.id) == &info);
    CHECK(registry.find(info.name) == &info);
  }
}

TEST_CASE("unknown ids and names are not found", "[registry]") {
  const Registry registry;
  CHECK(registry.find(std::uint32_t{0}) == nullptr);
  CHECK(registry.find(std::uint32_t{0xFFFFFFFF}) == nullptr);
  CHECK(registry.find(std::uint32_t{0x959930BE}) == nullptr);  // battery.soc - 1
  CHECK(registry.find(std::uint32_t{0x959930C0}) == nullptr);  // battery.soc + 1
  CHECK(registry.find(std::uint32_t{0x0104EB69}) == nullptr);  // below the smallest id
  CHECK(registry.find(std::string_view{}) == nullptr);
  CHECK(registry.find(std::string_view{"battery.so"}) == nullptr);
  CHECK(registry.find(std::string_view{"battery.soc "}) == nullptr);
  CHECK(registry.find(std::string_view{"BATTERY.SOC"}) == nullptr);
  CHECK(registry.find(std::string_view{"zzz"}) == nullptr);
}

TEST_CASE("the table is sorted by id and ids and names are unique", "[registry]") {
  const Registry registry;
  const auto all = registry.all();
  REQUIRE(all.size() == 895);
  for (std::size_t i = 1; i < all.size(); ++i) {
    INFO("entries " << i - 1 << " and " << i << ": " << hex(all[i - 1].id) << ", "
                    << hex(all[i].id));
    CHECK(all[i - 1].id < all[i].id);
  }
  std::set<std::string_view> names;
  for (const OidInfo& info : all) {
    INFO(hex(info.id) << " " << info.name);
    CHECK(names.insert(info.name).second);
  }
}

TEST_CASE("spot checks of well-known OIDs", "[registry]") {
  const Registry registry;

  const OidInfo* soc = registry.find(std::uint32_t{0x959930BF});
  REQUIRE(soc != nullptr);
  CHECK(soc->name == "battery.soc");
  CHECK(soc->group == "battery");
  CHECK(soc->request_type == DataType::kFloat);
  CHECK(soc->response_type == DataType::kFloat);
  CHECK(registry.find(std::string_view{"battery.soc"}) == soc);

  const OidInfo* events = registry.find(std::uint32_t{0x6F3876BC});
  REQUIRE(events != nullptr);
  CHECK(events->name == "logger.error_log_time_stamp");
  CHECK(events->request_type == DataType::kInt32);
  CHECK(events->response_type == DataType::kEventTable);

  const OidInfo* series = registry.find(std::string_view{"logger.minutes_soc_log_ts"});
  REQUIRE(series != nullptr);
  CHECK(series->id == 0x5293B668);

  const OidInfo* feed = registry.find(std::uint32_t{0x44D4C533});
  REQUIRE(feed != nullptr);
  CHECK(feed->name == "energy.e_grid_feed_total");
  CHECK(feed->unit == "Wh");

  const OidInfo* temp = registry.find(std::string_view{"battery.temperature"});
  REQUIRE(temp != nullptr);
  CHECK(temp->unit == "°C");
}

TEST_CASE("request and response types differ only for the 45 logger query OIDs", "[registry]") {
  const Registry registry;
  int series = 0;
  for (const OidInfo& info : registry.all()) {
    INFO(hex(info.id) << " " << info.name);
    const bool is_series = info.name.starts_with("logger.") && info.name.ends_with("_log_ts");
    if (is_series) {
      ++series;
      CHECK(info.request_type == DataType::kInt32);
      CHECK(info.response_type == DataType::kTimeSeries);
    } else if (info.id == 0x6F3876BC) {
      CHECK(info.response_type == DataType::kEventTable);
    } else {
      CHECK(info.request_type == info.response_type);
    }
  }
  CHECK(series == 44);
}

TEST_CASE("response types and groups have the counts of docs/protocol.md §15.1", "[registry]") {
  const Registry registry;
  std::map<DataType, int> types;
  std::map<std::string_view, int> groups;
  for (const OidInfo& info : registry.all()) {
    ++types[info.response_type];
    ++groups[info.group];
  }
  CHECK(types[DataType::kFloat] == 462);
  CHECK(types[DataType::kUint32] == 103);
  CHECK(types[DataType::kUint8] == 83);
  CHECK(types[DataType::kString] == 72);
  CHECK(types[DataType::kTimeSeries] == 44);
  CHECK(types[DataType::kBool] == 33);
  CHECK(types[DataType::kUint16] == 30);
  CHECK(types[DataType::kInt32] == 18);
  CHECK(types[DataType::kEnum] == 16);
  CHECK(types[DataType::kBatteryModuleStatus] == 7);
  CHECK(types[DataType::kBatteryModuleStatistics] == 7);
  CHECK(types[DataType::kBatteryModuleResistance] == 7);
  CHECK(types[DataType::kInt16] == 6);
  CHECK(types[DataType::kInt8] == 3);
  CHECK(types[DataType::kUnknown] == 3);
  CHECK(types[DataType::kEventTable] == 1);

  const std::map<std::string_view, int> expected = {
      {"battery", 161},
      {"battery_placeholder", 145},
      {"energy", 56},
      {"nsm", 53},
      {"g_sync", 47},
      {"logger", 47},
      {"power_mng", 44},
      {"io_board", 43},
      {"others", 37},
      {"hw_test", 25},
      {"wifi", 25},
      {"db", 23},
      {"dc_conv", 20},
      {"net", 17},
      {"frt", 17},
      {"grid_mon", 16},
      {"rb485", 13},
      {"prim_sm", 12},
      {"bat_mng_struct", 10},
      {"p_rec", 9},
      {"flash_rtc", 7},
      {"switch_on_cond", 7},
      {"acc_conv", 6},
      {"can_bus", 6},
      {"flash_param", 6},
      {"partition", 6},
      {"adc", 5},
      {"display_struct", 5},
      {"iso_struct", 4},
      {"fault", 4},
      {"cs_neg", 3},
      {"buf_v_control", 3},
      {"grid_lt", 3},
      {"cs_map", 3},
      {"line_mon", 3},
      {"temperature", 2},
      {"modbus", 2},
  };
  CHECK(groups == expected);

  const auto names = registry.groups();
  CHECK(names.size() == 37);
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(std::binary_search(names.begin(), names.end(), std::string_view{"battery"}));
}
