#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace rct::daemon {

// The HTTP side of the Prometheus endpoint (docs/metrics.md), as the loadable module
// rct2mqtt-http.so offers it (daemon/adapters/httplib_metrics_endpoint.cpp). The module holds
// everything that needs cpp-httplib; the daemon loads it only when [metrics] is configured,
// because loading cpp-httplib initialises all of OpenSSL (about 1.9 MB of resident pages) even
// for a plain-HTTP server (docs/architecture.md §9). MetricsServer (metrics_server.h) loads it and
// is the daemon's only user.
//
// All calls come from the daemon's loop thread; the request handler runs on the module's own
// threads and reads only the text handed over by set_text.
class MetricsEndpoint {
 public:
  virtual ~MetricsEndpoint() = default;  // stops serving first
  // Binds host:port now and serves from a new thread; the reason when the bind fails. Port 0
  // binds a free port (port() tells which).
  virtual std::optional<std::string> start(const std::string& host, std::uint16_t port) = 0;
  virtual void stop() = 0;  // closes the socket and joins the server thread
  virtual std::uint16_t port() const = 0;
  virtual void set_text(std::string text) = 0;  // the body of the next GET /metrics
};

// The module's one exported function: a new endpoint (owned by the caller), not yet serving.
using MakeMetricsEndpoint = MetricsEndpoint* (*)();
inline constexpr const char* kMakeMetricsEndpointSymbol = "rct2mqtt_make_metrics_endpoint";
inline constexpr const char* kHttpModuleFileName = "rct2mqtt-http.so";

}  // namespace rct::daemon
