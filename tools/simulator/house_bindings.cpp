#include "tools/simulator/house_bindings.h"

#include <algorithm>
#include <cmath>

namespace rct::sim {
namespace {

template <int Tower, int Slot>
Value cells(const HouseState& s) {
  return Value(module_status(s, Tower, Slot));
}
template <int Module>
Value stack_cycles(const HouseState& s) {
  return Value(static_cast<std::uint16_t>(std::clamp(s.cycles, 0, 65535)));
}

constexpr HouseBinding kBindings[] = {
    // PV strings
    {"dc_conv.dc_conv_struct[0].p_dc_lp", [](const HouseState& s) { return float_value(s.pv_a); }},
    {"dc_conv.dc_conv_struct[1].p_dc_lp", [](const HouseState& s) { return float_value(s.pv_b); }},
    {"dc_conv.dc_conv_struct[0].p_dc", [](const HouseState& s) { return float_value(s.pv_a); }},
    {"dc_conv.dc_conv_struct[1].p_dc", [](const HouseState& s) { return float_value(s.pv_b); }},
    {"g_sync.u_sg_avg[0]", [](const HouseState& s) { return float_value(s.u_a); }},
    {"g_sync.u_sg_avg[1]", [](const HouseState& s) { return float_value(s.u_b); }},
    {"dc_conv.dc_conv_struct[0].u_sg_lp", [](const HouseState& s) { return float_value(s.u_a); }},
    {"dc_conv.dc_conv_struct[1].u_sg_lp", [](const HouseState& s) { return float_value(s.u_b); }},
    {"dc_conv.dc_conv_struct[0].u_target",
     [](const HouseState& s) { return float_value(s.u_a * 0.98); }},
    {"dc_conv.dc_conv_struct[1].u_target",
     [](const HouseState& s) { return float_value(s.u_b * 0.98); }},
    // Inverter AC side
    {"g_sync.p_ac_sum_lp", [](const HouseState& s) { return float_value(s.ac); }},
    {"g_sync.p_ac_sum", [](const HouseState& s) { return float_value(s.ac); }},
    {"g_sync.p_ac_lp[0]", [](const HouseState& s) { return float_value(s.ac_phase[0]); }},
    {"g_sync.p_ac_lp[1]", [](const HouseState& s) { return float_value(s.ac_phase[1]); }},
    {"g_sync.p_ac_lp[2]", [](const HouseState& s) { return float_value(s.ac_phase[2]); }},
    {"g_sync.p_ac[0]", [](const HouseState& s) { return float_value(s.ac_phase[0]); }},
    {"g_sync.p_ac[1]", [](const HouseState& s) { return float_value(s.ac_phase[1]); }},
    {"g_sync.p_ac[2]", [](const HouseState& s) { return float_value(s.ac_phase[2]); }},
    {"g_sync.q_ac_sum_lp", [](const HouseState& s) { return float_value(std::abs(s.ac) * 0.05); }},
    {"g_sync.s_ac_sum_lp",
     [](const HouseState& s) { return float_value(std::abs(s.ac) * 1.00125); }},
    {"g_sync.u_l_rms[0]", [](const HouseState& s) { return float_value(s.grid_voltage[0]); }},
    {"g_sync.u_l_rms[1]", [](const HouseState& s) { return float_value(s.grid_voltage[1]); }},
    {"g_sync.u_l_rms[2]", [](const HouseState& s) { return float_value(s.grid_voltage[2]); }},
    {"g_sync.u_ptp_rms[0]",
     [](const HouseState& s) { return float_value(s.grid_voltage[0] * std::sqrt(3.0)); }},
    {"g_sync.u_ptp_rms[1]",
     [](const HouseState& s) { return float_value(s.grid_voltage[1] * std::sqrt(3.0)); }},
    {"g_sync.u_ptp_rms[2]",
     [](const HouseState& s) { return float_value(s.grid_voltage[2] * std::sqrt(3.0)); }},
    {"g_sync.i_dr_eff[0]",
     [](const HouseState& s) { return float_value(std::abs(s.ac_phase[0]) / s.grid_voltage[0]); }},
    {"g_sync.i_dr_eff[1]",
     [](const HouseState& s) { return float_value(std::abs(s.ac_phase[1]) / s.grid_voltage[1]); }},
    {"g_sync.i_dr_eff[2]",
     [](const HouseState& s) { return float_value(std::abs(s.ac_phase[2]) / s.grid_voltage[2]); }},
    {"grid_pll[0].f", [](const HouseState& s) { return float_value(s.frequency); }},
    {"inv_struct.cosinus_phi",
     [](const HouseState& s) { return float_value(s.ac == 0 ? 1.0 : 0.99875); }},
    // Grid connection point (external current sensors)
    {"g_sync.p_ac_grid_sum_lp", [](const HouseState& s) { return float_value(s.grid); }},
    {"g_sync.p_ac_sc[0]", [](const HouseState& s) { return float_value(s.grid_phase[0]); }},
    {"g_sync.p_ac_sc[1]", [](const HouseState& s) { return float_value(s.grid_phase[1]); }},
    {"g_sync.p_ac_sc[2]", [](const HouseState& s) { return float_value(s.grid_phase[2]); }},
    {"g_sync.p_ac_sc_sum", [](const HouseState& s) { return float_value(s.grid); }},
    // Household
    {"g_sync.p_ac_load_sum_lp", [](const HouseState& s) { return float_value(s.load); }},
    {"g_sync.p_ac_load[0]", [](const HouseState& s) { return float_value(s.load_phase[0]); }},
    {"g_sync.p_ac_load[1]", [](const HouseState& s) { return float_value(s.load_phase[1]); }},
    {"g_sync.p_ac_load[2]", [](const HouseState& s) { return float_value(s.load_phase[2]); }},
    // Battery
    {"g_sync.p_acc_lp", [](const HouseState& s) { return float_value(s.battery); }},
    {"power_mng.battery_power", [](const HouseState& s) { return float_value(s.battery); }},
    {"battery.soc", [](const HouseState& s) { return float_value(s.soc); }},
    {"battery.voltage", [](const HouseState& s) { return float_value(s.battery_voltage); }},
    {"power_mng.u_acc_mix_lp", [](const HouseState& s) { return float_value(s.battery_voltage); }},
    {"adc.u_acc", [](const HouseState& s) { return float_value(s.battery_voltage + 0.4); }},
    {"battery.current", [](const HouseState& s) { return float_value(s.battery_current); }},
    {"acc_conv.i_acc_lp_fast", [](const HouseState& s) { return float_value(s.battery_current); }},
    {"battery.temperature", [](const HouseState& s) { return float_value(s.battery_temperature); }},
    {"battery.max_cell_temperature",
     [](const HouseState& s) { return float_value(s.battery_temperature + 2); }},
    {"battery.min_cell_temperature",
     [](const HouseState& s) { return float_value(s.battery_temperature - 2); }},
    {"battery.max_cell_voltage",
     [](const HouseState& s) { return float_value(s.cell_voltage + 0.008); }},
    {"battery.min_cell_voltage",
     [](const HouseState& s) { return float_value(s.cell_voltage - 0.008); }},
    {"battery.stored_energy", [](const HouseState& s) { return float_value(s.battery_stored_wh); }},
    {"battery.used_energy", [](const HouseState& s) { return float_value(s.battery_used_wh); }},
    {"battery.charged_amp_hours", [](const HouseState& s) { return float_value(s.charged_ah); }},
    {"battery.discharged_amp_hours",
     [](const HouseState& s) { return float_value(s.discharged_ah); }},
    {"battery.efficiency",
     [](const HouseState& s) {
       return float_value(s.battery_stored_wh > 0 ? s.battery_used_wh / s.battery_stored_wh : 1.0);
     }},
    {"battery.cycles", [](const HouseState& s) { return Value(s.cycles); }},
    {"battery.cells[0]", cells<0, 0>},
    {"battery.cells[1]", cells<0, 1>},
    {"battery.cells[2]", cells<0, 2>},
    {"battery.stack_cycles[0]", stack_cycles<0>},
    {"battery.stack_cycles[1]", stack_cycles<1>},
    {"battery.stack_cycles[2]", stack_cycles<2>},
    // The second tower (battery_towers.h): slot 1 is empty and reads 0 V.
    {"battery_placeholder[0].cells[0]", cells<1, 0>},
    {"battery_placeholder[0].cells[1]", cells<1, 1>},
    {"battery_placeholder[0].cells[2]", cells<1, 2>},
    {"battery_placeholder[0].stack_cycles[0]", stack_cycles<0>},
    {"battery_placeholder[0].stack_cycles[2]", stack_cycles<2>},
    // Energy counters (Wh; feed-in negative)
    {"energy.e_ac_day", [](const HouseState& s) { return float_value(s.e_ac.day); }},
    {"energy.e_ac_month", [](const HouseState& s) { return float_value(s.e_ac.month); }},
    {"energy.e_ac_year", [](const HouseState& s) { return float_value(s.e_ac.year); }},
    {"energy.e_ac_total", [](const HouseState& s) { return float_value(s.e_ac.total); }},
    {"energy.e_dc_day[0]", [](const HouseState& s) { return float_value(s.e_dc_a.day); }},
    {"energy.e_dc_month[0]", [](const HouseState& s) { return float_value(s.e_dc_a.month); }},
    {"energy.e_dc_year[0]", [](const HouseState& s) { return float_value(s.e_dc_a.year); }},
    {"energy.e_dc_total[0]", [](const HouseState& s) { return float_value(s.e_dc_a.total); }},
    {"energy.e_dc_day[1]", [](const HouseState& s) { return float_value(s.e_dc_b.day); }},
    {"energy.e_dc_month[1]", [](const HouseState& s) { return float_value(s.e_dc_b.month); }},
    {"energy.e_dc_year[1]", [](const HouseState& s) { return float_value(s.e_dc_b.year); }},
    {"energy.e_dc_total[1]", [](const HouseState& s) { return float_value(s.e_dc_b.total); }},
    {"energy.e_grid_feed_day", [](const HouseState& s) { return float_value(s.e_grid_feed.day); }},
    {"energy.e_grid_feed_month",
     [](const HouseState& s) { return float_value(s.e_grid_feed.month); }},
    {"energy.e_grid_feed_year",
     [](const HouseState& s) { return float_value(s.e_grid_feed.year); }},
    {"energy.e_grid_feed_total",
     [](const HouseState& s) { return float_value(s.e_grid_feed.total); }},
    {"energy.e_grid_load_day", [](const HouseState& s) { return float_value(s.e_grid_load.day); }},
    {"energy.e_grid_load_month",
     [](const HouseState& s) { return float_value(s.e_grid_load.month); }},
    {"energy.e_grid_load_year",
     [](const HouseState& s) { return float_value(s.e_grid_load.year); }},
    {"energy.e_grid_load_total",
     [](const HouseState& s) { return float_value(s.e_grid_load.total); }},
    {"energy.e_load_day", [](const HouseState& s) { return float_value(s.e_load.day); }},
    {"energy.e_load_month", [](const HouseState& s) { return float_value(s.e_load.month); }},
    {"energy.e_load_year", [](const HouseState& s) { return float_value(s.e_load.year); }},
    {"energy.e_load_total", [](const HouseState& s) { return float_value(s.e_load.total); }},
    {"energy.e_ext_day", [](const HouseState& s) { return float_value(s.e_ext.day); }},
    {"energy.e_ext_month", [](const HouseState& s) { return float_value(s.e_ext.month); }},
    {"energy.e_ext_year", [](const HouseState& s) { return float_value(s.e_ext.year); }},
    {"energy.e_ext_total", [](const HouseState& s) { return float_value(s.e_ext.total); }},
    // Temperatures, state, clock
    {"db.temp1", [](const HouseState& s) { return float_value(s.heat_sink_temperature); }},
    {"db.temp2", [](const HouseState& s) { return float_value(s.battery_converter_temperature); }},
    {"db.core_temp", [](const HouseState& s) { return float_value(s.core_temperature); }},
    {"prim_sm.state", [](const HouseState& s) { return Value(EnumValue{s.inverter_state}); }},
    {"flash_rtc.time_stamp",
     [](const HouseState& s) { return Value(static_cast<std::uint32_t>(s.time)); }},
};

constexpr std::string_view kLifetimeCounters[] = {
    "energy.e_ac_total",         "energy.e_dc_total[0]",         "energy.e_dc_total[1]",
    "energy.e_grid_load_total",  "energy.e_grid_feed_total",     "energy.e_load_total",
    "energy.e_ext_total",        "battery.stored_energy",        "battery.used_energy",
    "battery.charged_amp_hours", "battery.discharged_amp_hours", "battery.cycles",
};

}  // namespace

std::span<const HouseBinding> house_bindings() {
  return kBindings;
}

bool is_lifetime_counter(std::string_view name) {
  return std::find(std::begin(kLifetimeCounters), std::end(kLifetimeCounters), name) !=
         std::end(kLifetimeCounters);
}

}  // namespace rct::sim
