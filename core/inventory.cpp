#include "core/inventory.h"

#include <cstddef>
#include <iterator>

namespace rct {
namespace {

constexpr InventoryOid kInventory[] = {
    {InventoryItem::kPvInputA, 0x701A0482},         // dc_conv.dc_conv_struct[0].enabled
    {InventoryItem::kPvInputB, 0xFED51BD2},         // dc_conv.dc_conv_struct[1].enabled
    {InventoryItem::kPowerSwitch, 0x437B8122},      // rb485.available
    {InventoryItem::kBatteryType, 0x682CDDA1},      // power_mng.battery_type
    {InventoryItem::kBatteryCount, 0x663F1452},     // power_mng.n_batteries
    {InventoryItem::kExternalSensors, 0xC3A3F070},  // i_ac_extern_connected
    {InventoryItem::kPlantRole, 0x0BA16A10},        // wifi.sockb_protocol
    {InventoryItem::kSerialNumber, 0x7924ABD9},     // inverter_sn
    {InventoryItem::kDeviceName, 0xEBC62737},       // android_description
    {InventoryItem::kFirmwareVersion, 0xDDD1C2D0},  // svnversion
};

constexpr bool in_item_order() {
  int expected = 0;
  for (const InventoryOid& o : kInventory) {
    if (static_cast<int>(o.item) != expected++) return false;
  }
  return true;
}
// inventory_oid() indexes the table by item.
static_assert(in_item_order(), "kInventory must list every InventoryItem in declaration order");
static_assert(std::size(kInventory) ==
              static_cast<std::size_t>(InventoryItem::kFirmwareVersion) + 1);

}  // namespace

std::span<const InventoryOid> inventory_oids() {
  return kInventory;
}

std::uint32_t inventory_oid(InventoryItem item) {
  return kInventory[static_cast<std::size_t>(item)].id;
}

}  // namespace rct
