#pragma once

#include <string>
#include <vector>

#include "core/client/client_observer.h"
#include "core/registry.h"
#include "tools/rctclient/connection_args.h"
#include "tools/rctclient/doctor_report.h"

namespace rct::cli::doctor {

struct InverterProbeOptions {
  ConnectionArgs connection;  // host, port, timeout (retries are not used: see probe_inverter)
  unsigned reads = 20;        // timed READs
  double listen_s = 5;        // seconds of listening without sending
};

struct InverterProbe {
  // inverter.tcp, inverter.reads, inverter.other_clients, inverter.frames, inverter.inventory,
  // inverter.com_mode, in this order.
  std::vector<Check> checks;
  std::string serial;  // inverter_sn, empty when not read
};

// Runs the inverter checks on the link, one phase after the other, on an io_context of its own:
//  1. a plain TCP connect (reach, connect time);
//  2. `reads` READs of a few objects, one at a time, without re-sends, each timed;
//  3. `listen_s` seconds without sending: every reply then is another client's;
//  4. the inventory objects (core/inventory.h), each asked up to three times;
//  5. only when no read was answered: READs on fresh connections without and with the EXTENSION
//     frame 2b 3c e1 (docs/protocol.md §3.7).
// `log` receives the client's events as well (rctclient's --debug logging). Blocks for the
// duration of the checks.
InverterProbe probe_inverter(const Registry& registry, const InverterProbeOptions& options,
                             client::ClientObserver& log);

}  // namespace rct::cli::doctor
