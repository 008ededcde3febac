#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "daemon/adapters/metrics_endpoint.h"

namespace rct::daemon {

// The Prometheus endpoint (docs/metrics.md) as the loop sees it: start, stop and set_text, all on
// the loop thread. It never touches loop state: the loop renders the text
// (daemon/metrics_exposition.h) and hands it over. The HTTP server itself is in the module
// rct2mqtt-http.so (metrics_endpoint.h), loaded by the first start() that finds it and kept for
// the rest of the process; a start that cannot load it fails and the next one (a reload) looks
// again. A daemon without [metrics] never loads it.
//
// States: stopped → serving (start succeeded) → stopped (stop, or destruction).
class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds host:port now (so that a port in use is known at once) and serves from a new thread.
  // The reason when the module cannot be loaded or the bind fails (nothing is served then).
  // Stops a server already running first. Port 0 binds a free port (port() tells which).
  std::optional<std::string> start(const std::string& host, std::uint16_t port);
  // Closes the socket and joins the server thread; requests being answered finish first.
  void stop();
  bool serving() const { return serving_; }
  std::uint16_t port() const { return serving_ ? endpoint_->port() : 0; }

  // The body of the next GET /metrics (only while serving: start() is followed by a set_text).
  void set_text(std::string text);

 private:
  std::unique_ptr<MetricsEndpoint> endpoint_;  // made by the first start() that loads the module
  bool serving_ = false;
};

}  // namespace rct::daemon
