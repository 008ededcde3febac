#pragma once

#include <array>
#include <cstdint>

namespace rct::sim {

// Settings of the energy manager that the model obeys; the value store feeds them from the
// (writable) power_mng.* / buf_v_control.* OIDs.
struct HouseSettings {
  double soc_min = 0.07;            // fraction
  double soc_max = 0.97;            // fraction
  std::uint8_t soc_strategy = 4;    // power_mng.soc_strategy: 2 = External, others self-use
  double battery_power_extern = 0;  // W, positive = discharge (strategy External)
  double power_reduction = 1.0;     // 0..1, scales the PV power
  // A trap seen in the field (docs/battery-modes.md): with strategy Internal and the SOC below
  // soc_min + this margin (fraction), the inverter charges the battery from the grid at full
  // power. Negative: off (the default).
  double grid_charge_trap = -1;
};

// Day / month / year / lifetime value of one energy counter, Wh. Feed-in counters hold negative
// numbers, as on the device (docs/protocol.md §15.2).
struct EnergyCounter {
  double day = 0;
  double month = 0;
  double year = 0;
  double total = 0;
};

// One snapshot of the house. Powers in W, voltages in V, currents in A, temperatures in °C.
// Signs as on the device: battery positive = discharging; grid positive = import.
struct HouseState {
  std::int64_t time = 0;  // device seconds of the snapshot
  double pv_a = 0;        // DC power string A
  double pv_b = 0;
  double u_a = 0;  // string voltages (0 at night)
  double u_b = 0;
  double load = 0;  // household consumption
  std::array<double, 3> load_phase{};
  double battery = 0;  // g_sync.p_acc_lp
  double ac = 0;       // inverter AC output = pv * efficiency + battery
  std::array<double, 3> ac_phase{};
  double grid = 0;  // = load - ac
  std::array<double, 3> grid_phase{};
  std::array<double, 3> grid_voltage{};
  double frequency = 50;
  double soc = 0.5;  // fraction 0..1
  double cell_voltage = 3.3;
  double battery_voltage = 0;
  double battery_current = 0;  // positive = discharging
  double ambient_temperature = 20;
  double heat_sink_temperature = 30;
  double battery_converter_temperature = 30;
  double core_temperature = 40;
  double battery_temperature = 22;
  EnergyCounter e_ac;
  EnergyCounter e_dc_a;
  EnergyCounter e_dc_b;
  EnergyCounter e_grid_feed;  // negative
  EnergyCounter e_grid_load;
  EnergyCounter e_load;
  EnergyCounter e_ext;           // no external generator: stays 0
  double battery_stored_wh = 0;  // lifetime into the battery
  double battery_used_wh = 0;    // lifetime out of the battery
  double charged_ah = 0;
  double discharged_ah = 0;
  std::int32_t cycles = 0;
  std::uint8_t inverter_state = 13;  // prim_sm.state: 13 feed-in, 2 standby
};

// A small, deterministic model of a house with PV, battery and grid, as a function of device
// time. Powers come from stateless curves (seeded noise, no hidden clock); the battery SOC and
// the energy counters integrate them in fixed steps on a grid aligned to device time, so the
// snapshot for a given `now` depends only on the seed, the start time and the settings.
// Time only moves forward: advance_to() with an earlier time returns the current snapshot.
class HouseModel {
 public:
  static constexpr std::int64_t kStepSeconds = 2;
  static constexpr double kBatteryCapacityWh = 11520;  // 3 modules × 24 cells × 3.2 V × 50 Ah
  static constexpr double kBatteryMaxPower = 6000;     // W, charge and discharge
  static constexpr double kInverterMaxPower = 6000;    // W AC
  static constexpr double kPvEfficiency = 0.97;
  static constexpr int kCellsInSeries = 72;

  // Starts integrating at midnight of `start_time`'s day, so that the day counters are
  // consistent, then runs up to `start_time`.
  HouseModel(std::uint64_t seed, std::int64_t start_time, const HouseSettings& settings = {});

  const HouseState& advance_to(std::int64_t now, const HouseSettings& settings);
  const HouseState& state() const { return state_; }
  std::uint64_t seed() const { return seed_; }

  // Stateless curves (also used for synthesised history before the start time).
  double pv_power(int string, std::int64_t t) const;  // W before curtailment, string 0 = A
  double load_power(std::int64_t t) const;
  std::array<double, 3> load_split(std::int64_t t, double load) const;
  double ambient_temperature(std::int64_t t) const;
  double grid_voltage(int phase, std::int64_t t) const;
  double noise(std::uint64_t channel, std::int64_t t, std::int64_t period) const;  // 0..1 smooth
  double clearness(std::int64_t day) const;  // 0.3 (overcast) .. 1 (clear) for a day index

 private:
  void step(std::int64_t to, const HouseSettings& settings);
  void fill_instant(std::int64_t t, const HouseSettings& settings, double dt);

  std::uint64_t seed_;
  HouseState state_;
};

// Device time of the installation: lifetime counters and the logger's history start here.
std::int64_t install_time();

// Deterministic hash helpers shared by the simulator's synthetic data.
std::uint64_t mix64(std::uint64_t x);
double hash01(std::uint64_t seed, std::uint64_t a, std::uint64_t b = 0);  // uniform in [0, 1)

}  // namespace rct::sim
