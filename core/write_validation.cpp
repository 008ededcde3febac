#include "core/write_validation.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <type_traits>

#include "core/enum_tables.h"
#include "core/hex.h"
#include "core/number_text.h"
#include "core/text_parse.h"
#include "core/value_codec.h"

namespace rct {
namespace {

// Relative slack for float32 noise: 0.07f × 100 = 7.0000000298…
constexpr double kNoise = 1e-6;

// Decimals that show a multiple of `step` exactly: 1 → 0, 0.5 → 1, 0.01 → 2.
int step_decimals(double step) {
  int d = 0;
  for (double s = step; d < 6 && std::fabs(s - std::round(s)) > kNoise; s *= 10) ++d;
  return d;
}

std::string number_text(const WritableEntry& e, double user) {
  return fixed_number(user, step_decimals(e.step));
}

// "20 %", "-1500 W", "External": a user value with its unit, for messages.
// The texts below are built by appending to one string: `" " + std::string(unit)` inserts at the
// front of a temporary, which g++ 12 at -O3 reports as an overlapping memcpy inside libstdc++
// (-Wrestrict, a false positive).
std::string with_unit(const WritableEntry& e, const std::string& text) {
  std::string s = text;
  if (!e.unit.empty()) s.append(" ").append(e.unit);
  return s;
}

std::string range_text(const WritableEntry& e) {
  std::string s = number_text(e, e.min);
  s.append("..").append(number_text(e, e.max));
  if (!e.unit.empty()) s.append(" ").append(e.unit);
  return s;
}

std::string options_text(const WritableEntry& e) {
  std::string s;
  for (const EnumEntry& o : enum_options(e)) {
    if (!s.empty()) s += ", ";
    s.append(std::to_string(o.value)).append(" ").append(o.text);
  }
  return s;
}

WriteRejection reject(RejectReason reason, std::string message) {
  return WriteRejection{reason, std::move(message)};
}

std::optional<double> numeric(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::optional<double> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, EnumValue>) {
          return static_cast<double>(x.value);
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? 1.0 : 0.0;
        } else if constexpr (std::is_arithmetic_v<T>) {
          return static_cast<double>(x);
        } else {
          return std::nullopt;
        }
      },
      v);
}

// Names of the OIDs the interlocks read, for messages (the registry is not needed for nine).
std::string_view interlock_oid_name(std::uint32_t oid) {
  switch (oid) {
    case kOidBatteryStatus:
      return "battery.bat_status";
    case kOidBatteryStatus2:
      return "battery.status2";
    case kOidBatterySoc:
      return "battery.soc";
    case kOidSocStrategy:
      return "power_mng.soc_strategy";
    case kOidBatteryPowerExtern:
      return "power_mng.battery_power_extern";
    case kOidSocMin:
      return "power_mng.soc_min";
    case kOidSocMax:
      return "power_mng.soc_max";
    case kOidSocMinIsland:
      return "power_mng.soc_min_island";
    default:
      return "?";
  }
}

std::string strategy_text(std::uint8_t v) {
  const auto t = enum_text(kOidSocStrategy, v);
  return (t ? std::string(*t) : std::string("?")) + " (" + std::to_string(v) + ")";
}

// A device value in percent, for SOC messages: 0.8 → "80 %".
std::string percent_text(double fraction) {
  return fixed_number(fraction * 100.0, 2) + " %";
}

Result<PreparedWrite, WriteRejection> finish(const WritableEntry& e, Value value, double user,
                                             std::string text) {
  auto payload = encode_value(e.type, value);
  if (!payload) {
    return reject(RejectReason::kUnparseable,
                  std::string(e.name) +
                      ": cannot encode: " + std::string(value_error_message(payload.error())));
  }
  PreparedWrite w;
  w.entry = &e;
  w.value = std::move(value);
  w.payload = std::move(*payload);
  w.user_value = user;
  w.text = std::move(text);
  return w;
}

