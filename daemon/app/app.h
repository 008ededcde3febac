#pragma once

#include <spdlog/logger.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/config_loader.h"
#include "core/registry.h"
#include "daemon/adapters/mqtt_client.h"
#include "daemon/adapters/signals.h"
#include "daemon/adapters/systemd_notifier.h"
#include "daemon/adapters/watchdog.h"
#include "daemon/app/bridge_connection.h"
#include "daemon/app/bridge_telemetry.h"
#include "daemon/app/inverter_session.h"
#include "daemon/app/session_host.h"
#include "daemon/command_reply.h"
#include "daemon/persistent_state.h"
#include "daemon/save_schedule.h"
#include "daemon/write_command.h"

namespace rct::daemon {

// The composition root of rct2mqtt: on one asio::io_context, run on one thread, it owns the MQTT
// client, every inverter session, signals and the watchdog, and tells the notifier its state.
// Exceptions only before the loop runs (construction); the loop itself never throws.
//
// Flow: state file → MQTT (LWT bridge offline) → sessions → READY=1 → loop. On every MQTT
// connect: bridge online, HA birth and command subscriptions, discovery, statuses, last values
// (commands: <base>/+/settings/+/set, see InverterSession::handle_command). A reload (SIGHUP)
// reads the file again (RELOADING=1 … READY=1; an invalid file keeps the running config; changed
// connection settings reconnect only what they concern; state_dir needs a restart). A stop
// (SIGTERM / SIGINT): STOPPING=1, dead-man reverts, state saved, bridge offline, clean
// disconnect.
class App final : private MqttObserver, private SessionHost {
 public:
  // `config` was loaded by load_config from `config_path` (read again there on a reload).
  // `make_mqtt` builds the MQTT client now and again whenever a reload changes [mqtt]; the
  // clients run on `io`. `io` and `notifier` are not owned and must outlive the App.
  App(asio::io_context& io, Config config, std::filesystem::path config_path,
      std::shared_ptr<spdlog::logger> log, MqttClientFactory make_mqtt, Notifier& notifier);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // The daemon: start() with SIGHUP / SIGTERM / SIGINT handled, then runs `io` on the calling
  // thread until stopped(); the process exit code.
  int run();
  // Connects MQTT, starts the sessions and the watchdog and posts READY=1; the caller runs `io`.
  // Signals are not handled: request_reload() and request_stop() stand for them.
  void start();
  void request_reload() { reload(); }  // as SIGHUP
  void request_stop() { shutdown(); }  // as SIGTERM
  // The stop sequence has finished: sessions gone, state saved, MQTT disconnected.
  bool stopped() const { return stopped_; }

  // Connects to the broker, publishes empty retained discovery configs for everything the state
  // file says was announced, disconnects. The exit code (1: broker not reached in time).
  int remove_discovery(std::chrono::milliseconds timeout);

  static ValueCatalog value_catalog(const Registry& registry);
  // The Prometheus endpoint's port ([metrics]); nullopt without one.
  std::optional<std::uint16_t> metrics_port() const { return telemetry_.metrics_port(); }

 private:
  // MqttObserver
  void on_connected() override;
  void on_connection_lost(std::string_view reason) override;
  void on_connect_failed(std::string_view reason) override;
  void on_message(const MqttMessage& message) override;
  // SessionHost
  bool publish(std::string_view topic, std::string_view payload, int qos, bool retain,
               std::string_view correlation_data) override;
  bool publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
    return publish(topic, payload, qos, retain, {});
  }
  InverterRecord& record(std::string_view serial_id) override;
  void state_changed() override;
  void progress() override;
  void status_changed() override;
  PollListCache& poll_lists() override { return poll_lists_; }

  // A command on <base>/<serial>/settings/<key>/set: to its inverter's session, or answered
  // here (unknown inverter); retained commands are ignored.
  void on_command(const CommandTarget& target, const MqttMessage& message);
  void on_birth();
  std::unique_ptr<InverterSession> make_session(const Config& config, std::size_t index);
  void on_signal(Signal s);
  void reload();
  // Stop: refuse commands, let each session revert a battery it holds in strategy External
  // (bounded by kStopRevertTimeout), then finish_shutdown().
  void shutdown();
  // Stop the sessions, save the state, say offline, disconnect, then stopped().
  void finish_shutdown();
  void tick();
  void save_state(bool force);
  void update_status();

  asio::io_context& io_;
  Registry registry_;
  Config config_;
  std::filesystem::path config_path_;
  std::shared_ptr<spdlog::logger> log_;
  Notifier& notifier_;
  std::filesystem::path state_path_;
  PersistentState state_;
  PollListCache poll_lists_;  // before the sessions, which hold its lists
  SaveSchedule save_schedule_;

  std::unique_ptr<Watchdog> watchdog_;
  BridgeConnection mqtt_;  // before the sessions, which publish through it until destroyed
  std::vector<std::unique_ptr<InverterSession>> sessions_;
  BridgeTelemetry telemetry_;  // after the sessions and MQTT it reads; its server stops first
  std::optional<SignalHandler> signals_;
  asio::steady_timer tick_timer_;
  asio::steady_timer birth_timer_;
  asio::steady_timer stop_timer_;
  std::mt19937_64 rng_{std::random_device{}()};
  bool stopping_ = false;
  bool stopped_ = false;
  std::string last_status_;
};

}  // namespace rct::daemon
