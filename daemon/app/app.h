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
#include "daemon/app/inverter_session.h"
#include "daemon/app/session_host.h"
#include "daemon/persistent_state.h"
#include "daemon/write_command.h"

namespace rct::daemon {

// The composition root of rct2mqtt: one asio::io_context run on the calling thread owns the
// MQTT client, every inverter session, signals, systemd notification and the watchdog.
// Exceptions only before the loop runs (construction); the loop itself never throws.
//
// Flow: state file → MQTT (LWT bridge offline) → sessions → READY=1 → loop. On every MQTT
// connect: bridge online, HA birth and command subscriptions, discovery, statuses, last values
// (commands: <base>/+/settings/+/set, see InverterSession::handle_command). SIGHUP
// reloads the file (RELOADING=1 … READY=1; an invalid file keeps the running config; changed
// connection settings reconnect only what they concern; state_dir needs a restart). SIGTERM /
// SIGINT: STOPPING=1, state saved, bridge offline, clean disconnect, run() returns 0.
class App final : private MqttObserver, private SessionHost {
 public:
  // `config` was loaded by load_config from `config_path` (reloaded from there on SIGHUP).
  App(Config config, std::filesystem::path config_path, std::shared_ptr<spdlog::logger> log);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Runs until a stop signal; the process exit code.
  int run();
  // Connects to the broker, publishes empty retained discovery configs for everything the state
  // file says was announced, disconnects. The exit code (1: broker not reached in time).
  int remove_discovery(std::chrono::milliseconds timeout);

  static ValueCatalog value_catalog(const Registry& registry);

 private:
  // MqttObserver
  void on_connected() override;
  void on_connection_lost(std::string_view reason) override;
  void on_connect_failed(std::string_view reason) override;
  void on_message(const MqttMessage& message) override;
  // SessionHost
  bool publish(std::string_view topic, std::string_view payload, int qos, bool retain) override;
  InverterRecord& record(std::string_view serial_id) override;
  void state_changed() override;
  void progress() override;
  void status_changed() override;

  // A command on <base>/<serial>/settings/<key>/set: to its inverter's session, or answered
  // here (unknown inverter); retained commands are ignored.
  void on_command(const CommandTarget& target, const MqttMessage& message);
  SessionHost& host();
  void start_sessions();
  void on_signal(Signal s);
  void reload();
  // Reload with changed [mqtt] settings: the old client says offline and disconnects, then a
  // new one connects (and, once connected, republishes everything).
  void replace_mqtt_client(const std::string& old_bridge_topic);
  void connect_mqtt();  // subscriptions, then connect with the bridge LWT
  // SIGTERM / SIGINT: refuse commands, let each session revert a battery it holds in strategy
  // External (bounded by kStopRevertTimeout), then finish_shutdown().
  void shutdown();
  // Stop the sessions, save the state, say offline, disconnect, stop the loop.
  void finish_shutdown();
  void tick();
  void save_state(bool force);
  void update_status();

  asio::io_context io_;
  Registry registry_;
  Config config_;
  std::filesystem::path config_path_;
  std::shared_ptr<spdlog::logger> log_;
  std::filesystem::path state_path_;
  PersistentState state_;
  bool state_dirty_ = false;
  std::chrono::steady_clock::time_point last_save_{};

  SystemdNotifier notifier_;
  std::unique_ptr<Watchdog> watchdog_;
  std::unique_ptr<MqttClient> mqtt_;
  std::vector<std::unique_ptr<InverterSession>> sessions_;
  std::optional<SignalHandler> signals_;
  asio::steady_timer tick_timer_;
  asio::steady_timer birth_timer_;
  asio::steady_timer stop_timer_;
  std::mt19937_64 rng_{std::random_device{}()};
  bool stopping_ = false;
  bool mqtt_replacing_ = false;  // the old client is disconnecting after a reload
  std::string last_status_;
};

}  // namespace rct::daemon
