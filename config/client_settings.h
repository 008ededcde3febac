#pragma once

#include "config/config.h"
#include "core/client/client_options.h"

namespace rct {

// The one place that turns an [[inverter]] table into the options its connection is built with.
// Two inverters (or one before and after a reload) share a connection exactly when their
// options compare equal; the plant address is not part of it (it is per request).
client::ClientOptions client_options(const InverterConfig& inverter);

}  // namespace rct
