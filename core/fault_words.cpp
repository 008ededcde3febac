#include "core/fault_words.h"

#include <algorithm>
#include <iterator>

namespace rct {
namespace {

// Fault number → text (docs/protocol.md §14.1, in ASCII so that automations can match them).
// Every number of the 128 has a text today; the type still allows gaps for firmware that
// reuses a number.
constexpr std::string_view kFaultTexts[kFaultNumberCount] = {
    "CPU trap",                                                        // 0
    "RTC cannot be configured",                                        // 1
    "RTC 1 Hz signal timeout",                                         // 2
    "hardware stop: 3.3 V fault",                                      // 3
    "hardware stop: PWM logic",                                        // 4
    "hardware stop: Uzk overvoltage",                                  // 5
    "Uzk+ above limit",                                                // 6
    "Uzk- above limit",                                                // 7
    "throttle overcurrent L1",                                         // 8
    "throttle overcurrent L2",                                         // 9
    "throttle overcurrent L3",                                         // 10
    "buffer capacitor voltage",                                        // 11
    "quartz fault",                                                    // 12
    "grid undervoltage phase 1",                                       // 13
    "grid undervoltage phase 2",                                       // 14
    "grid undervoltage phase 3",                                       // 15
    "battery overcurrent",                                             // 16
    "relay test failed",                                               // 17
    "board overtemperature",                                           // 18
    "core overtemperature",                                            // 19
    "heat sink 1 overtemperature",                                     // 20
    "heat sink 2 overtemperature",                                     // 21
    "I2C error with power board",                                      // 22
    "power board error",                                               // 23
    "PWM output ports defective",                                      // 24
    "insulation too low or implausible",                               // 25
    "DC component of I max (1 A)",                                     // 26
    "DC component of I max slow (47 mA)",                              // 27
    "DSD channel possibly defective (current offset)",                 // 28
    "RS485 error with relay box or IGBT L1 BH defective",              // 29
    "phase-to-phase overvoltage",                                      // 30
    "IGBT L1 BH defective",                                            // 31
    "IGBT L1 BL defective",                                            // 32
    "IGBT L2 BH defective",                                            // 33
    "IGBT L2 BL defective",                                            // 34
    "IGBT L3 BH defective",                                            // 35
    "IGBT L3 BL defective",                                            // 36
    "long-term overvoltage L1",                                        // 37
    "long-term overvoltage L2",                                        // 38
    "long-term overvoltage L3",                                        // 39
    "overvoltage L1 level 1",                                          // 40
    "overvoltage L1 level 2",                                          // 41
    "overvoltage L2 level 1",                                          // 42
    "overvoltage L2 level 2",                                          // 43
    "overvoltage L3 level 1",                                          // 44
    "overvoltage L3 level 2",                                          // 45
    "overfrequency level 1",                                           // 46
    "overfrequency level 2",                                           // 47
    "undervoltage L1 level 1",                                         // 48
    "undervoltage L1 level 2",                                         // 49
    "undervoltage L2 level 1",                                         // 50
    "undervoltage L2 level 2",                                         // 51
    "undervoltage L3 level 1",                                         // 52
    "undervoltage L3 level 2",                                         // 53
    "underfrequency level 1",                                          // 54
    "underfrequency level 2",                                          // 55
    "CPU exception NMI",                                               // 56
    "CPU exception HardFault",                                         // 57
    "CPU exception MemManage",                                         // 58
    "CPU exception BusFault",                                          // 59
    "CPU exception UsageFault",                                        // 60
    "RTC power-on reset",                                              // 61
    "RTC oscillator stopped",                                          // 62
    "RTC supply voltage drop",                                         // 63
    "RCD current jump DC+AC > 30 mA",                                  // 64
    "RCD current jump DC > 60 mA",                                     // 65
    "RCD current jump AC > 150 mA",                                    // 66
    "RCD current > 300 mA",                                            // 67
    "+5 V supply wrong",                                               // 68
    "-9 V supply wrong",                                               // 69
    "+9 V supply wrong",                                               // 70
    "+3.3 V supply wrong",                                             // 71
    "RDC calibration failed",                                          // 72
    "I2C failure",                                                     // 73
    "AFI frequency generator failure",                                 // 74
    "heat sink temperature too high",                                  // 75
    "Uzk over limit",                                                  // 76
    "Usg A over limit",                                                // 77
    "Usg B over limit",                                                // 78
    "switch-on condition Umin L1",                                     // 79
    "switch-on condition Umax L1",                                     // 80
    "switch-on condition Fmin L1",                                     // 81
    "switch-on condition Fmax L1",                                     // 82
    "switch-on condition Umin L2",                                     // 83
    "switch-on condition Umax L2",                                     // 84
    "battery current sensor defective",                                // 85
    "battery booster damaged",                                         // 86
    "switch-on condition Umin L3",                                     // 87
    "switch-on condition Umax L3",                                     // 88
    "voltage surge / AC offset too large (phase failure)",             // 89
    "inverter disconnected from household grid",                       // 90
    "+9 V differs between DSP and PIC",                                // 91
    "1.5 V error",                                                     // 92
    "2.5 V error",                                                     // 93
    "1.5 V measurement difference",                                    // 94
    "2.5 V measurement difference",                                    // 95
    "battery voltage outside expected range",                          // 96
    "main PIC software cannot start",                                  // 97
    "PIC bootloader detected unexpectedly",                            // 98
    "phase position error (not 120°)",                                 // 99
    "battery overvoltage",                                             // 100
    "throttle current unstable",                                       // 101
    "internal vs external grid voltage differ, L1",                    // 102
    "same, L2",                                                        // 103
    "same, L3",                                                        // 104
    "external emergency turn-off active",                              // 105
    "battery empty, not enough energy for standby",                    // 106
    "CAN timeout with battery",                                        // 107
    "timing problem",                                                  // 108
    "battery IGBT heat sink overtemperature",                          // 109
    "battery heat sink temperature too high",                          // 110
    "internal relay box error",                                        // 111
    "relay box PE-off error",                                          // 112
    "relay box PE-on error",                                           // 113
    "internal battery error",                                          // 114
    "parameter changed",                                               // 115
    "three island-forming attempts failed",                            // 116
    "phase-to-phase undervoltage",                                     // 117
    "system reset detected",                                           // 118
    "update detected",                                                 // 119
    "FRT overvoltage",                                                 // 120
    "FRT undervoltage",                                                // 121
    "IGBT L1 free-wheeling diode defective",                           // 122
    "IGBT L2 free-wheeling diode defective",                           // 123
    "IGBT L3 free-wheeling diode defective",                           // 124
    "single-phase mode active but not allowed for this device class",  // 125
    "island detected",                                                 // 126
    "neutral fault",                                                   // 127
};

}  // namespace

std::optional<std::size_t> fault_word_index(std::uint32_t oid) {
  const auto* it = std::find(kFaultWordOids.begin(), kFaultWordOids.end(), oid);
  if (it == kFaultWordOids.end()) return std::nullopt;
  return static_cast<std::size_t>(std::distance(kFaultWordOids.begin(), it));
}

std::optional<std::string_view> fault_text(unsigned number) {
  if (number >= kFaultNumberCount || kFaultTexts[number].empty()) return std::nullopt;
  return kFaultTexts[number];
}

std::string fault_name(unsigned number) {
  if (const auto text = fault_text(number)) return std::string(*text);
  return "unknown fault " + std::to_string(number);
}

std::vector<unsigned> active_faults(const FaultWords& words) {
  std::vector<unsigned> out;
  for (std::size_t k = 0; k < kFaultWordCount; ++k) {
    for (unsigned b = 0; b < 32; ++b) {
      if ((words[k] >> b & 1u) != 0) out.push_back(static_cast<unsigned>(32 * k) + b);
    }
  }
  return out;
}

std::string fault_summary(const FaultWords& words) {
  const std::vector<unsigned> active = active_faults(words);
  if (active.empty()) return "none";
  std::string out;
  for (std::size_t i = 0; i < active.size(); ++i) {
    const std::string name = fault_name(active[i]);
    const std::size_t rest = active.size() - i - 1;
    // What must still fit after this name when it is not the last: " and N more".
    const std::size_t tail = rest == 0 ? 0 : 10 + std::to_string(rest).size();
    const std::size_t with = out.size() + (out.empty() ? 0 : 2) + name.size();
    if (with + tail > kMaxFaultSummary && !out.empty()) {
      return out + " and " + std::to_string(active.size() - i) + " more";
    }
    out.append(out.empty() ? "" : ", ").append(name);
  }
  return out;
}

std::vector<FaultChange> fault_changes(const FaultWords& before, const FaultWords& after) {
  std::vector<FaultChange> cleared;
  std::vector<FaultChange> raised;
  for (std::size_t k = 0; k < kFaultWordCount; ++k) {
    for (unsigned b = 0; b < 32; ++b) {
      const bool was = (before[k] >> b & 1u) != 0;
      const bool is = (after[k] >> b & 1u) != 0;
      const auto number = static_cast<unsigned>(32 * k) + b;
      if (was && !is) cleared.push_back(FaultChange{number, false});
      if (!was && is) raised.push_back(FaultChange{number, true});
    }
  }
  cleared.insert(cleared.end(), raised.begin(), raised.end());
  return cleared;
}

}  // namespace rct
