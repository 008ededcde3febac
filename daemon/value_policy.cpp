#include "daemon/value_policy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <type_traits>

#include "core/enum_tables.h"

namespace rct::daemon {
namespace {

// The device value reduced to what the policy needs.
struct Reading {
  enum class Kind { kBool, kInteger, kEnum, kFloat, kText, kOther };
  Kind kind = Kind::kOther;
  bool flag = false;
  std::int64_t integer = 0;
  double number = 0;
  const std::string* text = nullptr;
};

// A status word (INT32) as its bit pattern; nullopt for anything but an integer.
std::optional<std::int32_t> status_word(const Reading& r) {
  if (r.kind != Reading::Kind::kInteger) return std::nullopt;
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(r.integer));
}

Reading read(const Value& value) {
  Reading r;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          r.kind = Reading::Kind::kBool;
          r.flag = v;
        } else if constexpr (std::is_integral_v<T>) {
          r.kind = Reading::Kind::kInteger;
          // An int8 OID holds a number, not a character: sign extension is what is wanted.
          r.integer = static_cast<std::int64_t>(v);  // NOLINT(bugprone-signed-char-misuse)
          r.number = static_cast<double>(v);
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          r.kind = Reading::Kind::kEnum;
          r.integer = v.value;
          r.number = v.value;
        } else if constexpr (std::is_same_v<T, float>) {
          r.kind = Reading::Kind::kFloat;
          r.number = v;
        } else if constexpr (std::is_same_v<T, std::string>) {
          r.kind = Reading::Kind::kText;
          r.text = &v;
        }
      },
      value);
  return r;
}

// Physical limits of counters per hour of elapsed time, and a slack for rounding and for
// readings taken at slightly different moments.
struct Rate {
  double per_hour;
  double slack;
};

Rate counter_rate(Quantity q) {
  switch (q) {
    case Quantity::kEnergy:
      return {100'000.0, 10.0};  // Wh: 100 kW
    case Quantity::kCharge:
      return {1'000.0, 1.0};  // Ah: 1000 A
    case Quantity::kCount:
      return {10.0, 1.0};  // full cycles
    default:
      return {1e12, 1.0};  // a counter of some other quantity (user override): no rate limit
  }
}

double allowed_increase(const Rate& rate, Duration elapsed) {
  const double hours = std::chrono::duration<double, std::ratio<3600>>(elapsed).count();
  return rate.per_hour * std::max(hours, 0.0) + rate.slack;
}

bool is_numeric(Quantity q) {
  switch (q) {
    case Quantity::kText:
    case Quantity::kFlag:
    case Quantity::kCode:
      return false;
    default:
      return true;
  }
}

struct Shown {
  SensorValue value;
  std::string payload;
  double number = 0;        // for the deadband; 0 for text
  bool from_float = false;  // a number formatted as a FLOAT (payload_of needs it)
};

Shown text_value(std::string s) {
  Shown out{SensorValue{s}, s, 0, false};
  return out;
}

Shown integer_value(std::int64_t v) {
  return Shown{SensorValue{v}, format_integer(v), static_cast<double>(v), false};
}

// The payload of a value that is already shown (Published keeps no payload).
std::string payload_of(const SensorValue& v, bool from_float) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, bool>) {
          return x ? "ON" : "OFF";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return format_integer(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return payload_number(x, from_float);
        } else {
          return x;
        }
      },
      v);
}

Shown number_value(double v, bool from_float) {
  if (from_float) v = static_cast<double>(static_cast<float>(v));  // what the text shows
  if (v == 0) v = 0;                                               // no "-0"
  return Shown{SensorValue{v}, payload_number(v, from_float), v, from_float};
}

// Inserts at `pos` growing the capacity by one only: these vectors fill once, in the first
// minutes of a session, and then live as long as it (no doubling's spare half).
template <class T>
typename std::vector<T>::iterator insert_exact(std::vector<T>& v,
                                               typename std::vector<T>::iterator pos, T value) {
  const auto index = pos - v.begin();
  if (v.size() == v.capacity()) v.reserve(v.size() + 1);
  return v.insert(v.begin() + index, std::move(value));
}

}  // namespace

