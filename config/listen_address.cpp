#include "config/listen_address.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <system_error>

namespace rct {

std::optional<MetricsConfig> parse_listen_address(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  MetricsConfig m;
  m.listen = std::string(listen);
  m.port = static_cast<std::uint16_t>(port);
  if (host == "localhost") {
    m.host = std::string(host);
    m.loopback = true;
    return m;
  }
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
    std::array<unsigned char, 16> v6{};
    const std::string text(host);
    if (::inet_pton(AF_INET6, text.c_str(), v6.data()) != 1) return std::nullopt;
    constexpr std::array<unsigned char, 16> kLoopbackV6{0, 0, 0, 0, 0, 0, 0, 0,
                                                        0, 0, 0, 0, 0, 0, 0, 1};
    m.host = text;
    m.loopback = v6 == kLoopbackV6;
    return m;
  }
  std::array<unsigned char, 4> v4{};
  const std::string text(host);
  if (::inet_pton(AF_INET, text.c_str(), v4.data()) != 1) return std::nullopt;
  m.host = text;
  m.loopback = v4[0] == 127;
  return m;
}

}  // namespace rct