Result<PreparedWrite, WriteRejection> prepare_number(const WritableEntry& e, double v,
                                                     InputUnit unit) {
  const std::string name(e.name);
  if (!std::isfinite(v)) {
    return reject(RejectReason::kOutOfRange, name + ": needs a finite number in " + range_text(e));
  }
  const double user = unit == InputUnit::kUser ? v : v * e.scale;
  const double slack = kNoise * std::max(1.0, std::fabs(user));
  if (user < e.min - slack || user > e.max + slack) {
    std::string shown = with_unit(e, fixed_number(user, 6));
    if (unit == InputUnit::kWire && e.scale != 1.0)
      shown += " (" + fixed_number(v, 6) + " on the wire)";
    return reject(RejectReason::kOutOfRange, name + ": " + shown + " is outside " + range_text(e));
  }
  const double steps = user / e.step;
  if (std::fabs(steps - std::round(steps)) > kNoise * std::max(1.0, std::fabs(steps))) {
    return reject(RejectReason::kBadStep, name + ": " + with_unit(e, fixed_number(user, 6)) +
                                              " is not a multiple of " +
                                              with_unit(e, number_text(e, e.step)));
  }
  // + 0.0 turns -0 into 0: a power of "-0" goes out as 00000000.
  const double snapped = std::clamp(std::round(steps) * e.step, e.min, e.max) + 0.0;
  return finish(e, Value(static_cast<float>(snapped / e.scale)), snapped, number_text(e, snapped));
}

Result<PreparedWrite, WriteRejection> prepare_select(const WritableEntry& e, std::int64_t v) {
  for (const EnumEntry& o : enum_options(e)) {
    if (o.value == v) return finish(e, Value(EnumValue{o.value}), o.value, std::string(o.text));
  }
  return reject(RejectReason::kBadEnum, std::string(e.name) + ": " + std::to_string(v) +
                                            " is not one of: " + options_text(e));
}

Result<PreparedWrite, WriteRejection> prepare_switch(const WritableEntry& e, bool on) {
  return finish(e, Value(on), on ? 1.0 : 0.0, on ? "ON" : "OFF");
}

// Allowlist and policy: the entry, or why not.
Result<const WritableEntry*, WriteRejection> admit(const WritePolicy& policy, std::uint32_t oid) {
  const WritableEntry* e = find_writable(oid);
  if (e == nullptr) {
    return reject(RejectReason::kNotAllowlisted,
                  format_oid(oid) + " is not on the write allowlist");
  }
  if (!policy.enabled) {
    return reject(RejectReason::kWritesDisabled, std::string(e->name) + ": writes are disabled");
  }
  if (std::find(policy.allowed.begin(), policy.allowed.end(), oid) == policy.allowed.end()) {
    return reject(RejectReason::kNotAllowlisted,
                  std::string(e->name) + " is not among the values allowed to be written");
  }
  return e;
}

const Value* find_value(const CurrentValues& current, std::uint32_t oid) {
  auto it = current.find(oid);
  return it == current.end() ? nullptr : &it->second;
}

// The current value of `oid` as a number, or the rejection that it is unknown.
Result<double, WriteRejection> need(const PreparedWrite& w, const CurrentValues& current,
                                    std::uint32_t oid, Interlock i) {
  const Value* v = find_value(current, oid);
  std::optional<double> n = v ? numeric(*v) : std::nullopt;
  if (!n || std::isnan(*n)) {
    return reject(RejectReason::kInterlock,
                  std::string(w.entry->name) + ": cannot check " + std::string(interlock_name(i)) +
                      ": " + std::string(interlock_oid_name(oid)) + " could not be read");
  }
  return *n;
}

// A status word (INT32) as its bit pattern, or the rejection that it is unknown. Only integers
// count: a float or text in its place is no reading of the bits.
Result<std::int32_t, WriteRejection> need_status_word(const PreparedWrite& w,
                                                      const CurrentValues& current,
                                                      std::uint32_t oid, Interlock i) {
  const Value* v = find_value(current, oid);
  std::optional<std::int32_t> bits;
  if (v != nullptr) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
            bits = static_cast<std::int32_t>(static_cast<std::uint32_t>(x));
          }
        },
        *v);
  }
  if (!bits) {
    return reject(RejectReason::kInterlock,
                  std::string(w.entry->name) + ": cannot check " + std::string(interlock_name(i)) +
                      ": " + std::string(interlock_oid_name(oid)) + " could not be read");
  }
  return *bits;
}

