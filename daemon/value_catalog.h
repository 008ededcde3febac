#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/data_type.h"
#include "daemon/poll_item.h"

// The default poll set (docs/protocol.md §15.4, docs/mqtt.md §2.6) as data: which OIDs a
// home-energy user wants, under which MQTT key and entity name, how often, and what they mean. The
// Home Assistant vocabulary of each row follows from its Quantity (quantity_traits); rows only say
// what differs.

namespace rct::daemon {

// Row flags.
inline constexpr unsigned kDisabled = 1u << 0;    // long tail: enabled_by_default false
inline constexpr unsigned kDiagnostic = 1u << 1;  // entity_category diagnostic
inline constexpr unsigned kLifetime = 1u << 2;    // lifetime counter (never decreases)
inline constexpr unsigned kPeriodic = 1u << 3;    // day / month / year counter
inline constexpr unsigned kAbsolute = 1u << 4;    // publish |value| (feed-in counters)

struct CatalogEntry {
  std::uint32_t oid = 0;
  std::string_view key;   // topic below <base>/<serial>/ (docs/mqtt.md §1: lower case, '/' levels)
  std::string_view name;  // short HA entity name; never repeats the device name
  Quantity quantity = Quantity::kNumber;
  PollClass poll = PollClass::kSlow;
  Requirement requirement = Requirement::kNone;
  unsigned flags = 0;
};

// A non-negative split of a signed power value (docs/mqtt.md §2.2: grid import / export and
// battery charge / discharge beside the signed sensor).
struct DerivedEntry {
  std::uint32_t source_oid = 0;
  std::string_view key;
  std::string_view name;
  Derivation derivation = Derivation::kNone;
};

// The Home Assistant vocabulary and policy defaults of a Quantity (checked at compile time against
// ha/vocabulary.h).
struct QuantityTraits {
  Platform platform = Platform::kSensor;
  std::string_view device_class;
  std::string_view state_class;  // for counters the row's flags decide
  std::string_view unit;
  double scale = 1.0;
  int precision = -1;  // suggested_display_precision; -1: none
  std::optional<Bounds> bounds;
  double deadband = 0.0;  // published units
};

std::span<const CatalogEntry> catalog();
std::span<const DerivedEntry> derived_sensors();
const CatalogEntry* find_catalog_entry(std::uint32_t oid);
const QuantityTraits& quantity_traits(Quantity q);

// Whether an OID of response type `t` can carry a value of quantity `q` (a float power, an
// integer count, a string or ENUM text, a BOOL flag...).
bool quantity_accepts(Quantity q, DataType t);

// The sensor a catalog row describes, with every field resolved from its quantity and flags.
// `type` is the OID's response type (ENUM OIDs with a table publish their text).
SensorSpec sensor_from_catalog(const CatalogEntry& e, DataType type);
SensorSpec sensor_from_derived(const DerivedEntry& d, const SensorSpec& source);

}  // namespace rct::daemon
