#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/value.h"

namespace rct {

// Battery module payloads (docs/protocol.md §8.9). Unlike the rest of the protocol most fields are
// little endian; the resistance is big endian. Decoders expect the exact size (payload_size_fits
// is checked by decode_value); encoders write what a device sends, for the simulator.
inline constexpr std::size_t kBatteryModuleStatusSize = kBatteryCells * 4;
inline constexpr std::size_t kBatteryModuleStatisticsSize = 48;  // 4 records of 3 words
inline constexpr std::size_t kBatteryModuleResistanceSize = kBatteryCells * 4;

BatteryModuleStatus decode_battery_module_status(std::span<const std::uint8_t> payload);
BatteryModuleStatistics decode_battery_module_statistics(std::span<const std::uint8_t> payload);
BatteryModuleResistance decode_battery_module_resistance(std::span<const std::uint8_t> payload);

std::vector<std::uint8_t> encode_battery_module_status(const BatteryModuleStatus& status);
std::vector<std::uint8_t> encode_battery_module_statistics(const BatteryModuleStatistics& stats);
// The two padding bytes of each record are written as zero.
std::vector<std::uint8_t> encode_battery_module_resistance(const BatteryModuleResistance& r);

}  // namespace rct
