#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The inverter's fault set (docs/protocol.md §14.1): four UINT32 words fault[0..3].flt form 128
// fault numbers; bit b of word k is fault 32·k + b (b = 0 the least significant bit). All four
// zero: no fault. Names are paraphrases of the vendor app's texts; numbers without a known text
// are reported as "unknown fault n".

namespace rct {

inline constexpr std::size_t kFaultWordCount = 4;
inline constexpr unsigned kFaultNumberCount = 128;
// fault[0].flt .. fault[3].flt, in word order.
inline constexpr std::array<std::uint32_t, kFaultWordCount> kFaultWordOids = {
    0x37F9D5CA, 0x234B4736, 0x3B7FCD47, 0x7F813D73};

using FaultWords = std::array<std::uint32_t, kFaultWordCount>;

// Which word an OID is (0..3); nullopt for any other OID.
std::optional<std::size_t> fault_word_index(std::uint32_t oid);

// The text of fault `number` (0..127); nullopt when the number has none.
std::optional<std::string_view> fault_text(unsigned number);
// The text, or "unknown fault n" for a number without one.
std::string fault_name(unsigned number);

// The set fault numbers of `words`, ascending.
std::vector<unsigned> active_faults(const FaultWords& words);

// The state of the fault sensor: the names of the active faults joined by ", ", or "none". At
// most kMaxFaultSummary characters (Home Assistant ignores a longer state): the names that fit,
// then " and N more".
inline constexpr std::size_t kMaxFaultSummary = 255;
std::string fault_summary(const FaultWords& words);

// A fault that appeared or went between two fault sets.
struct FaultChange {
  unsigned number = 0;
  bool raised = false;  // false: cleared
  friend bool operator==(const FaultChange&, const FaultChange&) = default;
};
// Cleared faults first, then raised ones, each ascending by number.
std::vector<FaultChange> fault_changes(const FaultWords& before, const FaultWords& after);

}  // namespace rct
