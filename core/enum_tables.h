#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace rct {

// One value of an ENUM OID and its display text (docs/protocol.md §15.6, §14.3).
struct EnumEntry {
  std::uint8_t value = 0;
  std::string_view text;
};

// The value → text table of an ENUM OID, ascending by value; empty for OIDs without a table
// (nsm.q_u_sel, power_mng.power_lim_src_index and every non-ENUM OID). Points at static data.
std::span<const EnumEntry> enum_entries(std::uint32_t oid);

// Text for one value; nullopt when the OID has no table or the value is not in it (decoders then
// publish the number, docs/protocol.md §8.4).
std::optional<std::string_view> enum_text(std::uint32_t oid, std::uint8_t value);

}  // namespace rct
