#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace rct::daemon {

// The Prometheus endpoint (docs/metrics.md): an HTTP server (cpp-httplib) on a thread of its own
// that answers GET /metrics with a copy of the text the loop handed over last (set_text) and 404
// to everything else. It never touches loop state: the loop renders the text
// (daemon/metrics_exposition.h) and hands it over. start, stop and set_text are called on the
// loop thread; only the request handler runs on the server's threads.
//
// States: stopped → serving (start succeeded) → stopped (stop, or destruction).
class MetricsServer {
 public:
  MetricsServer();
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds host:port now (so that a port in use is known at once) and serves from a new thread.
  // The reason when the bind fails (nothing is served then). Stops a server already running
  // first. Port 0 binds a free port (port() tells which).
  std::optional<std::string> start(const std::string& host, std::uint16_t port);
  // Closes the socket and joins the server thread; requests being answered finish first.
  void stop();
  bool serving() const { return thread_.joinable(); }
  std::uint16_t port() const { return port_; }

  // The body of the next GET /metrics.
  void set_text(std::string text);

 private:
  std::string text_copy();

  // The one lock of the daemon. The text crosses from the loop thread to the HTTP threads, and
  // copying a string under a mutex is the simplest hand-over that is correct; the HTTP side
  // holds it only for the copy and never sees anything else of the loop.
  std::mutex text_mutex_;
  std::string text_;  // guarded by text_mutex_

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> thread_done_{false};  // listen_after_bind returned
  std::uint16_t port_ = 0;
};

}  // namespace rct::daemon
