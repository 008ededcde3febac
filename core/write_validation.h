#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/battery_status.h"
#include "core/result.h"
#include "core/value.h"
#include "core/write_allowlist.h"

namespace rct {

// Pure validation of a requested write (docs/protocol.md §13): allowlist, policy, parsing, bounds,
// step, enum, and the interlocks against values read from the device just before. Nothing here
// sends anything; core/client/verified_write.h runs the whole sequence.

// Why a write was refused. Nothing was sent for any of these.
enum class RejectReason {
  kNotAllowlisted,  // not on the built-in allowlist, or not among the OIDs the operator allowed
  kWritesDisabled,  // writes are switched off (the daemon's default)
  kOutOfRange,      // outside min..max of the entry (or not a finite number)
  kBadStep,         // not a multiple of the entry's step
  kBadEnum,         // a select value that is not one of its options
  kUnparseable,     // text that is no value of the entry's type
  kInterlock,       // a precondition on the device's current values failed, or could not be read
  kRateLimited,     // a write to the same OID went out too recently, or too many are queued
};
// "not_allowlisted", "writes_disabled", "out_of_range", "bad_step", "bad_enum", "unparseable",
// "interlock", "rate_limited": stable words for MQTT result payloads and logs.
std::string_view reject_reason_name(RejectReason r);

struct WriteRejection {
  RejectReason reason = RejectReason::kNotAllowlisted;
  std::string message;  // one line for people: what was refused and why
  friend bool operator==(const WriteRejection&, const WriteRejection&) = default;
};

// Which unit the requested text is in (write_allowlist.h: user = wire × scale).
enum class InputUnit {
  kUser,  // MQTT commands and Home Assistant: "%" for SOC settings, select labels, ON / OFF
  kWire,  // the registry's unit, as `rctclient read-value` prints it: fractions 0..1 for SOC
};

// What the operator allows on top of the built-in allowlist.
struct WritePolicy {
  bool enabled = false;                // master switch: false refuses everything
  std::vector<std::uint32_t> allowed;  // OIDs the operator enabled; others are refused
  // The battery status bits that refuse a strategy other than Internal and a battery power other
  // than 0 W (Interlock::kBatteryBits); default: calibration, either phase.
  BatteryBlockPolicy battery;
};
// Every allowlisted OID, enabled, the default battery bits blocking: what `rctclient write-value`
// (one explicit command) uses.
WritePolicy allow_every_writable();

// A write that passed the static checks: what goes on the wire and what people see.
struct PreparedWrite {
  const WritableEntry* entry = nullptr;  // points into the static allowlist
  Value value;                           // wire value, the alternative of entry->type
  std::vector<std::uint8_t> payload;     // `value` encoded with the request type
  double user_value = 0.0;               // in entry->unit; select: the enum value; switch: 0/1
  std::string text;                      // normalised user text: "20", "-1500", "External", "ON"
};

// Allowlist, policy, parsing, bounds, step and enum checks, in that order. Numbers are snapped to
// the step (within float32 noise) before encoding.
Result<PreparedWrite, WriteRejection> prepare_write(const WritePolicy& policy, std::uint32_t oid,
                                                    std::string_view text, InputUnit unit);
// The same for a number (a select's enum value, a switch's 0/1).
Result<PreparedWrite, WriteRejection> prepare_write(const WritePolicy& policy, std::uint32_t oid,
                                                    double number, InputUnit unit);

// Device values by OID, as decoded from fresh READs.
using CurrentValues = std::map<std::uint32_t, Value>;

// The OIDs check_interlocks() needs for this write, in reading order (may be empty). Depends on
// the value: writing Internal needs no battery status, writing 0 W needs neither status nor
// strategy.
std::vector<std::uint32_t> interlock_reads(const PreparedWrite& write);

// Checks the entry's interlocks against `current` (the battery bits with policy.battery);
// kInterlock when one fails or a value it needs is missing (could not be read).
Result<void, WriteRejection> check_interlocks(const WritePolicy& policy, const PreparedWrite& write,
                                              const CurrentValues& current);

// prepare_write() and check_interlocks() in one: the whole pure verdict on a request.
Result<PreparedWrite, WriteRejection> validate_write(const WritePolicy& policy, std::uint32_t oid,
                                                     std::string_view text, InputUnit unit,
                                                     const CurrentValues& current);

// Whether a read-back shows the written value: exact for BOOL and ENUM; for FLOAT within
// 1e-6 × max(1, |value|), a few float32 steps at the magnitudes of the allowlist, far below
// any step, so a device that clamps or ignores a write is never taken as verified.
bool readback_matches(const PreparedWrite& write, const Value& readback);

// A device value in the entry's user unit (nullopt for an alternative that is no number).
std::optional<double> user_value(const WritableEntry& entry, const Value& wire);
// A device value as the state payload of the entity: "20", "7.5", "-1500", "External", "ON".
// Numbers are rounded two decimals below the step, so float32 noise does not show.
std::string user_text(const WritableEntry& entry, const Value& wire);

}  // namespace rct