std::string_view rejection_name(Rejection r) {
  switch (r) {
    case Rejection::kWrongType:
      return "wrong_type";
    case Rejection::kNotFinite:
      return "not_finite";
    case Rejection::kOutOfRange:
      return "out_of_range";
    case Rejection::kCounterZero:
      return "counter_zero";
    case Rejection::kCounterDecrease:
      return "counter_decrease";
    case Rejection::kCounterJump:
      return "counter_jump";
    case Rejection::kUnconfirmed:
      return "unconfirmed";
  }
  return "?";
}

std::string format_integer(std::int64_t v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

ValuePolicy::ValuePolicy(PolicySettings settings, CounterTotals persisted)
    : settings_(settings), totals_(std::move(persisted)) {
  for (const auto& [oid, total] : totals_) {
    if (std::isfinite(total) && total > 0) guard_of(oid).last = total;
  }
}

std::uint64_t ValuePolicy::rejected_total() const {
  return std::accumulate(rejected_.begin(), rejected_.end(), std::uint64_t{0});
}

int ValuePolicy::consecutive_decreases(std::uint32_t oid) const {
  auto it = std::lower_bound(guards_.begin(), guards_.end(), oid,
                             [](const auto& g, std::uint32_t id) { return g.first < id; });
  return it == guards_.end() || it->first != oid ? 0 : it->second.decreases;
}

ValuePolicy::Guard& ValuePolicy::guard_of(std::uint32_t oid) {
  auto it = std::lower_bound(guards_.begin(), guards_.end(), oid,
                             [](const auto& g, std::uint32_t id) { return g.first < id; });
  if (it == guards_.end() || it->first != oid) {
    it = insert_exact(guards_, it, std::pair<std::uint32_t, Guard>{oid, Guard{}});
  }
  return it->second;
}

std::vector<ValuePolicy::Published>::iterator ValuePolicy::published_at(const std::string& key) {
  return std::lower_bound(published_.begin(), published_.end(), key,
                          [](const Published& p, const std::string& k) { return p.key < k; });
}

std::optional<Rejection> ValuePolicy::guard(std::uint32_t oid, const SensorSpec& s, double x,
                                            Instant now) {
  Guard& g = guard_of(oid);
  const Rate rate = counter_rate(s.quantity);
  const bool lifetime = s.counter == CounterKind::kLifetime;

  if (lifetime && x <= 0) {
    // g.last is set by every accepted nonzero total and by a persisted one, never by an
    // accepted 0: a counter that leaves 0 later starts from no baseline, like a first reading.
    const bool never_counted = !g.last && !g.seen_nonzero;
    if (x == 0 && never_counted) {
      g.zeros = std::min(g.zeros + 1, kZeroReadingsForGenuineZero);
      if (g.zeros == kZeroReadingsForGenuineZero) return std::nullopt;
    } else {
      g.zeros = 0;
    }
    return Rejection::kCounterZero;
  }
  g.zeros = 0;
  if (lifetime) g.seen_nonzero = true;

  bool accept = false;
  if (g.last && x < *g.last) {
    // Periodic counters restart from 0 at their boundary: accept a drop to a value that can
    // have been counted since the previous reading. Lifetime counters never go down.
    const double since_reset = g.last_at ? allowed_increase(rate, now - *g.last_at) : rate.slack;
    if (lifetime || x > since_reset) {
      ++g.decreases;
      g.candidate.reset();
      return Rejection::kCounterDecrease;
    }
    accept = true;
  } else if (g.last && g.last_at) {
    // Baseline from this process: physics decides.
    if (x - *g.last > allowed_increase(rate, now - *g.last_at)) return Rejection::kCounterJump;
    accept = true;
  } else {
    // A baseline from the state file, (almost) unchanged, or a value that confirms the candidate.
    const bool unchanged = g.last && x - *g.last <= rate.slack;
    const bool confirms = g.candidate && x >= *g.candidate &&
                          x - *g.candidate <= allowed_increase(rate, now - g.candidate_at);
    accept = unchanged || confirms;
  }

  g.decreases = 0;
  if (!accept) {
    g.candidate = x;
    g.candidate_at = now;
    return Rejection::kUnconfirmed;
  }
  g.candidate.reset();
  g.last = x;
  g.last_at = now;
  if (lifetime) {
    auto [it, inserted] = totals_.try_emplace(oid, x);
    if (inserted || it->second != x) {
      it->second = x;
      totals_changed_ = true;
    }
  }
  return std::nullopt;
}

bool ValuePolicy::due(const Published* last, const SensorValue& v, const std::string& payload,
                      double deadband, Instant now) const {
  if (last == nullptr) return true;
  const Published& p = *last;
  if (now - p.at >= settings_.heartbeat) return true;
  const bool numeric = !std::holds_alternative<std::string>(v) && !std::holds_alternative<bool>(v);
  const bool was_numeric =
      !std::holds_alternative<std::string>(p.value) && !std::holds_alternative<bool>(p.value);
  if (numeric && was_numeric && deadband > 0) {
    const auto as_double = [](const SensorValue& s) {
      if (const auto* d = std::get_if<double>(&s)) return *d;
      return static_cast<double>(std::get<std::int64_t>(s));
    };
    return std::fabs(as_double(v) - as_double(p.value)) > deadband;
  }
  if (const auto* text = std::get_if<std::string>(&p.value)) return payload != *text;
  return payload != payload_of(p.value, p.from_float);
}

std::optional<Publication> ValuePolicy::publish_if_due(const std::string& key, SensorValue value,
                                                       std::string payload, double deadband,
                                                       bool from_float, Instant now) {
  auto at = published_at(key);
  const bool known = at != published_.end() && at->key == key;
  if (!due(known ? &*at : nullptr, value, payload, deadband, now)) return std::nullopt;
  if (!known) at = insert_exact(published_, at, Published{key, {}, {}, false});
  at->value = value;
  at->at = now;
  at->from_float = from_float;
  return Publication{key, std::move(payload), std::move(value)};
}

std::vector<Publication> ValuePolicy::on_reading(const PollItem& item, const Value& value,
                                                 Instant now) {
  std::vector<Publication> out;
  const Reading r = read(value);
  std::optional<Rejection> first_rejection;

  if (item.oid == kOidBatteryStatus) battery_.on_bat_status(status_word(r));
  const std::optional<std::size_t> fault_word = fault_word_index(item.oid);
  std::optional<std::uint32_t> fault_value;
  if (const auto w = status_word(r)) fault_value = static_cast<std::uint32_t>(*w);
  if (fault_word && *fault_word + 1 < kFaultWordCount) faults_.on_word(*fault_word, fault_value);

  for (const SensorSpec& s : item.sensors) {
    std::optional<Shown> shown;
    std::optional<Rejection> why;

    if (s.derivation == Derivation::kBatteryState) {
      if (!status_word(r) && !first_rejection) first_rejection = Rejection::kWrongType;
      const std::optional<BatteryState> state = battery_.on_status2(status_word(r));
      if (!state) continue;
      const std::string summary(battery_summary_text(state->summary));
      if (auto p = publish_if_due(s.key, SensorValue{summary}, summary, 0.0, false, now)) {
        out.push_back(std::move(*p));
      }
      if (!s.json_attributes_key.empty()) {
        const std::string attributes = battery_state_attributes(*state);
        if (auto p = publish_if_due(s.json_attributes_key, SensorValue{attributes}, attributes, 0.0,
                                    false, now)) {
          out.push_back(std::move(*p));
        }
      }
      continue;
    }
    if (s.derivation == Derivation::kFaultState) {
      if (!fault_value && !first_rejection) first_rejection = Rejection::kWrongType;
      const std::optional<FaultWords> words = faults_.on_last_word(fault_value);
      if (!words) continue;
      fault_words_ = words;
      const std::string summary = fault_summary(*words);
      if (auto p = publish_if_due(s.key, SensorValue{summary}, summary, 0.0, false, now)) {
        out.push_back(std::move(*p));
      }
      const std::string attributes = fault_attributes(*words);
      if (auto p = publish_if_due(s.json_attributes_key, SensorValue{attributes}, attributes, 0.0,
                                  false, now)) {
        out.push_back(std::move(*p));
      }
      continue;
    }
    if (s.platform == Platform::kBinarySensor) {
      if (r.kind == Reading::Kind::kBool) {
        shown = Shown{SensorValue{r.flag}, r.flag ? "ON" : "OFF", 0, false};
      } else {
        why = Rejection::kWrongType;
      }
    } else if (s.quantity == Quantity::kText) {
      switch (r.kind) {
        case Reading::Kind::kText:
          shown = text_value(*r.text);
          break;
        case Reading::Kind::kEnum: {
          const auto text = s.enum_text ? enum_text(item.oid, static_cast<std::uint8_t>(r.integer))
                                        : std::nullopt;
          shown = text ? text_value(std::string(*text)) : text_value(format_integer(r.integer));
          break;
        }
        case Reading::Kind::kInteger:
          shown = text_value(format_integer(r.integer));
          break;
        case Reading::Kind::kBool:
          shown = text_value(r.flag ? "ON" : "OFF");
          break;
        case Reading::Kind::kFloat:
          if (std::isfinite(r.number)) {
            shown = text_value(payload_number(r.number, true));
          } else {
            why = Rejection::kNotFinite;
          }
          break;
        case Reading::Kind::kOther:
          why = Rejection::kWrongType;
          break;
      }
    } else if (s.quantity == Quantity::kCode) {
      if (r.kind == Reading::Kind::kInteger || r.kind == Reading::Kind::kEnum) {
        shown = integer_value(r.integer);
      } else {
        why = Rejection::kWrongType;
      }
    } else if (is_numeric(s.quantity)) {
      const bool numeric = r.kind == Reading::Kind::kInteger || r.kind == Reading::Kind::kEnum ||
                           r.kind == Reading::Kind::kFloat;
      double x = r.number;
      if (s.sign == Sign::kAbsolute) x = std::fabs(x);
      const bool implausible =
          !numeric || !std::isfinite(x) || (s.bounds && !s.bounds->contains(x));
      // A reading that is not 0 breaks a lifetime counter's run of zeros, also when rejected.
      if (implausible && s.counter == CounterKind::kLifetime) guard_of(item.oid).zeros = 0;
      if (!numeric) {
        why = Rejection::kWrongType;
      } else if (!std::isfinite(x)) {
        why = Rejection::kNotFinite;
      } else {
        if (s.bounds && !s.bounds->contains(x)) {
          why = Rejection::kOutOfRange;
        } else {
          switch (s.derivation) {
            case Derivation::kNone:
              break;
            case Derivation::kPositivePart:
              x = std::max(x, 0.0);
              break;
            case Derivation::kNegativePart:
              x = std::max(-x, 0.0);
              break;
            case Derivation::kBatteryState:
            case Derivation::kFaultState:
              break;  // handled above, from several words
          }
          if (s.counter != CounterKind::kNone) why = guard(item.oid, s, x, now);
          if (!why) {
            const double published = x * s.scale;
            if (!std::isfinite(published)) {
              why = Rejection::kOutOfRange;
            } else if (r.kind != Reading::Kind::kFloat && s.scale == 1.0 &&
                       s.derivation == Derivation::kNone) {
              shown = integer_value(static_cast<std::int64_t>(x));
            } else {
              shown = number_value(published, r.kind == Reading::Kind::kFloat);
            }
          }
        }
      }
    }

    if (!shown) {
      if (why && !first_rejection) first_rejection = why;
      continue;
    }
    if (auto p = publish_if_due(s.key, std::move(shown->value), std::move(shown->payload),
                                s.deadband, shown->from_float, now)) {
      out.push_back(std::move(*p));
    }
  }
  // One count per reading, however many sensors it feeds.
  if (first_rejection) ++rejected_[static_cast<std::size_t>(*first_rejection)];
  return out;
}

std::vector<Publication> ValuePolicy::current() const {
  std::vector<Publication> out;
  out.reserve(published_.size());
  for (const Published& p : published_) {
    out.push_back(Publication{p.key, payload_of(p.value, p.from_float), p.value});
  }
  return out;
}

}  // namespace rct::daemon
