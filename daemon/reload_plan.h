#pragma once

#include <cstddef>
#include <vector>

#include "config/config.h"

namespace rct::daemon {

// Whether a reloaded [[inverter]] table can keep the connection built for `running`: the same
// client options (host, port, timeouts, window, retries, backoff, silence timeout), plant
// address, and the same proxy (its listening socket belongs to the session). Everything else
// (name, intervals, values, budget, offline_after) applies live.
bool same_connection(const InverterConfig& running, const InverterConfig& next);

// What happens to the session at one index of the reloaded [[inverter]] list. Sessions are
// matched by position: the n-th table of the new file against the n-th running session.
enum class SessionChange {
  kKeep,     // same connection: the session takes the new settings without reconnecting
  kReplace,  // connection settings changed: the old session stops, a new one connects
  kStart,    // a table beyond the running sessions: a new session
};

struct ReloadPlan {
  std::vector<SessionChange> sessions;  // one per inverter of the new config, in order
  std::size_t stopped = 0;              // running sessions past the new list's end, which stop
  // [mqtt] or the Home Assistant birth subscription changed: a new client replaces the old one.
  bool reconnect_mqtt = false;
  // state_dir differs; the running one is kept (the state file is only opened at start).
  bool state_dir_changed = false;
};

ReloadPlan plan_reload(const Config& running, const Config& next);

}  // namespace rct::daemon
