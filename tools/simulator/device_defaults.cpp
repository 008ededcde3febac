#include "tools/simulator/device_defaults.h"

#include <cstdio>
#include <string>

#include "tools/simulator/house_bindings.h"
#include "tools/simulator/house_model.h"

namespace rct::sim {
namespace {

std::string serial(std::string_view prefix, std::uint64_t seed, std::uint64_t salt) {
  char digits[16];
  const auto n = static_cast<unsigned long>(hash01(seed, 0x53E1A1, salt) * 1e6);
  std::snprintf(digits, sizeof digits, "%06lu", n);
  return std::string(prefix) + digits;
}

}  // namespace

std::optional<Value> device_default(std::string_view name, std::uint64_t seed) {
  // Identity and inventory (docs/protocol.md §15.7)
  if (name == "inverter_sn") return Value(serial("0050KC", seed, 1));
  if (name == "android_description") return Value(std::string("PS 6.0 BA3L"));
  if (name == "svnversion" || name == "svnversion_last_known")
    return Value(std::string("3.12.5689"));
  if (name == "svnversion_factory") return Value(std::string("2.3.5412"));
  if (name == "parameter_file") return Value(std::string("VDE-AR-N 4105"));
  if (name == "dc_conv.dc_conv_struct[0].enabled") return Value(true);
  if (name == "dc_conv.dc_conv_struct[1].enabled") return Value(true);
  if (name == "rb485.available") return Value(false);
  if (name == "i_ac_extern_connected") return Value(true);
  if (name == "power_mng.battery_type") return Value(EnumValue{3});  // Li-ion RCT Power
  if (name == "power_mng.n_batteries") return Value(std::uint8_t{1});
  if (name == "wifi.sockb_protocol") return Value(EnumValue{0});  // standalone
  // Battery
  if (name == "battery.bms_sn") return Value(serial("BMS22", seed, 2));
  if (auto m = installed_module_slot(name, "module_sn")) {
    return Value(serial("RCTB38", seed, 10 + static_cast<std::uint64_t>(m->tower * 7 + m->slot)));
  }
  if (auto m = installed_module_slot(name, "cells_stat")) {
    return Value(module_statistics(m->tower, m->slot));
  }
  if (auto m = installed_module_slot(name, "cells_resist")) {
    return Value(module_resistance(m->tower, m->slot));
  }
  if (installed_module_slot(name, "stack_software_version")) return Value(std::uint32_t{7000 + 12});
  if (name == "battery_placeholder[0].soh") return float_value(0.95);
  if (name == "battery.bms_software_version") return Value(std::uint32_t{7027});
  if (name == "battery.bms_power_version") return Value(std::uint32_t{5011});
  if (name == "battery.soh") return float_value(0.97);
  if (name == "battery.ah_capacity") return float_value(50);
  if (name == "battery.maximum_charge_current") return float_value(25);
  if (name == "battery.maximum_discharge_current") return float_value(25);
  if (name == "battery.maximum_charge_voltage") return float_value(252);
  if (name == "battery.soc_target_high") return float_value(0.97);
  if (name == "battery.soc_target_low") return float_value(0.07);
  if (name == "battery.soc_target") return float_value(0.97);
  // Energy manager settings (docs/protocol.md §13)
  if (name == "power_mng.soc_strategy") return Value(EnumValue{4});  // Internal
  if (name == "power_mng.soc_min") return float_value(0.07);
  if (name == "power_mng.soc_max") return float_value(0.97);
  if (name == "power_mng.soc_min_island") return float_value(0.07);
  if (name == "power_mng.soc_target_set") return float_value(0.5);
  if (name == "power_mng.soc_charge_power") return float_value(100);
  if (name == "power_mng.soc_charge") return float_value(0.05);
  if (name == "power_mng.battery_power_extern") return float_value(0);
  if (name == "power_mng.use_grid_power_enable") return Value(false);
  if (name == "power_mng.maximum_charge_voltage") return float_value(252);
  if (name == "power_mng.bat_next_calib_date") return Value(std::uint32_t{1767225600});
  if (name == "p_rec_lim[1]") return float_value(0);
  if (name == "p_rec_lim[2]") return float_value(HouseModel::kInverterMaxPower);
  if (name == "buf_v_control.power_reduction") return float_value(1.0);
  if (name == "buf_v_control.power_reduction_max_solar") return float_value(8000);
  if (name == "buf_v_control.power_reduction_max_solar_grid") return float_value(6000);
  if (name == "nsm.p_limit") return float_value(6000);
  if (name == "dc_conv.start_voltage") return float_value(180);
  // Inverter
  if (name == "iso_struct.Riso") return float_value(3.2e6);
  if (name == "g_sync.u_zk_sum_avg") return float_value(702.5);
  if (name == "pas.period") return Value(std::uint32_t{10});
  if (name == "logger.log_rate") return Value(std::uint16_t{300});
  if (name == "flash_rtc.time_stamp_update") return Value(std::uint32_t{1718000000});
  if (name == "flash_rtc.time_stamp_factory") return Value(std::uint32_t{1556000000});
  // Network module
  if (name == "wifi.ip") return Value(std::string("192.168.178.50"));
  if (name == "wifi.mask") return Value(std::string("255.255.255.0"));
  if (name == "wifi.gateway") return Value(std::string("192.168.178.1"));
  if (name == "wifi.dns_address") return Value(std::string("192.168.178.1"));
  if (name == "wifi.sockb_port") return Value(std::int32_t{8899});
  if (name == "wifi.use_ethernet") return Value(true);
  if (name == "wifi.use_wifi") return Value(false);
  return std::nullopt;
}

Value type_default(DataType type) {
  switch (type) {
    case DataType::kBool:
      return Value(false);
    case DataType::kUint8:
      return Value(std::uint8_t{0});
    case DataType::kInt8:
      return Value(std::int8_t{0});
    case DataType::kUint16:
      return Value(std::uint16_t{0});
    case DataType::kInt16:
      return Value(std::int16_t{0});
    case DataType::kUint32:
      return Value(std::uint32_t{0});
    case DataType::kInt32:
      return Value(std::int32_t{0});
    case DataType::kEnum:
      return Value(EnumValue{0});
    case DataType::kFloat:
      return Value(0.0f);
    case DataType::kString:
      return Value(std::string());
    case DataType::kTimeSeries:
      return Value(TimeSeries{});
    case DataType::kEventTable:
      return Value(EventTable{});
    case DataType::kBatteryModuleStatus:
      return Value(BatteryModuleStatus{});
    case DataType::kBatteryModuleStatistics:
      return Value(BatteryModuleStatistics{});
    case DataType::kBatteryModuleResistance:
      return Value(BatteryModuleResistance{});
    case DataType::kUnknown:
      return Value(RawBytes{{0, 0, 0, 0}});
  }
  return Value(RawBytes{});
}

}  // namespace rct::sim
