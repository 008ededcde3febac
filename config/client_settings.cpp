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
  o.window = static_cast<std::size_t>(std::max(1, inverter.in_flight));
  o.retries = static_cast<unsigned>(std::max(0, inverter.retries));
  o.backoff.initial = inverter.reconnect_min;
  o.backoff.max = inverter.reconnect_max;
  o.silence_timeout = inverter.silence_timeout;
  return o;
}

}  // namespace rct
