#include "tools/simulator/battery_calibration.h"

namespace rct::sim {

std::string_view calibration_name(Calibration c) {
  switch (c) {
    case Calibration::kNone:
      return "none";
    case Calibration::kCharge:
      return "charge";
    case Calibration::kDischarge:
      return "discharge";
  }
  return "?";
}

std::optional<Calibration> calibration_from_name(std::string_view name) {
  for (Calibration c : {Calibration::kNone, Calibration::kCharge, Calibration::kDischarge}) {
    if (calibration_name(c) == name) return c;
  }
  return std::nullopt;
}

std::int32_t calibration_status2(Calibration c) {
  switch (c) {
    case Calibration::kNone:
      return 0;
    case Calibration::kCharge:
      return 1 << 3;
    case Calibration::kDischarge:
      return 1 << 10;
  }
  return 0;
}

}  // namespace rct::sim
