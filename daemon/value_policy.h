#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/number_text.h"
#include "core/value.h"
#include "daemon/battery_state_sensor.h"
#include "daemon/fault_sensor.h"
#include "daemon/instant.h"
#include "daemon/poll_item.h"

// From a validated reading to what gets published (one ValuePolicy per inverter):
//   1. type check, then plausibility: NaN/Inf and values outside the quantity's bounds are
//      rejected (bounds in the OID's own units, after the sign rule);
//   2. sign rule (|x| for feed-in counters), derivation (split sensors), scale (fraction → %),
//      enum → text, BOOL → ON/OFF;
//   3. the COUNTER GUARD (below);
//   4. publish on change beyond the sensor's deadband, or when the heartbeat is due.
// The battery state (Derivation::kBatteryState) is the one sensor fed by two OIDs: every reading
// of battery.bat_status is remembered, and a reading of battery.status2 publishes the state of
// both (daemon/battery_state_sensor.h).
// A rejected reading publishes nothing; the last good value stays (HA's expire_after marks
// it stale if nothing good arrives for long).
//
// Counter guard (docs/mqtt.md §2.5: lifetime counters never publish 0 or a decrease;
// docs/protocol.md §15.3). Values are compared in the OID's units after the sign rule.
//   Lifetime (total_increasing totals):
//     - 0 or less is never published, with one exception: a counter that has never left 0
//       (no nonzero total accepted, persisted totals included, and no plausible nonzero reading
//       seen by this process) is published as 0 once its last kZeroReadingsForGenuineZero
//       readings were all 0 (an external generator that is not there counts nothing); a single
//       glitch zero is never published, and any other reading breaks the run;
//     - a value below the last accepted total is never published, however long it persists
//       (a genuine device reset is therefore only followed once the device counts past the
//       old total; consecutive decreases are counted for diagnostics);
//     - the last accepted totals are persisted (totals()), so this holds across restarts.
//   Periodic (day/month/year):
//     - a drop is accepted only as a period reset: the new value must be small enough to
//       have been counted from 0 since the previous reading (rate limit below); any other
//       drop is rejected.
//   Both, increases:
//     - with a baseline read by this process, an increase larger than the physical maximum
//       since that reading (100 kW, 1000 A·h/h, 10 cycles/h, plus a small slack) is an absurd
//       jump and rejected;
//     - without one (first readings after start: baseline from the state file or none), a
//       larger increase is held as a candidate and published only when the next reading
//       confirms it (not lower, and itself plausible from the candidate). A single absurd
//       value therefore never reaches MQTT.

namespace rct::daemon {

// What a sensor shows; also the JSON value in the aggregate.
using SensorValue = std::variant<bool, std::int64_t, double, std::string>;

struct Publication {
  std::string key;      // below <base>/<serial>/
  std::string payload;  // "56.3", "ON", "Feed-in"
  SensorValue value;
  friend bool operator==(const Publication&, const Publication&) = default;
};

enum class Rejection {
  kWrongType,        // the value's type does not fit the sensor
  kNotFinite,        // NaN or ±Inf
  kOutOfRange,       // outside the quantity's plausible bounds
  kCounterZero,      // lifetime counter 0 (or below)
  kCounterDecrease,  // counter lower than the last accepted value (not a period reset)
  kCounterJump,      // increase beyond what is physically possible since the last reading
  kUnconfirmed,      // increase held until the next reading confirms it
};
inline constexpr std::size_t kRejectionCount = 7;

// Consecutive readings of 0 after which a lifetime counter that never showed anything else is
// taken to be genuinely zero. A glitch zero (a counter briefly read as reset) comes alone between
// real totals, while a counter that never moved reads 0 every time: three in a row tell them
// apart, and cost only two slow poll intervals before the 0 is shown.
inline constexpr int kZeroReadingsForGenuineZero = 3;
std::string_view rejection_name(Rejection r);

// Last accepted lifetime totals by OID, in the OID's units after the sign rule (what the state
// file keeps).
using CounterTotals = std::map<std::uint32_t, double>;

struct PolicySettings {
  // Unchanged values are republished this often when readings keep arriving
  // (docs/mqtt.md §2.4: at most 300 s).
  Duration heartbeat = std::chrono::seconds{300};
};

class ValuePolicy {
 public:
  explicit ValuePolicy(PolicySettings settings = {}, CounterTotals persisted = {});

  // One reading of `item` that passed CRC, OID and size checks. Returns what to publish now
  // (possibly nothing), one entry per sensor of the item that has something to say.
  std::vector<Publication> on_reading(const PollItem& item, const Value& value, Instant now);

  // The last published value of every key, for a republish after an MQTT reconnect.
  std::vector<Publication> current() const;

  // Lifetime totals to persist; changed() tells whether they moved since mark_saved().
  const CounterTotals& totals() const { return totals_; }
  bool totals_changed() const { return totals_changed_; }
  void mark_saved() { totals_changed_ = false; }

  // The four fault words of the last complete fault reading (daemon/fault_sensor.h), once: the
  // session turns changes into fault events.
  std::optional<FaultWords> take_fault_words() { return std::exchange(fault_words_, std::nullopt); }

  std::uint64_t rejected(Rejection r) const { return rejected_[static_cast<std::size_t>(r)]; }
  std::uint64_t rejected_total() const;
  // Consecutive lower readings of a lifetime counter: a persistent value here hints at a real
  // counter reset on the device, which the guard never follows (for logs and diagnostics).
  int consecutive_decreases(std::uint32_t oid) const;

 private:
  // The payload is not kept: it is a function of the value (and, for numbers, of whether the
  // value came from a FLOAT), rebuilt when compared or republished.
  struct Published {
    std::string key;
    SensorValue value;
    Instant at{};
    bool from_float = false;
  };
  struct Guard {
    std::optional<double> last;       // last accepted value
    std::optional<Instant> last_at;   // when read by this process; nullopt: from the state file
    std::optional<double> candidate;  // an unconfirmed increase
    Instant candidate_at{};
    int decreases = 0;
    int zeros = 0;              // consecutive readings of 0 (lifetime counters), capped
    bool seen_nonzero = false;  // a plausible reading above 0 came (lifetime counters)
  };

  // nullopt: accepted; otherwise why not.
  std::optional<Rejection> guard(std::uint32_t oid, const SensorSpec& s, double x, Instant now);
  Guard& guard_of(std::uint32_t oid);
  bool due(const Published* last, const SensorValue& v, const std::string& payload, double deadband,
           Instant now) const;
  // Records and returns the publication of `value` under `key` when it is due.
  std::optional<Publication> publish_if_due(const std::string& key, SensorValue value,
                                            std::string payload, double deadband, bool from_float,
                                            Instant now);
  // The entry for `key`, or where it goes to keep published_ sorted.
  std::vector<Published>::iterator published_at(const std::string& key);

  PolicySettings settings_;
  CounterTotals totals_;
  bool totals_changed_ = false;
  // Flat and sorted by OID / key: a few hundred entries per inverter live as long as the
  // session, so no tree nodes.
  std::vector<std::pair<std::uint32_t, Guard>> guards_;
  std::vector<Published> published_;
  std::array<std::uint64_t, kRejectionCount> rejected_{};
  BatteryStatePairing battery_;  // docs/mqtt.md: battery/state from both status words
  FaultPairing faults_;          // docs/mqtt.md: inverter/faults from the four fault words
  std::optional<FaultWords> fault_words_;  // complete, not yet taken
};

std::string format_integer(std::int64_t v);

}  // namespace rct::daemon
