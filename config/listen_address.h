#pragma once

#include <optional>
#include <string_view>

#include "config/config.h"

namespace rct {

// `listen` of [metrics]: "ADDRESS:PORT", the address an IPv4 address, an IPv6 address in
// brackets ("[::1]:9832") or "localhost", the port 1..65535. Host names other than localhost are
// refused, so that the file says exactly where the endpoint is reachable. nullopt when malformed.
std::optional<MetricsConfig> parse_listen_address(std::string_view listen);

}  // namespace rct
