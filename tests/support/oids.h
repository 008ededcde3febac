#pragma once

#include <cstdint>

namespace rct::test {

// Objects the integration tests ask for by id (types and ranges: core/registry_data.inc).
inline constexpr std::uint32_t kSoc = 0x959930BF;      // battery.soc, FLOAT 0..1
inline constexpr std::uint32_t kVoltage = 0x65EED11B;  // battery.voltage, FLOAT
inline constexpr std::uint32_t kSocLog = 0x5293B668;   // logger.minutes_soc_log_ts, TIMESERIES

}  // namespace rct::test
