#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// The battery's status words decoded (docs/protocol.md §14.2): which bits are known, what they
// mean, the one-word summary the battery state sensor publishes, and which bits block a write
// that hands the battery to someone else (the `battery_bits` interlock, core/write_validation.h).
//
// Two INT32 words, read as 32-bit patterns:
//   battery.bat_status (0x70A2AF4F): 0, 1032 (bits 3 and 10) or 2048 (bit 11) in normal
//     operation on current firmware; older firmware meant calibration by bits 3 and 10, so they
//     are known but say nothing on their own; bit 11 is balancing.
//   battery.status2 (0x0DE3D20D): bit 3 calibration (charge phase), bit 8 balancing, bit 9
//     empty (low voltage), bit 10 calibration (discharge phase).
// Every other bit of either word is an unknown bit.

namespace rct {

inline constexpr std::uint32_t kOidBatteryStatus = 0x70A2AF4F;   // battery.bat_status, INT32
inline constexpr std::uint32_t kOidBatteryStatus2 = 0x0DE3D20D;  // battery.status2, INT32

enum class BatteryWord {
  kBatStatus,  // battery.bat_status
  kStatus2,    // battery.status2
};
std::string_view battery_word_name(BatteryWord w);  // "battery.bat_status", "battery.status2"

// What a known bit means for the summary (and which summary it raises).
enum class BatteryBitMeaning {
  kCalibratingCharge,
  kCalibratingDischarge,
  kEmpty,
  kBalancing,
  kNormal,  // set in normal operation (bat_status bits 3 and 10 on current firmware)
};

// One known bit. Names are the words of `[writes] block_battery_bits` and of the sensor's
// attributes; the same name may stand for a bit of each word (balancing).
struct BatteryBit {
  BatteryWord word = BatteryWord::kStatus2;
  unsigned bit = 0;       // 0..31
  std::string_view name;  // snake_case: "calibrating_charge"
  // Completes "the battery …" in refusal messages: "is calibrating (charge phase)".
  std::string_view text;
  BatteryBitMeaning meaning = BatteryBitMeaning::kNormal;
};
std::span<const BatteryBit> battery_bits();
// Whether `name` names at least one row of the table.
bool is_battery_bit_name(std::string_view name);
// Every name of the table once, in table order: "calibrating_charge, calibrating_discharge, ...".
std::string battery_bit_names_text();

// The one word of the battery state sensor, most important first.
enum class BatterySummary {
  kCalibratingCharge,
  kCalibratingDischarge,
  kEmpty,
  kUnknownBits,
  kBalancing,
  kNormal,
};
// "calibrating (charge)", "calibrating (discharge)", "empty", "unknown bits", "balancing",
// "normal": the payload of <base>/<serial>/battery/state (docs/mqtt.md).
std::string_view battery_summary_text(BatterySummary s);

// A bit of one word that is not in the table.
struct UnknownBatteryBit {
  BatteryWord word = BatteryWord::kStatus2;
  unsigned bit = 0;
  friend bool operator==(const UnknownBatteryBit&, const UnknownBatteryBit&) = default;
};
// "battery.status2 bit 5 (32)"
std::string battery_bit_text(BatteryWord word, unsigned bit);

struct BatteryState {
  std::int32_t bat_status = 0;
  std::int32_t status2 = 0;
  BatterySummary summary = BatterySummary::kNormal;
  std::vector<const BatteryBit*> set_bits;      // rows of the table whose bit is set, table order
  std::vector<UnknownBatteryBit> unknown_bits;  // bat_status first, then status2, low bit first
};
BatteryState decode_battery_state(std::int32_t bat_status, std::int32_t status2);

// Which bits refuse a write that gives the battery away from the inverter's own strategy
// (docs/writes.md §3). Masks of the two words; built from names by battery_block_policy().
struct BatteryBlockPolicy {
  std::uint32_t bat_status = 0;
  std::uint32_t status2 = (1u << 3) | (1u << 10);  // calibrating_charge, calibrating_discharge
  bool unknown = false;                            // also block every unknown bit
  friend bool operator==(const BatteryBlockPolicy&, const BatteryBlockPolicy&) = default;
};
// The names `[writes] block_battery_bits` holds by default.
inline constexpr std::string_view kDefaultBlockedBatteryBits[] = {"calibrating_charge",
                                                                  "calibrating_discharge"};
// The policy of the bits named (each name must pass is_battery_bit_name; others are ignored).
BatteryBlockPolicy battery_block_policy(std::span<const std::string> names, bool block_unknown);

// The first bit of `state` the policy blocks (bat_status before status2, low bit first), as
// "is calibrating (charge phase): battery.status2 bit 3 (8) is set"; nullopt when nothing blocks.
std::optional<std::string> battery_block_reason(const BatteryBlockPolicy& policy,
                                                const BatteryState& state);

}  // namespace rct
