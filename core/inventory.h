#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace rct {

// What is installed (docs/protocol.md §15.7). Read these at start-up and again every few hours to
// decide which other OIDs are worth polling.
enum class InventoryItem {
  kPvInputA,         // BOOL: PV generator on input A
  kPvInputB,         // BOOL: PV generator on input B
  kPowerSwitch,      // BOOL: RCT Power Switch present, rb485.* values exist
  kBatteryType,      // ENUM: 5 = no battery
  kBatteryCount,     // UINT8
  kExternalSensors,  // BOOL: external current sensors present
  kPlantRole,        // ENUM: standalone / master / slave
  kSerialNumber,     // STRING: device identity, stable key for MQTT ids
  kDeviceName,       // STRING: user-visible name
  kFirmwareVersion,  // STRING: behaviour differs by version
};

struct InventoryOid {
  InventoryItem item;
  std::uint32_t id;
};

// All inventory items in declaration order of InventoryItem.
std::span<const InventoryOid> inventory_oids();
std::uint32_t inventory_oid(InventoryItem item);

}  // namespace rct
