#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/client/client_error.h"
#include "core/client/verified_write.h"
#include "core/registry.h"
#include "core/value.h"
#include "daemon/battery_module_state.h"
#include "daemon/bridge_actions.h"
#include "daemon/discovery.h"
#include "daemon/event_log_reader.h"
#include "daemon/inventory_state.h"
#include "daemon/persistent_state.h"
#include "daemon/poll_item.h"
#include "daemon/poll_list_cache.h"
#include "daemon/scheduler.h"
#include "daemon/session_effects.h"
#include "daemon/session_settings.h"
#include "daemon/value_policy.h"
#include "daemon/write_session.h"

namespace rct::daemon {

// The persisted records (persistent_state.h), kept by whoever owns the state file. The session
// reads its record when the serial becomes known and updates it (totals, discovery), returning
// StateChanged; the owner decides when to write the file.
class RecordStore {
 public:
  // The record of an inverter by topic_id(serial), created empty when missing.
  virtual InverterRecord& record(std::string_view serial_id) = 0;

 protected:
  ~RecordStore() = default;
};

// One inverter session as a pure state machine: events in (readings, link and connection
// changes, ticks, MQTT reconnects, commands, write outcomes, stop, reloads), effects out
// (session_effects.h). No clock, no socket, no logging: `now` comes with every event, and the
// shell (daemon/app/inverter_session.h) carries out the effects, arms one timer at
// next_wakeup() and feeds on_tick when it fires.
//
// Phases:
//   kStopped   — constructed, or after stop(): every event is ignored.
//   kInventory — start(): only the inventory OIDs are read until each answered once; nothing
//                is published until the serial is known. → kPolling once both hold.
//   kPolling   — the full poll list built from the inventory; discovery announced (and again
//                when the inventory changes), the inventory phase's readings published, values
//                published through the value policy, settings topics kept. A reconnect reads
//                the inventory first again but stays kPolling.
// Availability (<base>/<serial>/status, from kPolling on): online with the first valid
// answer; offline once no valid answer came for inverter.offline_after (link down included);
// each logged and published once per transition.
// Reads: only while connected (the client can take requests), what the scheduler says is due,
// at most inverter.in_flight at a time. Faults (daemon/fault_sensor.h): each change of the
// complete fault set publishes one non-retained event per fault raised or cleared, against the
// last set persisted. Event table (daemon/event_log_reader.h): read on entering kPolling, after
// every reconnect and when the fault set changes; new entries published once each on
// <base>/<serial>/inverter/event_log (not retained), the position persisted. Diagnostics (frames/s,
// errors) every 10 s from kPolling on, with a debug summary of the period: answers, failures and
// what the scheduler deferred (Scheduler::deferrals). Writes, settings topics and dead-man rounds:
// WriteSession.
class SessionMachine {
 public:
  enum class Phase { kStopped, kInventory, kPolling };

  // `registry`, `records` and `poll_lists` must outlive the machine. Poll lists come from
  // `poll_lists`, shared with every session of equal settings and hardware.
  SessionMachine(SessionSettings settings, const Registry& registry, RecordStore& records,
                 PollListCache& poll_lists);
  SessionMachine(const SessionMachine&) = delete;
  SessionMachine& operator=(const SessionMachine&) = delete;

  Effects start(const Moment& now);
  // Saves the totals; warns when the dead-man timer still holds an External session.
  Effects stop(const Moment& now);
  // Before stop() when the daemon exits (WriteSession::revert_before_stop); StopReverted says
  // when the caller may go on.
  Effects revert_before_stop(const Moment& now);
  // A reloaded configuration that keeps the connection (same_connection): intervals, values,
  // frames/s budget, name, offline_after, discovery and writes apply now.
  Effects apply_settings(SessionSettings settings, const Moment& now);
  // Whether `settings` can be applied without a new connection: the same client options
  // (config/client_settings.h) and plant address.
  bool same_connection(const SessionSettings& settings) const;

  // The client's link came up (`peer`: "host:port") / went down (`what`: reason and error).
  Effects on_link_up(std::string_view peer, const Moment& now);
  Effects on_link_down(std::string_view what, const Moment& now);
  // The client can take requests (true), or no longer can. A new connection reads the
  // inventory first again; nothing is in flight any more.
  Effects on_connected(bool connected, const Moment& now);
  // The answer to a ReadOid.
  Effects on_reading(std::uint32_t oid, const Value& value, const Moment& now);
  Effects on_read_failed(std::uint32_t oid, client::ClientError error, const Moment& now);
  // Timed work (next_wakeup): offline after silence, diagnostics, dead-man, due reads. Safe at
  // any time: only what is due is done.
  Effects on_tick(const Moment& now);
  // After an MQTT (re)connect or Home Assistant's birth: discovery, status, every last value
  // and setting.
  Effects on_mqtt_connected(const Moment& now);
  // A command (not retained) on <base>/<serial>/settings/<key>/set for this inverter, with key
  // "battery_mode" on <base>/<serial>/battery/mode/set, or with key "bridge/<action>" on
  // <base>/<serial>/bridge/<action>/set (a button, daemon/bridge_actions.h: a republish is
  // carried out at once; a reconnect returns ReconnectInverter and is refused while writes
  // would be lost, WriteSession::reconnect_blocker).
  Effects on_command(std::string_view key, std::string_view payload, const Moment& now,
                     const std::optional<ReplyTo>& reply = std::nullopt);
  // The outcome of a SubmitWrite.
  Effects on_write_outcome(std::uint64_t tag, const client::WriteOutcome& outcome,
                           const Moment& now);

