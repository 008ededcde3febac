#include "core/battery_status.h"

#include <algorithm>
#include <iterator>

namespace rct {
namespace {

using W = BatteryWord;
using M = BatteryBitMeaning;

// The known bits (docs/protocol.md §14.2), by word and bit. bat_status bits 3 and 10 (1032
// together) are set in normal operation on current BMS firmware; older firmware showed them as
// calibration, which status2 now tells apart, so they never count as calibration here.
constexpr BatteryBit kBatteryBitTable[] = {
    {.word = W::kBatStatus,
     .bit = 3,
     .name = "bms_flag_8",
     .text = "reports bat_status flag 8 (normal on current firmware)",
     .meaning = M::kNormal},
    {.word = W::kBatStatus,
     .bit = 10,
     .name = "bms_flag_1024",
     .text = "reports bat_status flag 1024 (normal on current firmware)",
     .meaning = M::kNormal},
    {.word = W::kBatStatus,
     .bit = 11,
     .name = "balancing",
     .text = "is balancing its cells",
     .meaning = M::kBalancing},
    {.word = W::kStatus2,
     .bit = 3,
     .name = "calibrating_charge",
     .text = "is calibrating (charge phase)",
     .meaning = M::kCalibratingCharge},
    {.word = W::kStatus2,
     .bit = 8,
     .name = "balancing",
     .text = "is balancing its cells",
     .meaning = M::kBalancing},
    {.word = W::kStatus2,
     .bit = 9,
     .name = "empty",
     .text = "is empty (low voltage)",
     .meaning = M::kEmpty},
    {.word = W::kStatus2,
     .bit = 10,
     .name = "calibrating_discharge",
     .text = "is calibrating (discharge phase)",
     .meaning = M::kCalibratingDischarge},
};

constexpr bool battery_table_sorted() {
  for (std::size_t i = 1; i < std::size(kBatteryBitTable); ++i) {
    const BatteryBit& a = kBatteryBitTable[i - 1];
    const BatteryBit& b = kBatteryBitTable[i];
    if (a.word > b.word || (a.word == b.word && a.bit >= b.bit)) return false;
  }
  for (const BatteryBit& b : kBatteryBitTable) {
    if (b.bit > 31 || b.name.empty() || b.text.empty()) return false;
  }
  return true;
}
static_assert(battery_table_sorted(),
              "core/battery_status.cpp: rows by word, then bit, each once, bits 0..31");

std::uint32_t word_bits(const BatteryState& s, BatteryWord w) {
  return static_cast<std::uint32_t>(w == BatteryWord::kBatStatus ? s.bat_status : s.status2);
}

std::uint32_t known_mask(BatteryWord w) {
  std::uint32_t m = 0;
  for (const BatteryBit& b : kBatteryBitTable) {
    if (b.word == w) m |= 1u << b.bit;
  }
  return m;
}

BatterySummary summary_of(BatteryBitMeaning m) {
  switch (m) {
    case M::kCalibratingCharge:
      return BatterySummary::kCalibratingCharge;
    case M::kCalibratingDischarge:
      return BatterySummary::kCalibratingDischarge;
    case M::kEmpty:
      return BatterySummary::kEmpty;
    case M::kBalancing:
      return BatterySummary::kBalancing;
    case M::kNormal:
      return BatterySummary::kNormal;
  }
  return BatterySummary::kNormal;
}

}  // namespace

std::string_view battery_word_name(BatteryWord w) {
  switch (w) {
    case BatteryWord::kBatStatus:
      return "battery.bat_status";
    case BatteryWord::kStatus2:
      return "battery.status2";
  }
  return "?";
}

std::span<const BatteryBit> battery_bits() {
  return kBatteryBitTable;
}

bool is_battery_bit_name(std::string_view name) {
  return std::any_of(std::begin(kBatteryBitTable), std::end(kBatteryBitTable),
                     [&](const BatteryBit& b) { return b.name == name; });
}

std::string battery_bit_names_text() {
  std::vector<std::string_view> seen;
  std::string out;
  for (const BatteryBit& b : kBatteryBitTable) {
    if (std::find(seen.begin(), seen.end(), b.name) != seen.end()) continue;
    seen.push_back(b.name);
    if (!out.empty()) out += ", ";
    out += b.name;
  }
  return out;
}

std::string_view battery_summary_text(BatterySummary s) {
  switch (s) {
    case BatterySummary::kCalibratingCharge:
      return "calibrating (charge)";
    case BatterySummary::kCalibratingDischarge:
      return "calibrating (discharge)";
    case BatterySummary::kEmpty:
      return "empty";
    case BatterySummary::kUnknownBits:
      return "unknown bits";
    case BatterySummary::kBalancing:
      return "balancing";
    case BatterySummary::kNormal:
      return "normal";
  }
  return "?";
}

std::string battery_bit_text(BatteryWord word, unsigned bit) {
  std::string s(battery_word_name(word));
  s.append(" bit ").append(std::to_string(bit));
  s.append(" (").append(std::to_string(std::uint64_t{1} << bit)).append(")");
  return s;
}

BatteryState decode_battery_state(std::int32_t bat_status, std::int32_t status2) {
  BatteryState s;
  s.bat_status = bat_status;
  s.status2 = status2;
  // The enum lists the summaries most important first: the smallest one set wins.
  BatterySummary summary = BatterySummary::kNormal;
  for (const BatteryBit& b : kBatteryBitTable) {
    if ((word_bits(s, b.word) & (1u << b.bit)) == 0) continue;
    s.set_bits.push_back(&b);
    summary = std::min(summary, summary_of(b.meaning));
  }
  for (BatteryWord w : {BatteryWord::kBatStatus, BatteryWord::kStatus2}) {
    const std::uint32_t unknown = word_bits(s, w) & ~known_mask(w);
    for (unsigned bit = 0; bit < 32; ++bit) {
      if ((unknown & (1u << bit)) != 0) s.unknown_bits.push_back(UnknownBatteryBit{w, bit});
    }
  }
  if (!s.unknown_bits.empty()) summary = std::min(summary, BatterySummary::kUnknownBits);
  s.summary = summary;
  return s;
}

BatteryBlockPolicy battery_block_policy(std::span<const std::string> names, bool block_unknown) {
  BatteryBlockPolicy p;
  p.bat_status = 0;
  p.status2 = 0;
  p.unknown = block_unknown;
  for (const BatteryBit& b : kBatteryBitTable) {
    if (std::find(names.begin(), names.end(), b.name) == names.end()) continue;
    (b.word == BatteryWord::kBatStatus ? p.bat_status : p.status2) |= 1u << b.bit;
  }
  return p;
}

std::optional<std::string> battery_block_reason(const BatteryBlockPolicy& policy,
                                                const BatteryState& state) {
  for (BatteryWord w : {BatteryWord::kBatStatus, BatteryWord::kStatus2}) {
    const std::uint32_t mask = w == BatteryWord::kBatStatus ? policy.bat_status : policy.status2;
    const std::uint32_t blocked =
        word_bits(state, w) & (mask | (policy.unknown ? ~known_mask(w) : 0u));
    for (unsigned bit = 0; bit < 32; ++bit) {
      if ((blocked & (1u << bit)) == 0) continue;
      std::string_view text = "reports an unknown status bit";
      for (const BatteryBit& b : kBatteryBitTable) {
        if (b.word == w && b.bit == bit) text = b.text;
      }
      std::string reason(text);
      reason.append(": ").append(battery_bit_text(w, bit)).append(" is set");
      return reason;
    }
  }
  return std::nullopt;
}

}  // namespace rct
