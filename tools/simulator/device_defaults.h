#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/data_type.h"
#include "core/value.h"

namespace rct::sim {

// Static values of the simulated device: identity, inventory, settings, firmware versions and
// battery module statistics. `seed` varies the serial numbers. nullopt for OIDs without a
// specific value; they get type_default(). The value alternative matches the OID's registry
// type (checked by a unit test).
std::optional<Value> device_default(std::string_view name, std::uint64_t seed);

// What an OID of `type` answers when nothing more specific is known: 0, false, 0.0, an empty
// string, zeroed battery module records, four zero bytes for UNKNOWN.
Value type_default(DataType type);

// STRING answers are fixed-size NUL-padded buffers on the device (docs/protocol.md §8.6).
inline constexpr std::size_t kStringBufferSize = 64;

}  // namespace rct::sim
