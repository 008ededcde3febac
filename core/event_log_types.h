#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

// Entry types of the inverter's event table (docs/protocol.md §10.2): the vendor's name, a short
// text, and whether element 2 is an end time (a ranged event) or a value (a point event). Only
// the low byte of an entry's type carries meaning.

namespace rct {

struct EventLogType {
  std::uint8_t type = 0;
  std::string_view name;  // "NO_GRID"
  std::string_view text;  // "grid lost"
  bool ranged = true;     // element 2 is the end time
};

// The known type of `type` (low byte); nullopt for types not identified yet.
std::optional<EventLogType> event_log_type(std::uint32_t type);

}  // namespace rct
