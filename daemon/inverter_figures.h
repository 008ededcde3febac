#pragma once

#include "core/client/request_tracker.h"
#include "daemon/bridge_snapshot.h"
#include "daemon/instant.h"
#include "daemon/session_machine.h"

namespace rct::daemon {

// One inverter's part of the bridge snapshot (daemon/bridge_snapshot.h), from its session
// machine and the request tracker of its connection (`frames`: nullptr before the session made
// its client). Pure: asks nothing of the inverter; `now` is for the scheduler's lag.
InverterFigures inverter_figures(const SessionMachine& machine, const client::TrackerStats* frames,
                                 Instant now);

}  // namespace rct::daemon
