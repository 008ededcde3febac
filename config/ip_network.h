#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rct {

// One entry of `proxy_allow` (docs/proxy.md): an IPv4 or IPv6 address, or a network in CIDR
// notation ("192.168.1.0/24", "fd00::/8"). A bare address is a network of one address.
struct IpNetwork {
  std::string text;                      // as written
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in the first 4 bytes
  bool v6 = false;
  int prefix = 0;  // leading bits that must match, 0..32 / 0..128

  friend bool operator==(const IpNetwork&, const IpNetwork&) = default;
};

// nullopt when malformed, or when host bits are set below the prefix ("10.0.0.1/8"): the file
// should say the network it means.
std::optional<IpNetwork> parse_ip_network(std::string_view text);

// Whether `address` (4 bytes for IPv4, 16 for IPv6) lies in `network`. An IPv4-mapped IPv6
// address (::ffff:a.b.c.d, what a dual-stack socket reports) counts as its IPv4 address.
bool network_contains(const IpNetwork& network, const std::uint8_t* address, bool v6);

}  // namespace rct
