#include "config/ip_network.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <system_error>

namespace rct {

namespace {

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, int prefix) {
  const int whole = prefix / 8;
  for (int i = 0; i < whole; ++i) {
    if (a[i] != b[i]) return false;
  }
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

bool host_bits_clear(const IpNetwork& n) {
  const int total = n.v6 ? 128 : 32;
  for (int bit = n.prefix; bit < total; ++bit) {
    if ((n.bytes[static_cast<std::size_t>(bit / 8)] >> (7 - bit % 8) & 1) != 0) return false;
  }
  return true;
}

}  // namespace

std::optional<IpNetwork> parse_ip_network(std::string_view text) {
  IpNetwork n;
  n.text = std::string(text);
  std::string_view address = text;
  std::optional<int> prefix;
  if (const auto slash = text.find('/'); slash != std::string_view::npos) {
    address = text.substr(0, slash);
    const std::string_view bits = text.substr(slash + 1);
    int value = -1;
    const auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
    if (bits.empty() || ec != std::errc{} || end != bits.data() + bits.size()) return std::nullopt;
    prefix = value;
  }
  const std::string host(address);
  if (::inet_pton(AF_INET, host.c_str(), n.bytes.data()) == 1) {
    n.v6 = false;
  } else if (::inet_pton(AF_INET6, host.c_str(), n.bytes.data()) == 1) {
    n.v6 = true;
  } else {
    return std::nullopt;
  }
  const int total = n.v6 ? 128 : 32;
  n.prefix = prefix.value_or(total);
  if (n.prefix < 0 || n.prefix > total) return std::nullopt;
  if (!host_bits_clear(n)) return std::nullopt;
  return n;
}

bool network_contains(const IpNetwork& network, const std::uint8_t* address, bool v6) {
  static constexpr std::array<std::uint8_t, 12> kMappedPrefix{0, 0, 0, 0, 0,    0,
                                                              0, 0, 0, 0, 0xFF, 0xFF};
  if (v6 && !network.v6 && prefix_matches(address, kMappedPrefix.data(), 96)) {
    return prefix_matches(address + 12, network.bytes.data(), network.prefix);
  }
  if (v6 != network.v6) return false;
  return prefix_matches(address, network.bytes.data(), network.prefix);
}

}  // namespace rct
