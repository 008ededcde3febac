#include "core/layout_override.h"

#include <cstdint>
#include <string>
#include <vector>

#include "core/battery_codec.h"
#include "core/registry.h"
#include "tests/support/catch.h"

using rct::DataType;

namespace {

const rct::OidInfo& info_of(const rct::Registry& registry, std::string_view name) {
  const rct::OidInfo* info = registry.find(name);
  REQUIRE(info != nullptr);
  return *info;
}

}  // namespace

TEST_CASE("the second tower's module OIDs decode with the module layouts at their exact size",
          "[layout_override]") {
  const rct::Registry registry;
  for (int i = 0; i < 7; ++i) {
    const std::string n = std::to_string(i);
    const auto& cells = info_of(registry, "battery_placeholder[0].cells[" + n + "]");
    const auto& stat = info_of(registry, "battery_placeholder[0].cells_stat[" + n + "]");
    const auto& resist = info_of(registry, "battery_placeholder[0].cells_resist[" + n + "]");
    CHECK(rct::decode_type(cells, rct::kBatteryModuleStatusSize) == DataType::kBatteryModuleStatus);
    CHECK(rct::decode_type(stat, rct::kBatteryModuleStatisticsSize) ==
          DataType::kBatteryModuleStatistics);
    CHECK(rct::decode_type(resist, rct::kBatteryModuleResistanceSize) ==
          DataType::kBatteryModuleResistance);
    // Any other size is what the registry says: a string.
    for (std::size_t size : {0, 1, 47, 48, 95, 97, 100}) {
      if (size != rct::kBatteryModuleStatusSize) {
        CHECK(rct::decode_type(cells, size) == DataType::kString);
        CHECK(rct::decode_type(resist, size) == DataType::kString);
      }
      if (size != rct::kBatteryModuleStatisticsSize) {
        CHECK(rct::decode_type(stat, size) == DataType::kString);
      }
    }
  }
}

TEST_CASE("a layout override leaves other names alone", "[layout_override]") {
  const rct::Registry registry;
  // The scalar statistics fields of the second tower and every first-tower OID are typed right.
  for (const char* name :
       {"battery_placeholder[0].cells_stat[2].u_min.value", "battery_placeholder[0].module_sn[0]",
        "battery.cells[0]", "battery.cells_resist[1]", "battery_placeholder[0].soh"}) {
    INFO(name);
    const auto& info = info_of(registry, name);
    CHECK(rct::find_layout_override(name) == nullptr);
    CHECK(rct::decode_type(info, 96) == info.response_type);
    CHECK(rct::decode_type(info, 48) == info.response_type);
  }
  CHECK(rct::find_layout_override("battery_placeholder[0].cells[]") == nullptr);
  CHECK(rct::find_layout_override("battery_placeholder[0].cells[x]") == nullptr);
  CHECK(rct::find_layout_override("battery_placeholder[0].cells[12]") != nullptr);
}

TEST_CASE("every layout override states its reason and a layout of fixed size",
          "[layout_override]") {
  for (const rct::LayoutOverride& o : rct::layout_overrides()) {
    INFO(o.name_prefix);
    CHECK_FALSE(o.reason.empty());
    CHECK(o.layout != o.registry_type);
    CHECK((o.layout == DataType::kBatteryModuleStatus ||
           o.layout == DataType::kBatteryModuleStatistics ||
           o.layout == DataType::kBatteryModuleResistance));
  }
}
