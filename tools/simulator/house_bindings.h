#pragma once

#include <span>
#include <string_view>

#include "core/value.h"
#include "tools/simulator/battery_towers.h"
#include "tools/simulator/house_model.h"

namespace rct::sim {

// A FLOAT object's value from a model quantity.
inline Value float_value(double v) {
  return Value(static_cast<float>(v));
}

// Which OID shows which quantity of the house model. The value alternative matches the OID's
// registry type (checked by a unit test). These OIDs are measurements: the device recomputes
// them continuously, so the simulator does not store writes to them.
struct HouseBinding {
  std::string_view name;
  Value (*get)(const HouseState&);
};
std::span<const HouseBinding> house_bindings();

// Names of the lifetime counters (docs/protocol.md §15.3); the counter-reset fault targets these.
bool is_lifetime_counter(std::string_view name);

}  // namespace rct::sim