bool needs_read(const PreparedWrite& w, Interlock i) {
  if (!has_interlock(w.entry->interlocks, i)) return false;
  const double v = w.user_value;
  switch (i) {
    case Interlock::kBatteryBits:
      // The revert targets always pass: Internal for the strategy, 0 W for the power.
      return w.entry->oid == kOidSocStrategy ? v != kStrategyInternal : v != 0.0;
    case Interlock::kExternPowerZero:
      return v == kStrategyExternal;
    case Interlock::kStrategyExternal:
      return v != 0.0;
    case Interlock::kNotAboveSocMax:
    case Interlock::kNotBelowSocMins:
    case Interlock::kNotAboveSoc:
      return true;
  }
  return false;
}

std::vector<std::uint32_t> reads_of(Interlock i) {
  switch (i) {
    case Interlock::kBatteryBits:
      return {kOidBatteryStatus, kOidBatteryStatus2};
    case Interlock::kExternPowerZero:
      return {kOidBatteryPowerExtern};
    case Interlock::kStrategyExternal:
      return {kOidSocStrategy};
    case Interlock::kNotAboveSocMax:
      return {kOidSocMax};
    case Interlock::kNotBelowSocMins:
      return {kOidSocMin, kOidSocMinIsland};
    case Interlock::kNotAboveSoc:
      return {kOidBatterySoc, kOidSocMin};
  }
  return {};
}

Result<void, WriteRejection> check_one(const WritePolicy& policy, const PreparedWrite& w,
                                       Interlock i, const CurrentValues& current) {
  const std::string name(w.entry->name);
  const double wire = numeric(w.value).value_or(0.0);
  switch (i) {
    case Interlock::kBatteryBits: {
      auto bat_status = need_status_word(w, current, kOidBatteryStatus, i);
      if (!bat_status) return bat_status.error();
      auto status2 = need_status_word(w, current, kOidBatteryStatus2, i);
      if (!status2) return status2.error();
      const BatteryState state = decode_battery_state(*bat_status, *status2);
      if (auto why = battery_block_reason(policy.battery, state)) {
        return reject(RejectReason::kInterlock, name + ": refused while the battery " + *why);
      }
      return {};
    }
    case Interlock::kExternPowerZero: {
      auto power = need(w, current, kOidBatteryPowerExtern, i);
      if (!power) return power.error();
      if (*power != 0.0) {
        return reject(RejectReason::kInterlock,
                      name +
                          ": switching to External would apply power_mng.battery_power_extern = " +
                          fixed_number(*power, 1) + " W at once: write it 0 first");
      }
      return {};
    }
    case Interlock::kStrategyExternal: {
      auto strategy = need(w, current, kOidSocStrategy, i);
      if (!strategy) return strategy.error();
      if (*strategy != kStrategyExternal) {
        return reject(RejectReason::kInterlock,
                      name + ": a power other than 0 W needs power_mng.soc_strategy " +
                          strategy_text(kStrategyExternal) + ", but it is " +
                          strategy_text(static_cast<std::uint8_t>(*strategy)));
      }
      return {};
    }
    case Interlock::kNotAboveSocMax: {
      auto soc_max = need(w, current, kOidSocMax, i);
      if (!soc_max) return soc_max.error();
      if (wire > *soc_max + kNoise) {
        return reject(RejectReason::kInterlock, name + ": " + percent_text(wire) +
                                                    " is above power_mng.soc_max " +
                                                    percent_text(*soc_max));
      }
      return {};
    }
    case Interlock::kNotBelowSocMins: {
      for (std::uint32_t oid : {kOidSocMin, kOidSocMinIsland}) {
        auto minimum = need(w, current, oid, i);
        if (!minimum) return minimum.error();
        if (wire < *minimum - kNoise) {
          return reject(RejectReason::kInterlock, name + ": " + percent_text(wire) + " is below " +
                                                      std::string(interlock_oid_name(oid)) + " " +
                                                      percent_text(*minimum));
        }
      }
      return {};
    }
    case Interlock::kNotAboveSoc: {
      auto soc = need(w, current, kOidBatterySoc, i);
      if (!soc) return soc.error();
      auto soc_min = need(w, current, kOidSocMin, i);
      if (!soc_min) return soc_min.error();
      // Lowering (or keeping) the minimum is always allowed; raising it above the SOC is not.
      if (wire > *soc + kNoise && wire > *soc_min + kNoise) {
        return reject(RejectReason::kInterlock,
                      name + ": " + percent_text(wire) + " is above the battery SOC " +
                          percent_text(*soc) +
                          ": the inverter would charge the battery up to it, from the grid if "
                          "need be");
      }
      return {};
    }
  }
  return {};
}

}  // namespace

