#pragma once

#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/client/client_options.h"

namespace rct {

// The one place that turns an [[inverter]] table into the options its connection is built with.
// Two inverters (or one before and after a reload) share a connection exactly when their
// options compare equal; the plant address is not part of it (it is per request).
client::ClientOptions client_options(const InverterConfig& inverter);

// The keys of two [[inverter]] tables on one connection (same host and port) that must agree
// but differ: every setting client_options() builds the connection from, then frames_per_second
// (the request budget the connection's users share). Empty when they agree. A connection option
// that differs but has no key of its own here is reported as "connection".
std::vector<std::string_view> connection_conflicts(const InverterConfig& a,
                                                   const InverterConfig& b);

}  // namespace rct
