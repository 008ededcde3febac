#pragma once

#include <string>
#include <vector>

#include "daemon/instant.h"
#include "daemon/value_policy.h"

namespace rct::daemon {

// The optional JSON aggregate on <base>/<serial>/state (docs/mqtt.md §4): every current value
// in one object, nested by key level ("battery/soc" → {"battery": {"soc": 56.3}}), plus "ts",
// the wall-clock time of the poll as ISO 8601 UTC with milliseconds
// ("2024-05-01T12:00:00.250Z"). Numbers are JSON numbers, flags JSON booleans, texts strings.
// A key that clashes with a level of another key is left out (poll_list_conflicts reports it).
std::string aggregate_payload(const std::vector<Publication>& values, WallTime ts);

// "2024-05-01T12:00:00.250Z".
std::string iso8601_utc(WallTime t);

}  // namespace rct::daemon
