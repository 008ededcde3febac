#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.h"
#include "daemon/adapters/metrics_server.h"
#include "daemon/bridge_health.h"
#include "daemon/bridge_snapshot.h"
#include "daemon/instant.h"

namespace rct::daemon {

// The bridge's figures for the outside: the Prometheus endpoint of [metrics] (docs/metrics.md)
// and the health topic <base>/bridge/health (daemon/bridge_health.h). Lives on the loop thread
// and is driven by the App's one-second tick; the snapshot comes from `source`, which reads the
// sessions and the MQTT connection as they are (it never asks an inverter), and this adds the
// uptime, version and memory. The endpoint gets a freshly rendered text every tick.
//
// Health: on every MQTT (re)connect, every kHealthInterval while connected, and at the next tick
// after an inverter's link, availability or serial changed (so that a newly known inverter has
// its health topic right after its discovery).
class BridgeTelemetry {
 public:
  // The inverters and MQTT part of the snapshot at `now`.
  using SnapshotSource = std::function<BridgeSnapshot(Instant now)>;
  // Publishes one retained health message; false when MQTT did not take it.
  using HealthPublisher = std::function<bool(const HealthMessage& message)>;

  static constexpr auto kHealthInterval = std::chrono::seconds{60};

  BridgeTelemetry(std::shared_ptr<spdlog::logger> log, SnapshotSource source,
                  HealthPublisher publish);

  // Starts, rebinds (a changed listen) or stops the endpoint for `config.metrics`; a bind that
  // fails is logged and leaves the daemon without an endpoint, nothing else. Takes the base topic.
  void configure(const Config& config);
  void tick();
  void on_mqtt_connected();
  // An inverter's link, availability or serial changed: health at the next tick.
  void inverters_changed() { health_soon_ = true; }
  // Stops the endpoint (shutdown).
  void stop();

  // The port the endpoint listens on; nullopt without one.
  std::optional<std::uint16_t> metrics_port() const;

 private:
  BridgeSnapshot snapshot(Instant now);
  void publish_health(BridgeSnapshot snapshot);
  // Renders the metrics text into a buffer the size of the last one and hands it to the server.
  void update_metrics(const BridgeSnapshot& s);

  std::shared_ptr<spdlog::logger> log_;
  SnapshotSource source_;
  HealthPublisher publish_;
  Instant started_;
  std::string base_topic_;
  MetricsConfig metrics_config_;  // what the endpoint was last configured with
  MetricsServer server_;
  std::size_t metrics_size_ = 0;  // of the last text rendered
  bool mqtt_connected_ = false;
  bool health_soon_ = false;
  std::optional<BridgeSnapshot> last_health_;  // the baseline of the next health's rates
};

}  // namespace rct::daemon
