#pragma once

#include <memory>
#include <vector>

#include "daemon/app/bridge_connection.h"
#include "daemon/app/inverter_session.h"
#include "daemon/bridge_snapshot.h"
#include "daemon/instant.h"

namespace rct::daemon {

// The sessions' and the MQTT connection's part of the bridge snapshot (daemon/bridge_snapshot.h),
// on the loop thread, from their state as it is.
BridgeSnapshot bridge_figures(const std::vector<std::unique_ptr<InverterSession>>& sessions,
                              const BridgeConnection& mqtt, Instant now);

}  // namespace rct::daemon
