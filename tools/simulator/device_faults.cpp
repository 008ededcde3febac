#include "tools/simulator/device_faults.h"

#include <algorithm>
#include <iterator>

namespace rct::sim {
namespace {

struct FaultEventType {
  unsigned fault = 0;
  std::uint32_t type = 0;
  std::uint32_t element3 = 0;
};

// Fault number → event type with the same meaning; NO_GRID logs case 3 like the documented
// example.
constexpr FaultEventType kFaultEventTypes[] = {
    {79, 0x4F, 0},  {80, 0x50, 0},  {82, 0x52, 0},  {83, 0x53, 0},  {84, 0x54, 0},
    {87, 0x57, 0},  {88, 0x58, 0},  {89, 0x59, 0},  {90, 0x5A, 3},  {99, 0x61, 0},
    {100, 0x64, 0}, {107, 0x6B, 0}, {114, 0x72, 0}, {120, 0x78, 0}, {121, 0x79, 0},
};

}  // namespace

std::optional<EventEntry> device_fault_entry(unsigned number, std::int64_t raised,
                                             std::int64_t cleared) {
  const auto* it = std::find_if(std::begin(kFaultEventTypes), std::end(kFaultEventTypes),
                                [number](const FaultEventType& f) { return f.fault == number; });
  if (it == std::end(kFaultEventTypes)) return std::nullopt;
  EventEntry e;
  e.type = it->type;
  e.timestamp = static_cast<std::uint32_t>(raised);
  e.element2 = static_cast<std::uint32_t>(cleared);
  e.element3 = it->element3;
  return e;
}

}  // namespace rct::sim
