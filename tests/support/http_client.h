#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace rct::test {

struct HttpResponse {
  int status = 0;  // e.g. 200
  std::string body;
};

// One HTTP/1.0 request to 127.0.0.1:port (e.g. Node-RED's admin API), the whole exchange bounded
// by `timeout`. nullopt when nothing listens, the deadline passes or the answer is no HTTP.
std::optional<HttpResponse> http_request(
    std::uint16_t port, const std::string& method, const std::string& path,
    const std::string& body = {}, std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace rct::test
