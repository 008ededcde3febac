#include "core/inventory.h"

#include <set>

#include "core/registry.h"
#include "tests/support/catch.h"

using rct::DataType;
using rct::InventoryItem;

TEST_CASE("inventory OIDs are the registry entries of docs/protocol.md §15.7", "[inventory]") {
  struct Expected {
    InventoryItem item;
    std::string_view name;
    DataType type;
  };
  const Expected expected[] = {
      {InventoryItem::kPvInputA, "dc_conv.dc_conv_struct[0].enabled", DataType::kBool},
      {InventoryItem::kPvInputB, "dc_conv.dc_conv_struct[1].enabled", DataType::kBool},
      {InventoryItem::kPowerSwitch, "rb485.available", DataType::kBool},
      {InventoryItem::kBatteryType, "power_mng.battery_type", DataType::kEnum},
      {InventoryItem::kBatteryCount, "power_mng.n_batteries", DataType::kUint8},
      {InventoryItem::kExternalSensors, "i_ac_extern_connected", DataType::kBool},
      {InventoryItem::kPlantRole, "wifi.sockb_protocol", DataType::kEnum},
      {InventoryItem::kSerialNumber, "inverter_sn", DataType::kString},
      {InventoryItem::kDeviceName, "android_description", DataType::kString},
      {InventoryItem::kFirmwareVersion, "svnversion", DataType::kString},
  };
  const rct::Registry registry;
  REQUIRE(rct::inventory_oids().size() == std::size(expected));
  std::set<std::uint32_t> ids;
  for (const Expected& e : expected) {
    INFO(e.name);
    const rct::OidInfo* info = registry.find(rct::inventory_oid(e.item));
    REQUIRE(info != nullptr);
    CHECK(info->name == e.name);
    CHECK(info->response_type == e.type);
    CHECK(ids.insert(info->id).second);
  }
  CHECK(rct::inventory_oid(InventoryItem::kPowerSwitch) == 0x437B8122);
}
