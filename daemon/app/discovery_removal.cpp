#include "daemon/app/discovery_removal.h"

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "daemon/discovery.h"
#include "daemon/topics.h"

namespace rct::daemon {

namespace {

// Calls `fn` on the first connect; ignores everything else.
class OnConnect final : public MqttObserver {
 public:
  explicit OnConnect(std::function<void()> fn) : fn_(std::move(fn)) {}
  void on_connected() override {
    if (fn_) std::exchange(fn_, nullptr)();
  }
  void on_connection_lost(std::string_view) override {}
  void on_connect_failed(std::string_view) override {}
  void on_message(const MqttMessage&) override {}

 private:
  std::function<void()> fn_;
};

// Shared with the handlers, which may outlive the call when it ends at the deadline.
struct RemovalProgress {
  bool finished = false;
  bool removed = false;
};

}  // namespace

bool remove_announced_discovery(asio::io_context& io, MqttClient& mqtt, const MqttConfig& config,
                                PersistentState& state, spdlog::logger& log,
                                std::chrono::milliseconds timeout) {
  std::vector<DiscoveryMessage> messages;
  for (const auto& [id, record] : state.inverters) {
    if (!record.discovery) continue;
    for (auto& m : removal_messages(*record.discovery)) messages.push_back(std::move(m));
  }
  auto progress = std::make_shared<RemovalProgress>();
  asio::steady_timer deadline(io);
  OnConnect observer([&] {
    deadline.cancel();
    for (const auto& m : messages) mqtt.publish(m.topic, m.payload, 1, true);
    log.info("removed {} discovery configs", messages.size());
    progress->removed = true;
    mqtt.disconnect(kMqttDisconnectTimeout, [progress] { progress->finished = true; });
  });
  mqtt.set_observer(&observer);
  mqtt.connect(MqttWill{bridge_status_topic(config.base_topic), std::string(kOffline)});
  deadline.expires_after(timeout);
  deadline.async_wait([&log, &config, progress](const std::error_code& ec) {
    if (ec || progress->removed) return;
    log.error("broker {} not reached in time", config.uri);
    progress->finished = true;
  });
  while (!progress->finished && io.run_one() > 0) {
  }
  mqtt.set_observer(nullptr);
  if (!progress->removed) return false;
  for (auto& [id, record] : state.inverters) record.discovery.reset();
  return true;
}

}  // namespace rct::daemon
