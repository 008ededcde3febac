#include "daemon/app/bridge_telemetry.h"

#include <chrono>
#include <utility>

#include "daemon/adapters/process_memory.h"
#include "daemon/metrics_exposition.h"

namespace rct::daemon {

BridgeTelemetry::BridgeTelemetry(std::shared_ptr<spdlog::logger> log, SnapshotSource source,
                                 HealthPublisher publish)
    : log_(std::move(log)),
      source_(std::move(source)),
      publish_(std::move(publish)),
      started_(std::chrono::steady_clock::now()) {}

void BridgeTelemetry::configure(const Config& config) {
  base_topic_ = config.mqtt.base_topic;
  const MetricsConfig& next = config.metrics;
  if (server_.serving() && next == metrics_config_) return;
  if (server_.serving()) {
    server_.stop();
    log_->info("metrics endpoint on {} stopped", metrics_config_.listen);
  }
  metrics_config_ = next;
  if (next.listen.empty()) return;
  if (auto error = server_.start(next.host, next.port)) {
    log_->error("metrics endpoint: cannot listen on {}: {}; running without it", next.listen,
                *error);
    return;
  }
  update_metrics(snapshot(std::chrono::steady_clock::now()));
  if (next.loopback) {
    log_->info("metrics endpoint: http://{}/metrics", next.listen);
  } else {
    // Said once: the figures (serials, values) are readable by anyone who reaches the address.
    log_->warn(
        "metrics endpoint: http://{}/metrics is not a loopback address: reachable from "
        "the network, without authentication",
        next.listen);
  }
}

void BridgeTelemetry::tick() {
  const Instant now = std::chrono::steady_clock::now();
  const bool health_due = mqtt_connected_ && (health_soon_ || !last_health_ ||
                                              now - last_health_->taken >= kHealthInterval);
  if (!server_.serving() && !health_due) return;
  BridgeSnapshot s = snapshot(now);
  mqtt_connected_ = s.mqtt.connected;
  if (server_.serving()) update_metrics(s);
  if (health_due && s.mqtt.connected) publish_health(std::move(s));
}

void BridgeTelemetry::update_metrics(const BridgeSnapshot& s) {
  std::string text = render_metrics(s, metrics_size_ + metrics_size_ / 16);
  metrics_size_ = text.size();
  server_.set_text(std::move(text));
}

void BridgeTelemetry::on_mqtt_connected() {
  mqtt_connected_ = true;
  publish_health(snapshot(std::chrono::steady_clock::now()));
}

void BridgeTelemetry::stop() {
  if (!server_.serving()) return;
  server_.stop();
  log_->debug("metrics endpoint stopped");
}

std::optional<std::uint16_t> BridgeTelemetry::metrics_port() const {
  if (!server_.serving()) return std::nullopt;
  return server_.port();
}

BridgeSnapshot BridgeTelemetry::snapshot(Instant now) {
  BridgeSnapshot s = source_(now);
  s.taken = now;
  s.uptime = now - started_;
  s.version = RCT2MQTT_VERSION;
  s.memory = process_memory();
  return s;
}

void BridgeTelemetry::publish_health(BridgeSnapshot snapshot) {
  health_soon_ = false;
  const auto messages =
      bridge_health(base_topic_, snapshot, last_health_ ? &*last_health_ : nullptr);
  for (const HealthMessage& m : messages) publish_(m);
  snapshot.inverters.shrink_to_fit();
  for (InverterFigures& f : snapshot.inverters) f.values.clear();  // rates need counters only
  last_health_ = std::move(snapshot);
}

}  // namespace rct::daemon
