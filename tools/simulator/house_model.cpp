#include "tools/simulator/house_model.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "tools/simulator/calendar.h"

namespace rct::sim {
namespace {

constexpr double kTwoPi = 2 * std::numbers::pi;
constexpr double kChargeEfficiency = 0.96;
constexpr double kDischargeEfficiency = 0.96;
constexpr double kNominalBatteryVoltage = 230;  // V, for the initial amp-hour counters
constexpr CivilDate kInstallDate{2019, 5, 17};  // lifetime counters start here

// Noise channels: each curve draws from its own stream.
enum HouseChannel : std::uint64_t {
  kCloudDay = 1,
  kCloudPass,
  kLoadBase,
  kLoadShape,
  kAppliance,
  kAppliancePower,
  kFridge,
  kPhaseShare0,
  kPhaseShare1,
  kAmbient,
  kFrequency,
  kControl,
  kGridVoltage,  // + phase
  kInitialSoc = 100,
  kCounterScale,
};

// Average daily energies (Wh) used to seed the counters at the start; the integration then
// takes over. Chosen to roughly match the model's yearly mean.
struct CounterSeed {
  EnergyCounter HouseState::*counter;
  double per_day;
};
constexpr CounterSeed kCounterSeeds[] = {
    {&HouseState::e_dc_a, 9500},       {&HouseState::e_dc_b, 6300},
    {&HouseState::e_ac, 14800},        {&HouseState::e_grid_load, 3100},
    {&HouseState::e_grid_feed, -7000}, {&HouseState::e_load, 10900},
};
constexpr double kBatteryStoredPerDay = 3300;
constexpr double kBatteryUsedPerDay = 3100;

double gauss(double x, double mu, double sigma) {
  const double z = (x - mu) / sigma;
  return std::exp(-0.5 * z * z);
}

double hour_of_day(std::int64_t t) {
  return static_cast<double>(t - day_start(t)) / 3600.0;
}

double season(std::int64_t t) {  // -1 at the winter solstice .. +1 at the summer solstice
  return std::sin(kTwoPi * (day_of_year(t) - 80) / 365.25);
}

}  // namespace

std::int64_t install_time() {
  return days_from_civil(kInstallDate) * kSecondsPerDay;
}

std::uint64_t mix64(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

double hash01(std::uint64_t seed, std::uint64_t a, std::uint64_t b) {
  const std::uint64_t h = mix64(mix64(mix64(seed) ^ a) ^ b);
  return static_cast<double>(h >> 11) * 0x1.0p-53;
}

HouseModel::HouseModel(std::uint64_t seed, std::int64_t start_time, const HouseSettings& settings)
    : seed_(seed) {
  const std::int64_t t0 = day_start(start_time);
  const std::int64_t today = day_index(t0);
  const CivilDate date = civil_from_days(today);
  const double days_in_month = date.day - 1;
  const double days_in_year = day_of_year(t0);
  const double days_installed =
      std::max<double>(days_in_year, static_cast<double>(today - days_from_civil(kInstallDate)));
  const double scale = 0.9 + 0.2 * hash01(seed_, kCounterScale);

  state_.time = t0;
  for (const CounterSeed& s : kCounterSeeds) {
    EnergyCounter& c = state_.*(s.counter);
    c.day = 0;
    c.month = s.per_day * scale * days_in_month;
    c.year = s.per_day * scale * days_in_year;
    c.total = s.per_day * scale * days_installed;
  }
  state_.battery_stored_wh = kBatteryStoredPerDay * scale * days_installed;
  state_.battery_used_wh = kBatteryUsedPerDay * scale * days_installed;
  state_.charged_ah = state_.battery_stored_wh / kNominalBatteryVoltage;
  state_.discharged_ah = state_.battery_used_wh / kNominalBatteryVoltage;
  state_.soc =
      std::clamp(0.25 + 0.35 * hash01(seed_, kInitialSoc), settings.soc_min, settings.soc_max);
  state_.cycles = static_cast<std::int32_t>(state_.battery_used_wh / kBatteryCapacityWh);
  fill_instant(t0, settings, 0);
  advance_to(start_time, settings);
}

const HouseState& HouseModel::advance_to(std::int64_t now, const HouseSettings& settings) {
  while (state_.time + kStepSeconds <= now) step(state_.time + kStepSeconds, settings);
  return state_;
}

double HouseModel::noise(std::uint64_t channel, std::int64_t t, std::int64_t period) const {
  std::int64_t k = t / period;
  if (t % period < 0) --k;
  const double f = static_cast<double>(t - k * period) / static_cast<double>(period);
  const double a = hash01(seed_, channel, static_cast<std::uint64_t>(k));
  const double b = hash01(seed_, channel, static_cast<std::uint64_t>(k + 1));
  const double s = f * f * (3 - 2 * f);
  return a + (b - a) * s;
}

double HouseModel::pv_power(int string, std::int64_t t) const {
  const double sea = season(t);
  const double daylight = 12 + 3.5 * sea;         // hours
  const double noon = string == 0 ? 12.9 : 14.2;  // string B faces west
  const double x = (hour_of_day(t) - (noon - daylight / 2)) / daylight;
  if (x <= 0 || x >= 1) return 0;
  const double clear_sky = std::pow(std::sin(std::numbers::pi * x), 1.4);
  const double peak = (string == 0 ? 4800.0 : 3200.0) * (0.62 + 0.38 * sea);
  const double c = clearness(day_index(t));
  const double passing = 1 - 0.6 * (1 - c) * noise(kCloudPass, t, 420);
  return peak * clear_sky * c * passing;
}

double HouseModel::clearness(std::int64_t day) const {
  return 0.3 + 0.7 * hash01(seed_, kCloudDay, static_cast<std::uint64_t>(day));
}

double HouseModel::load_power(std::int64_t t) const {
  const double h = hour_of_day(t);
  const double base = 170 + 60 * noise(kLoadBase, t, 900);
  const double profile =
      800 * gauss(h, 7.0, 0.6) + 450 * gauss(h, 12.5, 0.9) + 1100 * gauss(h, 19.2, 1.4);
  const double shape = 0.7 + 0.6 * noise(kLoadShape, t, 1800);
  const std::uint64_t slot = static_cast<std::uint64_t>(t / 600);
  const double appliance = hash01(seed_, kAppliance, slot) < 0.07
                               ? 1200 + 1600 * hash01(seed_, kAppliancePower, slot)
                               : 0;
  const double fridge = noise(kFridge, t, 1200) > 0.5 ? 90 : 0;
  return base + profile * shape + appliance + fridge;
}

std::array<double, 3> HouseModel::load_split(std::int64_t t, double load) const {
  const double s0 = 0.40 + 0.2 * (noise(kPhaseShare0, t, 600) - 0.5);
  const double s1 = 0.32 + 0.1 * (noise(kPhaseShare1, t, 600) - 0.5);
  return {load * s0, load * s1, load * (1 - s0 - s1)};
}

double HouseModel::ambient_temperature(std::int64_t t) const {
  return 10 + 9 * season(t) + 5 * std::sin(kTwoPi * (hour_of_day(t) - 9) / 24) +
         1.5 * (noise(kAmbient, t, 3600) - 0.5);
}

double HouseModel::grid_voltage(int phase, std::int64_t t) const {
  return 231 + 4 * (noise(kGridVoltage + static_cast<std::uint64_t>(phase), t, 60) - 0.5);
}

void HouseModel::step(std::int64_t to, const HouseSettings& settings) {
  const std::int64_t from = state_.time;
  const bool new_day = day_index(to) != day_index(from);
  const bool new_month = new_day && month_start(to) != month_start(from);
  const bool new_year = new_month && year_start(to) != year_start(from);
  for (EnergyCounter* c : {&state_.e_ac, &state_.e_dc_a, &state_.e_dc_b, &state_.e_grid_feed,
                           &state_.e_grid_load, &state_.e_load, &state_.e_ext}) {
    if (new_day) c->day = 0;
    if (new_month) c->month = 0;
    if (new_year) c->year = 0;
  }

  const double dt = static_cast<double>(to - from);
  fill_instant(to, settings, dt);

  // Rectangle rule with the powers at the end of the step; the same powers feed every counter,
  // so day/month/year/total stay consistent with each other and with the balance.
  const double hours = dt / 3600.0;
  auto add = [](EnergyCounter& c, double wh) {
    c.day += wh;
    c.month += wh;
    c.year += wh;
    c.total += wh;
  };
  HouseState& s = state_;
  add(s.e_dc_a, s.pv_a * hours);
  add(s.e_dc_b, s.pv_b * hours);
  add(s.e_ac, std::max(s.ac, 0.0) * hours);
  add(s.e_load, s.load * hours);
  add(s.e_grid_load, std::max(s.grid, 0.0) * hours);
  add(s.e_grid_feed, -std::max(-s.grid, 0.0) * hours);
  s.battery_stored_wh += std::max(-s.battery, 0.0) * hours;
  s.battery_used_wh += std::max(s.battery, 0.0) * hours;
  s.charged_ah += std::max(-s.battery_current, 0.0) * hours;
  s.discharged_ah += std::max(s.battery_current, 0.0) * hours;
  s.cycles = static_cast<std::int32_t>(s.battery_used_wh / kBatteryCapacityWh);
}

void HouseModel::fill_instant(std::int64_t t, const HouseSettings& settings, double dt) {
  HouseState& s = state_;
  s.time = t;
  const double reduction = std::clamp(settings.power_reduction, 0.0, 1.0);
  double pa = pv_power(0, t) * reduction;
  double pb = pv_power(1, t) * reduction;
  double pv_ac = (pa + pb) * kPvEfficiency;
  const double load = load_power(t);

  // Battery power, positive = discharge: self-consumption (cover the deficit, store the surplus,
  // keeping a small, jittering grid import as real controllers do) unless the strategy is
  // External; then limited by power and by the SOC window.
  const double control_offset = 25 + 40 * (noise(kControl, t, 20) - 0.5);
  double battery =
      settings.soc_strategy == 2 ? settings.battery_power_extern : load - pv_ac - control_offset;
  if (settings.soc_strategy == 4 && settings.grid_charge_trap >= 0 &&
      s.soc < settings.soc_min + settings.grid_charge_trap) {
    battery = -kBatteryMaxPower;
  }
  battery = std::clamp(battery, -kBatteryMaxPower, kBatteryMaxPower);
  const double soc_min = settings.soc_min;
  const double soc_max = settings.soc_max;
  if (dt > 0) {
    if (battery > 0) {
      const double available_wh = std::max(0.0, s.soc - soc_min) * kBatteryCapacityWh;
      battery = std::min(battery, available_wh * kDischargeEfficiency * 3600 / dt);
    } else if (battery < 0) {
      const double room_wh = std::max(0.0, soc_max - s.soc) * kBatteryCapacityWh;
      battery = std::max(battery, -room_wh / kChargeEfficiency * 3600 / dt);
    }
  } else if ((battery > 0 && s.soc <= soc_min) || (battery < 0 && s.soc >= soc_max)) {
    battery = 0;
  }

  // The inverter's AC rating caps PV + battery; PV is curtailed first.
  if (pv_ac + battery > kInverterMaxPower && pv_ac > 0) {
    const double allowed = std::max(0.0, kInverterMaxPower - battery);
    const double scale = std::min(1.0, allowed / pv_ac);
    pa *= scale;
    pb *= scale;
    pv_ac = (pa + pb) * kPvEfficiency;
  }

  if (dt > 0) {
    const double before = s.soc;
    if (battery > 0) {
      s.soc -= battery * dt / 3600 / kDischargeEfficiency / kBatteryCapacityWh;
      if (before >= soc_min) s.soc = std::max(s.soc, soc_min);
    } else if (battery < 0) {
      s.soc += -battery * dt / 3600 * kChargeEfficiency / kBatteryCapacityWh;
      if (before <= soc_max) s.soc = std::min(s.soc, soc_max);
    }
    s.soc = std::clamp(s.soc, 0.0, 1.0);
  }

  s.pv_a = pa;
  s.pv_b = pb;
  s.u_a = pa > 0 ? 330 + 120 * std::pow(std::min(1.0, pa / 1500), 0.25) : 0;
  s.u_b = pb > 0 ? 320 + 115 * std::pow(std::min(1.0, pb / 1000), 0.25) : 0;
  s.load = load;
  s.load_phase = load_split(t, load);
  s.battery = battery;
  s.ac = pv_ac + battery;
  s.grid = load - s.ac;
  for (std::size_t i = 0; i < 3; ++i) {
    s.ac_phase[i] = s.ac / 3;
    s.grid_phase[i] = s.load_phase[i] - s.ac_phase[i];
    s.grid_voltage[i] = grid_voltage(static_cast<int>(i), t);
  }
  s.frequency = 50 + 0.04 * (noise(kFrequency, t, 30) - 0.5);
  s.cell_voltage = 3.05 + 0.33 * s.soc - 0.04 * battery / kBatteryMaxPower;
  s.battery_voltage = s.cell_voltage * kCellsInSeries;
  s.battery_current = battery / s.battery_voltage;
  s.ambient_temperature = ambient_temperature(t);
  s.heat_sink_temperature = s.ambient_temperature + 8 + 25 * std::abs(s.ac) / kInverterMaxPower;
  s.battery_converter_temperature =
      s.ambient_temperature + 6 + 20 * std::abs(battery) / kBatteryMaxPower;
  s.core_temperature = s.heat_sink_temperature + 10;
  s.battery_temperature = 21 + 2 * season(t) + 4 * std::abs(battery) / kBatteryMaxPower;
  s.inverter_state = (pa + pb > 0 || battery != 0) ? 13 : 2;
}

}  // namespace rct::sim
