#include "tools/rctclient/connection_args.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "core/hex.h"
#include "tools/rctclient/cli_error.h"

namespace rct::cli {

void add_connection_options(CLI::App* cmd, ConnectionArgs& args) {
  cmd->add_option("--host", args.host, "Host name or IP address of the inverter")->required();
  cmd->add_option("--port", args.port, "TCP port of the inverter")->capture_default_str();
  cmd->add_option("--timeout", args.timeout,
                  "Seconds to wait for the connection and for each answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--timeout-floor", args.timeout_floor,
                  "Shortest wait in seconds for an answer once earlier answers were timed")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--retries", args.retries, "Requests sent again after a missing answer")
      ->capture_default_str();
  // Accept the app's --debug after the subcommand name as well.
  cmd->fallthrough();
}

std::string target(const ConnectionArgs& args) {
  return args.host + ":" + std::to_string(args.port);
}

client::ClientOptions client_options(const ConnectionArgs& args) {
  client::ClientOptions options;
  options.host = args.host;
  options.port = args.port;
  const auto timeout =
      std::chrono::duration_cast<client::Duration>(std::chrono::duration<double>(args.timeout));
  options.connect_timeout = timeout;
  options.request_timeout = timeout;
  options.request_timeout_floor =
      std::min(timeout, std::chrono::duration_cast<client::Duration>(
                            std::chrono::duration<double>(args.timeout_floor)));
  options.retries = args.retries;
  // A one-shot command: every request has its own deadline (--timeout, --retries), and a quiet
  // connection while nothing is asked is no fault. Reopening it would only turn a clear "no
  // answer" into a lost connection.
  options.silence_timeout = client::Duration::zero();
  return options;
}

const OidInfo& resolve(const Registry& registry, const std::string& text, bool is_id) {
  const bool looks_like_id = is_id || text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0;
  if (!looks_like_id) {
    const OidInfo* info = registry.find(std::string_view(text));
    if (info == nullptr) throw UsageError("unknown name '" + text + "'");
    return *info;
  }
  const std::optional<std::uint32_t> oid = parse_oid(text);
  if (!oid) throw UsageError("'" + text + "' is not an object id like 0x959930BF");
  const OidInfo* info = registry.find(*oid);
  if (info == nullptr) throw UsageError("unknown object id " + format_oid(*oid));
  return *info;
}

}  // namespace rct::cli
