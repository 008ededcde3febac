#pragma once

#include "daemon/inventory_state.h"

namespace rct::test {

// What a PS 6.0 HV with every optional part tells at start: both PV inputs, the power switch and
// a battery (type 3), so that the default poll list and discovery hold every sensor the unit
// tests look at.
inline rct::daemon::Inventory complete_inventory() {
  rct::daemon::Inventory inv;
  inv.pv_input_a = inv.pv_input_b = inv.power_switch = true;
  inv.battery_type = 3;
  inv.serial = "0123456789";
  inv.device_name = "PS 6.0 HV";
  inv.firmware = "3.0.5662";
  return inv;
}

}  // namespace rct::test
