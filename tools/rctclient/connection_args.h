#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "core/client/client_options.h"
#include "core/registry.h"

namespace rct::cli {

// --host, --port, --timeout, --timeout-floor, --retries of the commands that talk to an inverter.
struct ConnectionArgs {
  std::string host;
  std::uint16_t port = 8899;
  double timeout = 2.0;  // seconds, for connecting and the longest wait for each answer
  // Seconds, the shortest wait for an answer once answers were timed (docs/protocol.md §7.4);
  // above `timeout` it is `timeout`.
  double timeout_floor = 0.5;
  unsigned retries = 2;
};

void add_connection_options(CLI::App* cmd, ConnectionArgs& args);
// "host:port" as given.
std::string target(const ConnectionArgs& args);
// Client options for `args`; other fields keep their defaults.
client::ClientOptions client_options(const ConnectionArgs& args);

// "battery.soc", "0x959930BF" (or "959930BF" with `is_id`) → the registry entry, or UsageError.
const OidInfo& resolve(const Registry& registry, const std::string& text, bool is_id);

}  // namespace rct::cli
