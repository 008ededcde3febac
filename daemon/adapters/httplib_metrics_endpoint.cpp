// The loadable module rct2mqtt-http.so (metrics_endpoint.h): the Prometheus endpoint's HTTP
// server, cpp-httplib on a thread of its own, answering GET /metrics with a copy of the text the
// loop handed over last and 404 to everything else.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

#include "daemon/adapters/metrics_endpoint.h"
#include "daemon/metrics_exposition.h"

namespace rct::daemon {
namespace {

// A scrape is one short request every few seconds: two workers (one may sit in a keep-alive)
// instead of the library's default of one per core.
constexpr std::size_t kMetricsWorkers = 2;
constexpr time_t kMetricsKeepAliveSeconds = 2;

// States: stopped → serving (start succeeded) → stopped (stop, or destruction).
class HttplibMetricsEndpoint final : public MetricsEndpoint {
 public:
  HttplibMetricsEndpoint() = default;
  ~HttplibMetricsEndpoint() override { stop(); }
  HttplibMetricsEndpoint(const HttplibMetricsEndpoint&) = delete;
  HttplibMetricsEndpoint& operator=(const HttplibMetricsEndpoint&) = delete;

  std::optional<std::string> start(const std::string& host, std::uint16_t port) override {
    stop();
    auto server = std::make_unique<httplib::Server>();
    server->new_task_queue = [] { return new httplib::ThreadPool(kMetricsWorkers); };
    server->set_keep_alive_timeout(kMetricsKeepAliveSeconds);
    // The answer shares the text it was handed (no copy per scrape: with 50 inverters the text
    // is 0.7 MB, and every copy made on a worker thread stays in that thread's malloc arena).
    server->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      std::shared_ptr<const std::string> text = current_text();
      const std::size_t size = text->size();
      res.set_content_provider(size, std::string(kMetricsContentType),
                               [text = std::move(text)](std::size_t offset, std::size_t length,
                                                        httplib::DataSink& sink) {
                                 return sink.write(text->data() + offset,
                                                   std::min(length, text->size() - offset));
                               });
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

  void stop() override {
    if (!thread_.joinable()) return;
    // The library ignores stop() until its listen loop runs: wait for that (or for the loop to
    // have ended by itself), a matter of the thread starting.
    while (!server_->is_running() && !thread_done_) std::this_thread::yield();
    server_->stop();
    thread_.join();
    server_.reset();
    port_ = 0;
  }

  std::uint16_t port() const override { return port_; }

  void set_text(std::string text) override {
    auto shared = std::make_shared<const std::string>(std::move(text));
    const std::lock_guard<std::mutex> lock(text_mutex_);
    text_.swap(shared);  // the previous text is freed outside the lock (or by its last reader)
  }

 private:
  std::shared_ptr<const std::string> current_text() {
    const std::lock_guard<std::mutex> lock(text_mutex_);
    return text_;
  }

  // The one lock of the daemon. The text crosses from the loop thread to the HTTP threads as an
  // immutable shared string: the loop swaps in a new one, a request takes a reference to the
  // current one under the lock and sends from it after; neither side sees anything else.
  std::mutex text_mutex_;
  std::shared_ptr<const std::string> text_ =
      std::make_shared<const std::string>();  // guarded by text_mutex_

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> thread_done_{false};  // listen_after_bind returned
  std::uint16_t port_ = 0;
};

}  // namespace
}  // namespace rct::daemon

// NOLINTNEXTLINE(readability-identifier-naming): the exported name, looked up by dlsym
extern "C" __attribute__((visibility("default"))) rct::daemon::MetricsEndpoint*
rct2mqtt_make_metrics_endpoint() {
  return new rct::daemon::HttplibMetricsEndpoint();  // NOLINT(cppcoreguidelines-owning-memory)
}
static_assert(
    std::is_same_v<decltype(&rct2mqtt_make_metrics_endpoint), rct::daemon::MakeMetricsEndpoint>);
