#pragma once

#include <spdlog/logger.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/client/client.h"
#include "core/client/verified_writer.h"
#include "core/dead_man_timer.h"
#include "core/registry.h"
#include "core/write_allowlist.h"
#include "daemon/app/session_host.h"
#include "daemon/discovery.h"
#include "daemon/inventory_state.h"
#include "daemon/poll_item.h"
#include "daemon/scheduler.h"
#include "daemon/settings_state.h"
#include "daemon/value_policy.h"
#include "daemon/write_command.h"

namespace rct::daemon {

// One inverter: its client connection, scheduler, value policy, inventory, availability and
// discovery. Lives on the App's loop thread; owns no thread.
//
// Phases: inventory (only the inventory OIDs are polled; nothing is published until the serial
// is known) → polling (the full poll list built from the inventory; discovery announced).
// Availability: `<base>/<serial>/status` goes online with the first valid answer and offline
// once no valid answer arrived for offline_after (link down included), each once per
// transition.
// Writes (docs/writes.md): commands for this inverter come from the App (handle_command); the
// VerifiedWriter validates, writes and reads back, one at a time; every command and outcome is
// logged at info (the audit trail) and answered on .../set/result. With writes enabled the
// allowed settings are polled and published on <base>/<serial>/settings/<key>. The dead-man
// timer (core/dead_man_timer.h) runs on its own steady_timer and reverts an External session
// that is no longer refreshed, or that is still running when the daemon stops
// (revert_before_stop); its reverts are answered with id null and reason "dead_man".
class InverterSession final : private client::ClientObserver {
 public:
  // `registry`, `host` and `log` must outlive the session; `config` is copied.
  InverterSession(asio::io_context& io, const Registry& registry, SessionHost& host,
                  std::shared_ptr<spdlog::logger> log, const Config& config, std::size_t index);
  ~InverterSession() override;
  InverterSession(const InverterSession&) = delete;
  InverterSession& operator=(const InverterSession&) = delete;

  void start();
  // Before stop() when the daemon exits: an External session of ours (dead-man timer armed or
  // reverting) would be left with nobody to revert it, so the revert writes go out now, answered
  // on the result topics like any dead-man revert. `done` is called once they have their
  // outcomes, or at once when there is nothing to revert or no connection to write on. The
  // caller bounds the wait; stop() drops a `done` not yet called.
  void revert_before_stop(std::function<void()> done);
  // Stops polling and closes the connection; publishes nothing.
  void stop();

  // A reloaded configuration for the same connection (see same_connection): intervals, values,
  // frames/s budget, name, offline_after and discovery settings apply without reconnecting.
  void apply_config(const Config& config);
  // Whether `config` keeps this session's connection: the same host, port, plant address and
  // client settings (timeouts, window, retries, reconnect backoff, silence timeout).
  bool same_connection(const Config& config, std::size_t index) const;

  // After an MQTT (re)connect: discovery, status and every last value.
  void republish_all();
  void republish_discovery();

  // Empty retained discovery configs for everything announced (--remove-discovery).
  std::vector<DiscoveryMessage> removals() const;

  // A command (not retained) on <base>/<serial>/settings/<key>/set for this inverter.
  void handle_command(const std::string& key, std::string_view payload);

  const InverterConfig& inverter() const { return inverter_; }
  const std::string& serial() const { return inventory_.serial; }
  bool online() const { return online_; }
  bool link_up() const { return link_up_; }
  std::uint64_t published() const { return published_; }
  std::uint64_t errors() const { return errors_; }

 private:
  // ClientObserver: called from inside the client; only records and posts.
  void on_state(client::ClientState state) override;
  void on_link_up(const std::string& peer) override;
  void on_link_down(client::LinkDownReason reason, const std::error_code& error) override;
  void on_retry(client::LinkDownReason reason, const std::error_code& error,
                client::Duration delay) override;
  void on_timeout(std::uint32_t oid, bool will_retry) override;

  void make_client();
  void pump();
  void arm_poll_timer(std::optional<Instant> at);
  void on_result(std::uint32_t oid, Result<client::Reading, client::ClientError> result);
  void enter_polling();
  void rebuild_items();
  void announce_discovery();
  void publish_values(const std::vector<Publication>& pubs);
  void set_online(bool online);
  void check_silence();
  void publish_diagnostics();
  void save_totals();
  std::string topic(std::string_view key) const;

  // Writes.
  bool writes_possible() const;  // not for a plant slave: the writer cannot address one
  void apply_write_config();     // policy, writer options, dead-man timeout, settings topics
  void answer(const WriteResult& result, bool audit_warn = false);
  void on_write_outcome(const std::string& key, const std::string& id, const std::string& requested,
                        const client::WriteOutcome& outcome);
  void publish_setting(const WritableEntry& entry, const Value& wire, bool force);
  bool setting_published(const WritableEntry& entry) const;
  void arm_dead_man();
  void on_dead_man();
  void submit_reverts(const std::vector<DeadManTimer::RevertWrite>& writes);
  void on_revert_outcome(const client::WriteOutcome& outcome);

  asio::io_context& io_;
  const Registry& registry_;
  SessionHost& host_;
  std::shared_ptr<spdlog::logger> log_;
  Config config_;
  InverterConfig inverter_;
  std::size_t index_;

  std::unique_ptr<client::Client> client_;
  std::unique_ptr<client::VerifiedWriter> writer_;  // uses client_; declared after it
  Scheduler scheduler_;
  std::optional<ValuePolicy> policy_;  // once the serial (and the persisted totals) are known
  Inventory inventory_;
  std::vector<PollItem> items_;
  std::map<std::uint32_t, std::size_t> item_index_;  // oid → items_ index
  bool polling_ = false;                             // past the inventory phase
  // Readings of the inventory phase, published once the poll list and the policy exist.
  std::map<std::uint32_t, Value> inventory_readings_;
  std::optional<DiscoveryBuild> discovery_;

  asio::steady_timer poll_timer_;
  asio::steady_timer silence_timer_;
  asio::steady_timer diagnostics_timer_;

  std::vector<const WritableEntry*> allowed_settings_;  // published on settings/ (writes on)
  SettingsState settings_;
  DeadManTimer dead_man_;
  asio::steady_timer dead_man_timer_;
  unsigned reverts_pending_ = 0;  // revert writes of the current dead-man round not yet done
  bool reverts_ok_ = true;        // every revert of the round so far was verified
  std::function<void()> stop_revert_done_;  // revert_before_stop's caller, until the round ends
  bool running_ = false;
  bool link_up_ = false;
  // The client is connected and the scheduler knows it (on_reconnect done): requests may go out.
  bool connected_ = false;
  bool online_ = false;
  bool status_published_ = false;
  Instant last_answer_{};
  std::uint64_t published_ = 0;
  std::uint64_t errors_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t completed_at_last_diag_ = 0;
  Instant last_diag_{};
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers check it
};

}  // namespace rct::daemon
