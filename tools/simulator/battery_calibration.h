#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace rct::sim {

// A calibration of the simulated battery (docs/protocol.md §14.2, docs/rctclient.md): the phase
// shows in battery.status2 (bit 3 charge, bit 10 discharge). Fixed for a run (--calibration) or
// switched by tests (Simulator::set_calibration); the house model's power flow does not follow it.
enum class Calibration {
  kNone,
  kCharge,
  kDischarge,
};
std::string_view calibration_name(Calibration c);  // "none", "charge", "discharge"
std::optional<Calibration> calibration_from_name(std::string_view name);
// The battery.status2 word of the phase: 0, 8 or 1024.
std::int32_t calibration_status2(Calibration c);

}  // namespace rct::sim