std::string_view reject_reason_name(RejectReason r) {
  switch (r) {
    case RejectReason::kNotAllowlisted:
      return "not_allowlisted";
    case RejectReason::kWritesDisabled:
      return "writes_disabled";
    case RejectReason::kOutOfRange:
      return "out_of_range";
    case RejectReason::kBadStep:
      return "bad_step";
    case RejectReason::kBadEnum:
      return "bad_enum";
    case RejectReason::kUnparseable:
      return "unparseable";
    case RejectReason::kInterlock:
      return "interlock";
    case RejectReason::kRateLimited:
      return "rate_limited";
  }
  return "?";
}

WritePolicy allow_every_writable() {
  WritePolicy p;
  p.enabled = true;
  for (const WritableEntry& e : writable_entries()) p.allowed.push_back(e.oid);
  return p;
}

Result<PreparedWrite, WriteRejection> prepare_write(const WritePolicy& policy, std::uint32_t oid,
                                                    std::string_view text, InputUnit unit) {
  auto admitted = admit(policy, oid);
  if (!admitted) return admitted.error();
  const WritableEntry& e = **admitted;
  const std::string name(e.name);
  const std::string_view t = trim_space(text);
  switch (write_kind(e)) {
    case WriteKind::kBool: {
      if (iequals_ascii(t, "on")) return prepare_switch(e, true);
      if (iequals_ascii(t, "off")) return prepare_switch(e, false);
      auto b = parse_bool(t);
      if (!b) {
        return reject(RejectReason::kUnparseable,
                      name + ": '" + loggable(t) + "' is not ON, OFF, true, false, 1 or 0");
      }
      return prepare_switch(e, *b);
    }
    case WriteKind::kEnum: {
      auto n = parse_integer(t, -1'000'000, 1'000'000);
      if (n) return prepare_select(e, *n);
      for (const EnumEntry& o : enum_options(e)) {
        if (iequals_ascii(t, o.text)) return prepare_select(e, o.value);
      }
      return reject(RejectReason::kBadEnum,
                    name + ": '" + loggable(t) + "' is not one of: " + options_text(e));
    }
    case WriteKind::kNumber: {
      auto f = parse_float32(t);
      if (!f) {
        if (f.error() == TextError::kOutOfRange) {
          return reject(RejectReason::kOutOfRange,
                        name + ": '" + loggable(t) + "' is outside " + range_text(e));
        }
        return reject(RejectReason::kUnparseable, name + ": '" + loggable(t) + "' is not a number");
      }
      // Parsed text keeps its decimal value (7.5, not 7.5f) for the unit conversion.
      double v = *f;
      if (std::isfinite(v)) {
        double exact = 0;
        const auto r = std::from_chars(t.data() + (t.size() > 0 && t[0] == '+' ? 1 : 0),
                                       t.data() + t.size(), exact);
        if (r.ec == std::errc() && r.ptr == t.data() + t.size()) v = exact;
      }
      return prepare_number(e, v, unit);
    }
  }
  return reject(RejectReason::kUnparseable, name + ": unsupported kind");
}

