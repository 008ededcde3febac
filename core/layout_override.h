#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "core/data_type.h"
#include "core/registry.h"

namespace rct {

// Registry entries whose payloads carry another layout than their registry type says
// (docs/protocol.md §8.9). The registry keeps the reference's type, so that it stays comparable
// with the reference; decoders ask decode_type() instead. An override applies only to a payload
// of its layout's exact size: anything else still decodes with the registry type.
struct LayoutOverride {
  // Matches "<name_prefix><index>]", e.g. "battery_placeholder[0].cells[" matches
  // "battery_placeholder[0].cells[3]" but not "battery_placeholder[0].cells_stat[3]".
  std::string_view name_prefix;
  DataType registry_type;  // what the registry (and the reference) says
  DataType layout;         // what the payload holds
  std::string_view reason;
};

std::span<const LayoutOverride> layout_overrides();

// The override for a registry name, or nullptr.
const LayoutOverride* find_layout_override(std::string_view name);

// The type to decode a response of `info` with: the override's layout when one matches the
// name, the registry type is the one it overrides and `payload_size` is the layout's exact
// size; else info.response_type.
DataType decode_type(const OidInfo& info, std::size_t payload_size);

}  // namespace rct
