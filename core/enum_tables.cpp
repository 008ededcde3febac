#include "core/enum_tables.h"

#include <cstddef>

namespace rct {
namespace {

// prim_sm.state 0x5F33284E. Values 0 and 2 are both "standby" on the device.
constexpr EnumEntry kInverterState[] = {
    {0, "Standby"},
    {1, "Initialisation"},
    {2, "Standby"},
    {3, "Efficiency (debug)"},
    {4, "Insulation check"},
    {5, "Island check"},
    {6, "Power check"},
    {7, "Symmetry (DC link alignment)"},
    {8, "Relay test"},
    {9, "Grid passive"},
    {10, "Preparing battery passive"},
    {11, "Battery passive"},
    {12, "Hardware check"},
    {13, "Feed-in"},
};

// power_mng.soc_strategy 0xF168B748.
constexpr EnumEntry kSocStrategy[] = {
    {0, "SOC target = SOC"},       {1, "Constant"}, {2, "External"},
    {3, "Middle battery voltage"}, {4, "Internal"}, {5, "Schedule"},
};

// power_mng.battery_type 0x682CDDA1.
constexpr EnumEntry kBatteryType[] = {
    {0, "Lead-acid Powerfit"}, {1, "Li-ion Akesol"}, {2, "Laukner"},
    {3, "Li-ion RCT Power"},   {4, "Li-ion Zach"},   {5, "No battery"},
    {6, "Power loop 200 V"},   {7, "BYD D-BOX H"},
};

// power_mng.force_inv_class 0xC7459513.
constexpr EnumEntry kInverterClass[] = {
    {0, "From serial number"},
    {1, "Power Inverter"},
    {2, "Power Storage"},
};

// com_service 0x8FC89B10. Writing any of these triggers a service action on the device.
constexpr EnumEntry kComService[] = {
    {0, "Off"},
    {1, "OnlineOsci protocol"},
    {2, "COM protocol"},
    {3, "Start bootloader"},
    {4, "Reset DSP"},
    {5, "Flash parameters"},
    {6, "Erase parameters"},
    {7, "Set SSID"},
    {8, "Restart Wi-Fi"},
    {9, "Write Wi-Fi parameters"},
    {10, "Read Wi-Fi parameters"},
    {11, "Datalog bulk erase"},
    {12, "Tune current sensors"},
    {13, "Start battery booster test"},
    {14, "Stop battery booster test"},
    {15, "Start stack commissioning"},
    {16, "Stop stack commissioning"},
    {17, "Reset battery statistics"},
};

// io_board.io1_usage 0x90F123FA and io_board.io2_usage 0x4F330E08.
constexpr EnumEntry kIoUsage[] = {
    {0, "Unused"},
    {1, "Input S0 grid consumption"},
    {2, "Input S0 grid feed-in"},
    {3, "Input S0 household power"},
    {4, "Output S0 inverter power"},
    {5, "Input level switch"},
    {6, "Input emergency off"},
    {7, "Output S0 grid feed-in"},
    {8, "Output S0 household power"},
    {9, "Output S0 solar power"},
    {10, "Input S0 external power"},
};

// io_board.s0_direction 0x792A7B79.
constexpr EnumEntry kS0Direction[] = {
    {0, "Both single-direction"},
    {1, "I/O 1 bidirectional"},
    {2, "I/O 2 bidirectional"},
};

// io_board.alarm_home_relay_mode 0x5EE03C45.
constexpr EnumEntry kRelayMode[] = {
    {0, "Unused"},
    {1, "Alarm"},
    {2, "Load"},
};

// io_board.alarm_home_value 0xF42D4DD0.
constexpr EnumEntry kRelayValue[] = {
    {0, "Pgrid"},
    {1, "Pgrid + Pbat charge"},
};

// modbus.mode 0x31ED1B75.
constexpr EnumEntry kModbusMode[] = {
    {0, "Modbus slave"},
    {1, "Modbus master"},
};

// nsm.apm 0x7232F7AF.
constexpr EnumEntry kActivePowerMode[] = {
    {0, "Off"},
    {1, "P(f)"},
};

// nsm.rpm 0xC3352B17.
constexpr EnumEntry kReactivePowerMode[] = {
    {0, "Off"}, {1, "Constant cos φ"}, {2, "Constant Q"}, {3, "cos φ(P)"}, {4, "Q(U)"},
};

// wifi.sockb_protocol 0x0BA16A10. The vendor registry has no table for it; the values come from
// its description (docs/protocol.md §8.4).
constexpr EnumEntry kPlantRole[] = {
    {0, "Standalone"},
    {1, "Master"},
    {2, "Slave"},
};

struct EnumTable {
  std::uint32_t oid;
  std::span<const EnumEntry> entries;
};

constexpr EnumTable kEnumTables[] = {
    {0x5F33284E, kInverterState},      // prim_sm.state
    {0xF168B748, kSocStrategy},        // power_mng.soc_strategy
    {0x682CDDA1, kBatteryType},        // power_mng.battery_type
    {0xC7459513, kInverterClass},      // power_mng.force_inv_class
    {0x8FC89B10, kComService},         // com_service
    {0x90F123FA, kIoUsage},            // io_board.io1_usage
    {0x4F330E08, kIoUsage},            // io_board.io2_usage
    {0x792A7B79, kS0Direction},        // io_board.s0_direction
    {0x5EE03C45, kRelayMode},          // io_board.alarm_home_relay_mode
    {0xF42D4DD0, kRelayValue},         // io_board.alarm_home_value
    {0x31ED1B75, kModbusMode},         // modbus.mode
    {0x7232F7AF, kActivePowerMode},    // nsm.apm
    {0xC3352B17, kReactivePowerMode},  // nsm.rpm
    {0x0BA16A10, kPlantRole},          // wifi.sockb_protocol
};

constexpr bool ascending_values() {
  for (const EnumTable& t : kEnumTables) {
    for (std::size_t i = 1; i < t.entries.size(); ++i) {
      if (t.entries[i - 1].value >= t.entries[i].value) return false;
    }
  }
  return true;
}
static_assert(ascending_values(), "enum tables must be ascending by value, values unique");

}  // namespace

std::span<const EnumEntry> enum_entries(std::uint32_t oid) {
  for (const EnumTable& t : kEnumTables) {
    if (t.oid == oid) return t.entries;
  }
  return {};
}

std::optional<std::string_view> enum_text(std::uint32_t oid, std::uint8_t value) {
  for (const EnumEntry& e : enum_entries(oid)) {
    if (e.value == value) return e.text;
  }
  return std::nullopt;
}

}  // namespace rct
