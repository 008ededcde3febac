#pragma once

#include <spdlog/logger.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "core/client/client.h"
#include "core/client/verified_writer.h"
#include "core/lifetime_guard.h"
#include "core/registry.h"
#include "daemon/app/proxy_server.h"
#include "daemon/app/session_host.h"
#include "daemon/app/wakeup_timer.h"
#include "daemon/bridge_snapshot.h"
#include "daemon/command_reply.h"
#include "daemon/session_machine.h"

namespace rct::daemon {

// One inverter on the App's loop thread: the Asio shell around SessionMachine
// (daemon/session_machine.h), which holds every rule (phases, availability, diagnostics,
// discovery, writes, dead-man rounds). The shell owns the client connection, the verified
// writer and one timer; it reads the clocks, feeds the machine its events, carries out the
// effects it returns and arms the timer at the machine's next wake-up. Owns no thread.
class InverterSession final : private client::ClientObserver {
 public:
  // `registry`, `host` and `log` must outlive the session; it keeps only the settings of
  // `config.inverters[index]` (session_settings.h).
  InverterSession(asio::io_context& io, const Registry& registry, SessionHost& host,
                  std::shared_ptr<spdlog::logger> log, const Config& config, std::size_t index);
  // Closes the connection; call stop() before, which logs and saves what it must.
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

  // A reloaded configuration for the same connection (daemon/reload_plan.h decides): intervals,
  // values, frames/s budget, name, offline_after and discovery settings apply without
  // reconnecting.
  void apply_config(const Config& config);

  // After an MQTT (re)connect: discovery, status and every last value.
  void republish_all();

  // A command (not retained) on <base>/<serial>/settings/<key>/set, .../battery/mode/set or
  // .../bridge/<action>/set for this inverter. `reply`: the MQTT v5 response topic it named,
  // already checked (command_reply.h); every answer to the command goes there too.
  void handle_command(const std::string& key, std::string_view payload,
                      const std::optional<ReplyTo>& reply);

  const InverterConfig& inverter() const { return machine_.settings().inverter; }
  const std::string& serial() const { return machine_.serial(); }
  bool online() const { return machine_.online(); }
  bool link_up() const { return machine_.link_up(); }
  // This inverter's part of the bridge snapshot (daemon/inverter_figures.h).
  InverterFigures figures(Instant now) const;

 private:
  // ClientObserver: called from inside the client; only logs and posts.
  void on_state(client::ClientState state) override;
  void on_link_up(const std::string& peer) override;
  void on_link_down(client::LinkDownReason reason, const std::error_code& error) override;
  void on_retry(client::LinkDownReason reason, const std::error_code& error,
                client::Duration delay) override;
  void on_timeout(std::uint32_t oid, bool will_retry) override;
  void on_bad_reply(std::uint32_t oid, bool will_retry) override;
  // The proxy's cache takes every validated reading with its bytes (docs/proxy.md).
  void on_valid_payload(const client::Reading& reading,
                        std::span<const std::uint8_t> payload) override;

  static Moment now();
  // Carries out `effects` in order, then arms the timer at the machine's next wake-up.
  void run(Effects effects);
  void perform(Effect& effect);
  void read(std::uint32_t oid, std::optional<std::uint32_t> address);
  // A READ a proxy client is waiting for; its value is a reading for the daemon too.
  void proxy_read(std::optional<std::uint32_t> address, std::uint32_t oid);
  // A proxy client's history query; the answer's bytes go back to the proxy as they came.
  void proxy_query(const ProxyQuery& query);
  // A proxy client's WRITE (proxy_writes = "verified"): handled as the MQTT command for the
  // setting it names.
  void proxy_write(std::uint32_t oid, std::span<const std::uint8_t> payload,
                   const std::string& peer);
  void query_events(const QueryEvents& query);
  void arm_timer();
  void configure_writer();

  // The proxy's forwards take requests of the machine's budget (SessionMachine::take_guest_slot).
  class GuestBudget final : public UpstreamBudget {
   public:
    explicit GuestBudget(SessionMachine& machine) : machine_(machine) {}
    bool take(Instant now) override { return machine_.take_guest_slot(now); }
    Instant next(Instant now) const override { return machine_.next_guest_slot(now); }

   private:
    SessionMachine& machine_;
  };

  asio::io_context& io_;
  const Registry& registry_;
  SessionHost& host_;
  std::shared_ptr<spdlog::logger> log_;
  std::size_t index_;
  SessionMachine machine_;
  GuestBudget guest_budget_{machine_};
  std::unique_ptr<client::Client> client_;
  std::unique_ptr<client::VerifiedWriter> writer_;  // uses client_; declared after it
  std::unique_ptr<ProxyServer> proxy_;              // forwards through client_; declared after it
  WakeupTimer timer_;
  std::function<void()> stop_revert_done_;  // revert_before_stop's caller, until StopReverted
  LifetimeGuard guard_;                     // every handler handed out checks it
};

}  // namespace rct::daemon
