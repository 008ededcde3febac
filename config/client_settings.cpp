#include "config/client_settings.h"

#include <algorithm>
#include <cstddef>

namespace rct {

client::ClientOptions client_options(const InverterConfig& inverter) {
  client::ClientOptions o;
  o.host = inverter.host;
  o.port = inverter.port;
  o.connect_timeout = inverter.connect_timeout;
  o.request_timeout = inverter.request_timeout;
  o.request_timeout_floor = inverter.request_timeout_floor;
  o.window = static_cast<std::size_t>(std::max(1, inverter.in_flight));
  o.retries = static_cast<unsigned>(std::max(0, inverter.retries));
  o.backoff.initial = inverter.reconnect_min;
  o.backoff.max = inverter.reconnect_max;
  o.silence_timeout = inverter.silence_timeout;
  return o;
}

std::vector<std::string_view> connection_conflicts(const InverterConfig& a,
                                                   const InverterConfig& b) {
  client::ClientOptions x = client_options(a);
  client::ClientOptions y = client_options(b);
  // The caller has matched host and port (the host case-insensitively): they name the
  // connection.
  y.host = x.host;
  y.port = x.port;
  std::vector<std::string_view> keys;
  const auto check = [&](bool differs, std::string_view key) {
    if (differs) keys.push_back(key);
  };
  // One line per option set in client_options() above, by the key it comes from.
  check(x.connect_timeout != y.connect_timeout, "connect_timeout");
  check(x.request_timeout != y.request_timeout, "request_timeout");
  check(x.request_timeout_floor != y.request_timeout_floor, "request_timeout_floor");
  check(x.window != y.window, "in_flight");
  check(x.retries != y.retries, "retries");
  check(x.backoff.initial != y.backoff.initial, "reconnect_min");
  check(x.backoff.max != y.backoff.max, "reconnect_max");
  check(x.silence_timeout != y.silence_timeout, "silence_timeout");
  // An option added to client_options() but not to the list above still counts.
  if (keys.empty() && x != y) keys.push_back("connection");
  check(a.frames_per_second != b.frames_per_second, "frames_per_second");
  return keys;
}

}  // namespace rct
