#pragma once

#include <cstdint>
#include <optional>

#include "core/value.h"

namespace rct::sim {

// The event-table entry the simulated device logs when fault `number` (docs/protocol.md §14.1)
// ends: a ranged entry (docs/protocol.md §10.2) from `raised` to `cleared` (device seconds) of
// the type that reports the same condition. Faults without such a type log nothing.
std::optional<EventEntry> device_fault_entry(unsigned number, std::int64_t raised,
                                             std::int64_t cleared);

}  // namespace rct::sim