  // The answer to a QueryEvents, or its failure.
  Effects on_event_table(const EventTable& table, const Moment& now);
  Effects on_event_table_failed(client::ClientError error, const Moment& now);

  // When on_tick has something to do; nullopt: nothing until the next event.
  std::optional<Instant> next_wakeup() const;

  // A guest READ (a proxy client's, forwarded over this connection) may go out at `now` within
  // the inverter's one frames/s budget, which it is then charged to; the daemon's own due reads
  // keep at least every other request (Scheduler::take_guest). True while not connected: the
  // READ then fails at once, as nothing can be sent.
  bool take_guest_slot(Instant now);
  // When take_guest_slot may say yes next (≤ now: at once).
  Instant next_guest_slot(Instant now) const;
  std::uint64_t guest_requests() const { return scheduler_.guest_requests(); }

  Phase phase() const { return phase_; }
  const SessionSettings& settings() const { return settings_; }
  const std::string& serial() const { return inventory_.serial; }
  bool online() const { return online_; }
  bool link_up() const { return link_up_; }
  bool connected() const { return connected_; }
  // What the verified writer is to check commands against.
  WritePolicy write_policy() const { return writes_.policy(); }
  const WriteSession& writes() const { return writes_; }
  const BridgeActions& bridge_actions() const { return bridge_actions_; }
  std::span<const PollItem> items() const {
    return list_ ? std::span<const PollItem>(list_->items()) : std::span<const PollItem>();
  }
  // For the bridge's figures (daemon/inverter_figures.h): the value policy (from kPolling on),
  // value messages handed out so far (republishes included), times the link came up again after
  // its first time, when start() was called, and values a whole interval or more late at `now`.
  const ValuePolicy* policy() const { return policy_ ? &*policy_ : nullptr; }
  std::uint64_t values_published() const { return values_published_; }
  std::uint64_t reconnects() const { return link_ups_ > 0 ? link_ups_ - 1 : 0; }
  Instant started_at() const { return started_at_; }
  std::size_t overdue_values(Instant now) const { return scheduler_.deferrals(now).overdue; }

 private:
  std::string prefix() const { return settings_.inverter.name + ": "; }
  std::string topic(std::string_view key) const;
  void pump(Effects& out, Instant now);
  void enter_polling(Effects& out, const Moment& now);
  void rebuild_items(Effects& out, Instant now);
  DiscoverySettings discovery_settings() const;
  void announce_discovery(Effects& out);
  void republish_discovery(Effects& out) const;
  // Discovery, status, every last value and setting (an MQTT connect, a republish button).
  void republish_everything(Effects& out, const Moment& now);
  Effects on_bridge_action(BridgeAction action, std::string_view payload, const Moment& now,
                           const std::optional<ReplyTo>& reply);
  void publish_values(Effects& out, const std::vector<Publication>& pubs, WallTime now);
  void publish_battery(Effects& out, std::vector<BatteryModuleState::Topic> topics) const;
  void set_online(Effects& out, bool online);
  void check_silence(Effects& out, Instant now);
  void publish_diagnostics(Effects& out, Instant now);
  void save_totals(Effects& out);
  void save_mode_record(Effects& out);
  void set_list(PollListCache::Handle list, Instant now);
  void pump_event_log(Effects& out, const Moment& now);
  void on_fault_words(Effects& out, const FaultWords& words, const Moment& now);

  SessionSettings settings_;
  const Registry& registry_;
  RecordStore& records_;
  PollListCache& poll_lists_;
  Phase phase_ = Phase::kStopped;
  Scheduler scheduler_;
  std::optional<ValuePolicy> policy_;  // from kPolling on (the persisted totals are known)
  Inventory inventory_;
  // Shared and immutable (poll_list_cache.h): the inventory OIDs, from kPolling on the full list.
  PollListCache::Handle list_;
  // Readings of the inventory phase, published once the poll list and the policy exist.
  std::map<std::uint32_t, Value> inventory_readings_;
  // Since discovery was announced: the empty retained payloads that removed the topics of the
  // announcement before (sent again with every republish). The configs themselves (~50 kB per
  // inverter in device mode, more in entity mode) are not kept: a republish builds them again
  // from the record, which gives the same payloads.
  std::optional<std::vector<std::string>> discovery_removals_;
  // An announcement made before the first MQTT connect (its publishes were dropped) that hands
  // entities over (migrate_discovery): sent whole, in order, at that connect instead of a
  // rebuild, which would no longer know what to hand over.
  std::vector<DiscoveryMessage> discovery_unsent_handover_;
  bool mqtt_connected_once_ = false;
  WriteSession writes_;
  BridgeActions bridge_actions_;
  BatteryModuleState battery_modules_;  // module figures (docs/mqtt.md §2.8), from kPolling on
  bool link_up_ = false;
  bool connected_ = false;
  bool online_ = false;
  bool status_published_ = false;
  Instant last_answer_{};
  std::uint64_t errors_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t completed_at_last_diag_ = 0;
  std::uint64_t errors_at_last_diag_ = 0;
  std::uint64_t values_published_ = 0;
  std::uint64_t link_ups_ = 0;
  Instant started_at_{};
  // kPolling: the inventory changed; discovery is announced at this time unless it changes
  // again before (kInventorySettle later).
  std::optional<Instant> announce_due_;
  std::optional<Instant> last_diag_;         // kPolling: diagnostics due 10 s after it
  std::optional<EventLogReader> event_log_;  // from kPolling on
  std::optional<FaultWords> fault_words_;    // the last complete set (persisted)
};

}  // namespace rct::daemon
