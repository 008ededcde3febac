#include "daemon/adapters/metrics_server.h"

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "daemon/metrics_exposition.h"

namespace rct::daemon {

namespace {

// A scrape is one short request every few seconds: two workers (one may sit in a keep-alive)
// instead of the library's default of one per core.
constexpr std::size_t kMetricsWorkers = 2;
constexpr time_t kMetricsKeepAliveSeconds = 2;

}  // namespace

MetricsServer::MetricsServer() = default;

MetricsServer::~MetricsServer() {
  stop();
}

std::optional<std::string> MetricsServer::start(const std::string& host, std::uint16_t port) {
  stop();
  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [] { return new httplib::ThreadPool(kMetricsWorkers); };
  server->set_keep_alive_timeout(kMetricsKeepAliveSeconds);
  server->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(text_copy(), std::string(kMetricsContentType));
  });
  errno = 0;
  int bound = 0;
  if (port == 0) {
    bound = server->bind_to_any_port(host);
  } else if (server->bind_to_port(host, port)) {
    bound = port;
  }
  if (bound <= 0) {
    const int error = errno;
    return error != 0 ? std::string(std::strerror(error)) : std::string("cannot bind");
  }
  port_ = static_cast<std::uint16_t>(bound);
  server_ = std::move(server);
  thread_done_ = false;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    thread_done_ = true;
  });
  return std::nullopt;
}

void MetricsServer::stop() {
  if (!thread_.joinable()) return;
  // The library ignores stop() until its listen loop runs: wait for that (or for the loop to
  // have ended by itself), a matter of the thread starting.
  while (!server_->is_running() && !thread_done_) std::this_thread::yield();
  server_->stop();
  thread_.join();
  server_.reset();
  port_ = 0;
}

void MetricsServer::set_text(std::string text) {
  const std::lock_guard<std::mutex> lock(text_mutex_);
  text_ = std::move(text);
}

std::string MetricsServer::text_copy() {
  const std::lock_guard<std::mutex> lock(text_mutex_);
  return text_;
}

}  // namespace rct::daemon