Result<PreparedWrite, WriteRejection> prepare_write(const WritePolicy& policy, std::uint32_t oid,
                                                    double number, InputUnit unit) {
  auto admitted = admit(policy, oid);
  if (!admitted) return admitted.error();
  const WritableEntry& e = **admitted;
  const std::string name(e.name);
  switch (write_kind(e)) {
    case WriteKind::kBool:
      if (number == 0.0 || number == 1.0) return prepare_switch(e, number == 1.0);
      return reject(RejectReason::kUnparseable, name + ": a switch takes 0 or 1");
    case WriteKind::kEnum:
      if (!std::isfinite(number) || number != std::round(number) || std::fabs(number) > 1e6) {
        return reject(RejectReason::kBadEnum,
                      name + ": " + fixed_number(number, 6) + " is not one of: " + options_text(e));
      }
      return prepare_select(e, static_cast<std::int64_t>(number));
    case WriteKind::kNumber:
      return prepare_number(e, number, unit);
  }
  return reject(RejectReason::kUnparseable, name + ": unsupported kind");
}

std::vector<std::uint32_t> interlock_reads(const PreparedWrite& write) {
  std::vector<std::uint32_t> out;
  if (write.entry == nullptr) return out;
  for (Interlock i : kAllInterlocks) {
    if (!needs_read(write, i)) continue;
    for (std::uint32_t oid : reads_of(i)) {
      if (std::find(out.begin(), out.end(), oid) == out.end()) out.push_back(oid);
    }
  }
  return out;
}

Result<void, WriteRejection> check_interlocks(const WritePolicy& policy, const PreparedWrite& write,
                                              const CurrentValues& current) {
  if (write.entry == nullptr) {
    return reject(RejectReason::kNotAllowlisted, "no allowlist entry");
  }
  for (Interlock i : kAllInterlocks) {
    if (!needs_read(write, i)) continue;
    if (auto r = check_one(policy, write, i, current); !r) return r;
  }
  return {};
}

Result<PreparedWrite, WriteRejection> validate_write(const WritePolicy& policy, std::uint32_t oid,
                                                     std::string_view text, InputUnit unit,
                                                     const CurrentValues& current) {
  auto prepared = prepare_write(policy, oid, text, unit);
  if (!prepared) return prepared;
  if (auto r = check_interlocks(policy, *prepared, current); !r) return r.error();
  return prepared;
}

bool readback_matches(const PreparedWrite& write, const Value& readback) {
  if (write.value.index() != readback.index()) return false;
  if (const float* want = std::get_if<float>(&write.value)) {
    const float got = std::get<float>(readback);
    if (!std::isfinite(got)) return false;
    const double w = *want;
    return std::fabs(static_cast<double>(got) - w) <= kNoise * std::max(1.0, std::fabs(w));
  }
  return write.value == readback;
}

std::optional<double> user_value(const WritableEntry& entry, const Value& wire) {
  std::optional<double> n = numeric(wire);
  if (!n) return std::nullopt;
  return *n * entry.scale;
}

std::string user_text(const WritableEntry& entry, const Value& wire) {
  const std::optional<double> v = user_value(entry, wire);
  if (!v) return "?";
  switch (write_kind(entry)) {
    case WriteKind::kBool:
      return *v != 0.0 ? "ON" : "OFF";
    case WriteKind::kEnum: {
      if (*v >= 0 && *v <= 255 && *v == std::round(*v)) {
        if (auto t = enum_text(entry.oid, static_cast<std::uint8_t>(*v))) return std::string(*t);
      }
      return fixed_number(*v, 0);
    }
    case WriteKind::kNumber:
      if (!std::isfinite(*v)) return std::isnan(*v) ? "nan" : (*v > 0 ? "inf" : "-inf");
      return fixed_number(*v, step_decimals(entry.step) + 2);
  }
  return "?";
}

}  // namespace rct
