#include "daemon/session_machine.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "core/hex.h"
#include "core/number_text.h"
#include "core/write_allowlist.h"
#include "daemon/fault_sensor.h"
#include "daemon/poll_list.h"
#include "daemon/reload_plan.h"
#include "daemon/state_aggregate.h"
#include "daemon/topics.h"

namespace rct::daemon {

namespace {

// Bridge diagnostics (frames/s, errors) are published this often.
constexpr auto kDiagnosticsPeriod = std::chrono::seconds{10};
// Inventory changes while polling (module slots read one after another at the frames/s budget,
// seconds apart) closer together than this are announced once.
constexpr auto kInventorySettle = std::chrono::seconds{5};

// "1 value", "4 values".
std::string counted_noun(std::size_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

std::string whole_seconds(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

// The deferral part of the debug summary, in the words of docs/configuration.md ("When the
// link is short"); `list` names the OIDs by their first sensor's key, else by registry name.
std::string deferral_words(const DeferralReport& r, const PollList& list) {
  std::string text;
  if (r.deferred_reads == 0) {
    text = "nothing deferred";
  } else {
    text = "deferred " + counted_noun(r.deferred_reads, "read") + " of " +
           counted_noun(r.deferred_values, "value") + " by a whole interval or more";
    if (r.deferred_fast > 0) {
      text += " (" + std::to_string(r.deferred_fast) +
              " of them fast: the link does not carry even the fast values)";
    } else {
      text += " so that the fast values keep theirs";
    }
    text += "; longest waits:";
    for (const DeferredRead& d : r.worst) {
      const PollItem* item = list.find(d.oid);
      std::string name = format_oid(d.oid);
      if (item != nullptr) name = item->sensors.empty() ? item->name : item->sensors.front().key;
      text += " " + name + " " + whole_seconds(d.late) + " late (" +
              (d.interval > Duration::zero() ? "every " + whole_seconds(d.interval) : "read once") +
              ")" + (&d == &r.worst.back() ? "" : ",");
    }
  }
  if (r.overdue > 0) {
    text += "; " + counted_noun(r.overdue, "value") + (r.overdue == 1 ? " waits" : " wait") +
            " longer than its interval now";
  }
  return text;
}

SchedulerSettings scheduler_settings(const InverterConfig& inv) {
  SchedulerSettings s;
  s.frames_per_second = inv.frames_per_second;
  s.burst = std::max(1, inv.in_flight);
  return s;
}

}  // namespace

SessionMachine::SessionMachine(SessionSettings settings, const Registry& registry,
                               RecordStore& records, PollListCache& poll_lists)
    : settings_(std::move(settings)),
      registry_(registry),
      records_(records),
      poll_lists_(poll_lists),
      scheduler_(scheduler_settings(settings_.inverter)),
      writes_(write_settings(settings_)) {}

std::string SessionMachine::topic(std::string_view key) const {
  return value_topic(settings_.base_topic, inventory_.serial, key);
}

void SessionMachine::set_list(PollListCache::Handle list, Instant now) {
  list_ = std::move(list);
  scheduler_.set_items(list_->items(), now);
}

Effects SessionMachine::start(const Moment& now) {
  Effects out;
  phase_ = Phase::kInventory;
  started_at_ = now.steady;
  // Inventory first: only the inventory OIDs until each has answered once.
  set_list(poll_lists_.get(settings_.poll, settings_.writes, registry_, Inventory{},
                           PollScope::kInventory),
           now.steady);
  out.push_back(LogLine{LogLevel::kInfo, prefix() + "connecting to " + settings_.inverter.host +
                                             ":" + std::to_string(settings_.inverter.port)});
  return out;
}

Effects SessionMachine::stop(const Moment& /*now*/) {
  Effects out;
  if (phase_ == Phase::kStopped) return out;
  phase_ = Phase::kStopped;
  append(out, writes_.on_stop());
  save_totals(out);
  return out;
}

Effects SessionMachine::revert_before_stop(const Moment& now) {
  if (phase_ == Phase::kStopped) return {StopReverted{}};
  return writes_.revert_before_stop(connected_, now);
}

bool SessionMachine::same_connection(const SessionSettings& next) const {
  return daemon::same_connection(settings_.inverter, next.inverter);
}

Effects SessionMachine::apply_settings(SessionSettings settings, const Moment& now) {
  Effects out;
  settings_ = std::move(settings);
  scheduler_.set_settings(scheduler_settings(settings_.inverter));
  append(out, writes_.apply(write_settings(settings_)));
  if (phase_ == Phase::kStopped) return out;
  // The scheduler keeps its grid for kept OIDs (a changed interval applies from the next read).
  if (phase_ == Phase::kPolling) {
    rebuild_items(out, now.steady);
    announce_discovery(out);
    append(out, writes_.start_modes(now));
  }
  check_silence(out, now.steady);
  pump(out, now.steady);
  return out;
}

Effects SessionMachine::on_link_up(std::string_view peer, const Moment& /*now*/) {
  if (phase_ == Phase::kStopped) return {};
  link_up_ = true;
  ++link_ups_;
  return {LogLine{LogLevel::kInfo, prefix() + "connected to " + std::string(peer)},
          StatusChanged{}};
}

Effects SessionMachine::on_link_down(std::string_view what, const Moment& /*now*/) {
  if (phase_ == Phase::kStopped) return {};
  link_up_ = false;
  // Once per transition (the client says so): an inverter that is off at night is not retried
  // in the log.
  return {LogLine{LogLevel::kWarn, prefix() + "inverter unreachable: " + std::string(what)},
          StatusChanged{}};
}

Effects SessionMachine::on_connected(bool connected, const Moment& now) {
  Effects out;
  if (phase_ == Phase::kStopped || connected == connected_) return out;
  connected_ = connected;
  if (connected) {
    // A fresh connection: nothing is in flight, the inventory is read first again.
    scheduler_.on_reconnect(now.steady);
    // The inverter may have restarted (written settings are volatile): the mode is read again.
    if (phase_ == Phase::kPolling) append(out, writes_.start_modes(now));
    if (event_log_) event_log_->want(now.steady);
    pump(out, now.steady);
    pump_event_log(out, now);
  }
  return out;
}

void SessionMachine::pump_event_log(Effects& out, const Moment& now) {
  if (phase_ != Phase::kPolling || !connected_ || !event_log_) return;
  if (const auto q = event_log_->take_due(now.steady, now.wall)) {
    out.emplace_back(std::in_place_type<QueryEvents>, QueryEvents{q->from, q->to, q->single_page});
  }
}

Effects SessionMachine::on_event_table(const EventTable& table, const Moment& now) {
  Effects out;
  out.push_back(Progress{});
  if (phase_ != Phase::kPolling || !event_log_) return out;
  const std::vector<EventEntry> fresh = event_log_->on_answer(table, now.steady);
  for (const EventEntry& e : fresh) {
    out.push_back(Publish{topic(kEventLogKey), event_log_entry_payload(e), settings_.qos, false});
  }
  InverterRecord& rec = records_.record(topic_id(inventory_.serial));
  if (rec.event_log != event_log_->position()) {
    rec.event_log = event_log_->position();
    out.push_back(StateChanged{});
  }
  pump_event_log(out, now);
  return out;
}

Effects SessionMachine::on_event_table_failed(client::ClientError error, const Moment& now) {
  Effects out;
  out.push_back(Progress{});
  if (phase_ != Phase::kPolling || !event_log_) return out;
  event_log_->on_failed(now.steady);
  out.push_back(LogLine{LogLevel::kDebug, prefix() + "event table not read (" +
                                              std::string(client::client_error_name(error)) +
                                              "), again later"});
  pump_event_log(out, now);
  return out;
}

void SessionMachine::on_fault_words(Effects& out, const FaultWords& words, const Moment& now) {
  if (fault_words_ == words) return;
  if (fault_words_) {
    const std::string time = iso8601_utc(now.wall);
    for (const FaultChange& c : fault_changes(*fault_words_, words)) {
      out.push_back(LogLine{
          c.raised ? LogLevel::kWarn : LogLevel::kInfo,
          prefix() + "fault " + (c.raised ? "raised: " : "cleared: ") + fault_name(c.number)});
      out.push_back(
          Publish{topic(kFaultEventKey), fault_event_payload(c, time), settings_.qos, false});
    }
    // The device logs what happened in its event table.
    if (event_log_) event_log_->want(now.steady);
  }
  fault_words_ = words;
  records_.record(topic_id(inventory_.serial)).fault_words = words;
  out.push_back(StateChanged{});
}

void SessionMachine::pump(Effects& out, Instant now) {
  if (phase_ == Phase::kStopped || !connected_) return;
  const std::size_t window = static_cast<std::size_t>(std::max(1, settings_.inverter.in_flight));
  const std::size_t busy = scheduler_.in_flight();
  if (busy >= window) return;
  for (std::uint32_t oid : scheduler_.take_due(now, window - busy)) {
    out.emplace_back(std::in_place_type<ReadOid>, ReadOid{oid, settings_.inverter.address});
  }
}

Effects SessionMachine::on_read_failed(std::uint32_t oid, client::ClientError error,
                                       const Moment& now) {
  Effects out;
  scheduler_.on_complete(oid);
  out.push_back(Progress{});
  if (phase_ == Phase::kStopped) return out;
  // A request the link took down with it is no error of the inverter's.
  if (error != client::ClientError::kCancelled && error != client::ClientError::kDisconnected &&
      error != client::ClientError::kNotConnected) {
    ++errors_;
  }
  append(out, writes_.on_read_failed(oid, now));
  save_mode_record(out);
  pump(out, now.steady);
  return out;
}

Effects SessionMachine::on_reading(std::uint32_t oid, const Value& value, const Moment& now) {
  Effects out;
  scheduler_.on_complete(oid);
  out.push_back(Progress{});
  if (phase_ == Phase::kStopped) return out;
  ++completed_;
  last_answer_ = now.steady;
  const bool inventory_changed = inventory_.apply(oid, value);
  if (inventory_changed) writes_.set_serial(inventory_.serial);

  if (phase_ == Phase::kInventory) {
    inventory_readings_[oid] = value;
    if (!scheduler_.inventory_phase() && !inventory_.serial.empty()) enter_polling(out, now);
  } else if (inventory_changed) {
    out.push_back(LogLine{LogLevel::kInfo,
                          prefix() + "hardware inventory changed, rebuilding the poll list"});
    rebuild_items(out, now.steady);
    // Hardware found one reading after another (the module slots of a sweep) is announced once,
    // when the readings have settled, not once per slot.
    announce_due_ = now.steady + kInventorySettle;
  }
  if (phase_ == Phase::kPolling) {
    set_online(out, true);
    if (const PollItem* item = list_->find(oid); item != nullptr && policy_) {
      publish_values(out, policy_->on_reading(*item, value, now.steady), now.wall);
      save_totals(out);
      if (const auto words = policy_->take_fault_words()) on_fault_words(out, *words, now);
    }
    publish_battery(out, battery_modules_.on_reading(oid, value));
    append(out, writes_.on_reading(oid, value, now.steady));
  }
  append(out, writes_.on_mode_reading(oid, value, now));
  save_mode_record(out);
  pump(out, now.steady);
  pump_event_log(out, now);
  return out;
}

void SessionMachine::enter_polling(Effects& out, const Moment& now) {
  phase_ = Phase::kPolling;
  const InverterRecord& rec = records_.record(topic_id(inventory_.serial));
  PolicySettings ps;
  ps.heartbeat = settings_.heartbeat;
  policy_.emplace(ps, rec.totals);
  out.push_back(LogLine{LogLevel::kInfo, prefix() + "inverter " + inventory_.serial + " (" +
                                             inventory_.device_name + ", firmware " +
                                             inventory_.firmware + "), " + inventory_.model()});
  rebuild_items(out, now.steady);
  set_online(out, true);
  announce_discovery(out);
  for (const auto& [oid, value] : inventory_readings_) {
    if (const PollItem* item = list_->find(oid)) {
      publish_values(out, policy_->on_reading(*item, value, now.steady), now.wall);
    }
  }
  inventory_readings_.clear();
  publish_diagnostics(out, now.steady);
  writes_.restore_modes(rec.battery_mode);
  append(out, writes_.start_modes(now));
  fault_words_ = rec.fault_words;
  event_log_.emplace(rec.event_log);
  event_log_->want(now.steady);
}

void SessionMachine::rebuild_items(Effects& out, Instant now) {
  set_list(poll_lists_.get(settings_.poll, settings_.writes, registry_, inventory_), now);
  for (const auto& problem : list_->conflicts()) {
    out.push_back(LogLine{LogLevel::kWarn, prefix() + problem});
  }
  out.push_back(LogLine{LogLevel::kInfo,
                        prefix() + "polling " + std::to_string(list_->items().size()) + " values"});
}

DiscoverySettings SessionMachine::discovery_settings() const {
  DiscoverySettings ds = settings_.discovery;
  if (!settings_.writes_possible()) {
    ds.writable.clear();
    ds.battery_mode = false;
  }
  return ds;
}

void SessionMachine::announce_discovery(Effects& out) {
  announce_due_.reset();
  if (!settings_.discovery_enabled || inventory_.serial.empty()) return;
  InverterRecord& rec = records_.record(topic_id(inventory_.serial));
  const AnnouncedDiscovery* previous = rec.discovery ? &*rec.discovery : nullptr;
  DiscoveryBuild build =
      build_discovery(discovery_settings(), inventory_, list_->items(), previous);
  rec.discovery = std::move(build.announced);
  out.push_back(StateChanged{});
  discovery_removals_.emplace();
  const bool hands_over =
      std::any_of(build.messages.begin(), build.messages.end(),
                  [](const DiscoveryMessage& m) { return m.payload == kMigratePayload; });
  if (!mqtt_connected_once_ && hands_over) discovery_unsent_handover_ = build.messages;
  for (DiscoveryMessage& m : build.messages) {
    if (m.payload.empty()) discovery_removals_->push_back(m.topic);
    out.push_back(Publish{std::move(m.topic), std::move(m.payload), 1, true});
  }
}

void SessionMachine::republish_discovery(Effects& out) const {
  if (!discovery_removals_ || !settings_.discovery_enabled) return;
  if (!discovery_unsent_handover_.empty()) {
    for (const DiscoveryMessage& m : discovery_unsent_handover_) {
      out.push_back(Publish{m.topic, m.payload, 1, true});
    }
    return;
  }
  for (const std::string& topic : *discovery_removals_) out.push_back(Publish{topic, "", 1, true});
  // Built against what it announced itself, the announcement has no removals of its own.
  const InverterRecord& rec = records_.record(topic_id(inventory_.serial));
  const AnnouncedDiscovery* announced = rec.discovery ? &*rec.discovery : nullptr;
  for (DiscoveryMessage& m :
       build_discovery(discovery_settings(), inventory_, list_->items(), announced).messages) {
    out.push_back(Publish{std::move(m.topic), std::move(m.payload), 1, true});
  }
}

Effects SessionMachine::on_mqtt_connected(const Moment& now) {
  Effects out;
  mqtt_connected_once_ = true;
  republish_everything(out, now);
  return out;
}

void SessionMachine::republish_everything(Effects& out, const Moment& now) {
  if (inventory_.serial.empty()) return;
  republish_discovery(out);
  discovery_unsent_handover_.clear();
  if (status_published_) {
    out.push_back(Publish{inverter_status_topic(settings_.base_topic, inventory_.serial),
                          std::string(online_ ? kOnline : kOffline), 1, true});
  }
  if (policy_) publish_values(out, policy_->current(), now.wall);
  publish_battery(out, battery_modules_.current());
  append(out, writes_.republish());
}

void SessionMachine::publish_values(Effects& out, const std::vector<Publication>& pubs,
                                    WallTime now) {
  if (pubs.empty()) return;
  values_published_ += pubs.size();
  for (const auto& p : pubs) {
    out.push_back(Publish{topic(p.key), p.payload, settings_.qos, settings_.retain});
  }
  if (settings_.json_aggregate && policy_) {
    out.push_back(Publish{aggregate_topic(settings_.base_topic, inventory_.serial),
                          aggregate_payload(policy_->current(), now), settings_.qos, false});
  }
}

void SessionMachine::publish_battery(Effects& out,
                                     std::vector<BatteryModuleState::Topic> topics) const {
  for (auto& t : topics) {
    out.push_back(Publish{topic(t.key), std::move(t.payload), settings_.qos, settings_.retain});
  }
}

void SessionMachine::set_online(Effects& out, bool online) {
  if (inventory_.serial.empty()) return;
  if (online == online_ && status_published_) return;
  online_ = online;
  status_published_ = true;
  if (online) {
    out.push_back(LogLine{LogLevel::kInfo, prefix() + inventory_.serial + " online"});
  } else {
    const auto secs =
        std::chrono::duration_cast<std::chrono::seconds>(settings_.inverter.offline_after);
    out.push_back(LogLine{LogLevel::kWarn, prefix() + inventory_.serial +
                                               " offline (no valid answer for " +
                                               std::to_string(secs.count()) + " s)"});
  }
  out.push_back(Publish{inverter_status_topic(settings_.base_topic, inventory_.serial),
                        std::string(online ? kOnline : kOffline), 1, true});
  out.push_back(StatusChanged{});
}

void SessionMachine::check_silence(Effects& out, Instant now) {
  if (!online_ || now - last_answer_ < settings_.inverter.offline_after) return;
  if (inventory_.serial.empty()) {
    online_ = false;  // a serial read back empty: nothing to publish it on
    return;
  }
  set_online(out, false);
}

void SessionMachine::publish_diagnostics(Effects& out, Instant now) {
  double fps = 0.0;
  if (last_diag_) {
    const double secs = std::chrono::duration<double>(now - *last_diag_).count();
    if (secs > 0) fps = static_cast<double>(completed_ - completed_at_last_diag_) / secs;
    // The debug summary of the period (docs/architecture.md, log levels).
    out.push_back(LogLine{LogLevel::kDebug,
                          prefix() + std::to_string(completed_ - completed_at_last_diag_) +
                              " answers, " + std::to_string(errors_ - errors_at_last_diag_) +
                              " failed reads in the last " + whole_seconds(now - *last_diag_) +
                              "; " +
                              (connected_ ? deferral_words(scheduler_.deferrals(now), *list_)
                                          : std::string("not connected"))});
  }
  scheduler_.clear_deferrals();
  last_diag_ = now;
  completed_at_last_diag_ = completed_;
  errors_at_last_diag_ = errors_;
  if (inventory_.serial.empty()) return;
  const std::uint64_t errors = errors_ + (policy_ ? policy_->rejected_total() : 0);
  out.push_back(Publish{topic(kBridgeFramesPerSecondKey), payload_number(fps, false), 0, true});
  out.push_back(
      Publish{topic(kBridgeErrorsKey), format_integer(static_cast<std::int64_t>(errors)), 0, true});
}

void SessionMachine::save_totals(Effects& out) {
  if (!policy_ || !policy_->totals_changed() || inventory_.serial.empty()) return;
  records_.record(topic_id(inventory_.serial)).totals = policy_->totals();
  policy_->mark_saved();
  out.push_back(StateChanged{});
}

Effects SessionMachine::on_tick(const Moment& now) {
  Effects out;
  if (phase_ == Phase::kStopped) return out;
  check_silence(out, now.steady);
  if (phase_ == Phase::kPolling && last_diag_ && now.steady >= *last_diag_ + kDiagnosticsPeriod) {
    publish_diagnostics(out, now.steady);
  }
  if (announce_due_ && now.steady >= *announce_due_) {
    announce_due_.reset();
    announce_discovery(out);
  }
  append(out, writes_.on_tick(now));
  save_mode_record(out);
  pump(out, now.steady);
  pump_event_log(out, now);
  return out;
}

Effects SessionMachine::on_command(std::string_view key, std::string_view payload,
                                   const Moment& now, const std::optional<ReplyTo>& reply) {
  if (const auto action = bridge_action_of_key(key)) {
    return on_bridge_action(*action, payload, now, reply);
  }
  Effects out = writes_.on_command(key, payload, phase_ != Phase::kStopped, now, reply);
  save_mode_record(out);
  return out;
}

Effects SessionMachine::on_bridge_action(BridgeAction action, std::string_view payload,
                                         const Moment& now, const std::optional<ReplyTo>& reply) {
  Effects out;
  std::string blocker;
  if (phase_ == Phase::kStopped) {
    blocker = "the inverter session is not running";
  } else if (action == BridgeAction::kRepublishDiscovery && phase_ != Phase::kPolling) {
    blocker = "the hardware inventory is still being read; nothing is announced yet";
  } else if (action == BridgeAction::kReconnect) {
    blocker = writes_.reconnect_blocker();
  }
  const std::string result_topic = bridge_action_result_topic(
      settings_.base_topic, inventory_.serial, bridge_action_name(action));
  if (!bridge_actions_.press(out, action, payload, blocker, prefix(), result_topic, now, reply)) {
    return out;
  }
  switch (action) {
    case BridgeAction::kRepublishDiscovery:
      republish_everything(out, now);
      break;
    case BridgeAction::kReconnect:
      out.push_back(LogLine{LogLevel::kInfo, prefix() + "reconnecting to " +
                                                 settings_.inverter.host + ":" +
                                                 std::to_string(settings_.inverter.port)});
      // The shell closes the connection at once; the client reports no link down for a close
      // it was asked for. Availability keeps its own clock (offline_after).
      link_up_ = false;
      connected_ = false;
      out.push_back(StatusChanged{});
      out.push_back(ReconnectInverter{});
      break;
  }
  return out;
}

Effects SessionMachine::on_write_outcome(std::uint64_t tag, const client::WriteOutcome& outcome,
                                         const Moment& now) {
  Effects out = writes_.on_outcome(tag, outcome, now);
  save_mode_record(out);
  return out;
}

void SessionMachine::save_mode_record(Effects& out) {
  auto record = writes_.take_mode_record();
  if (!record || inventory_.serial.empty()) return;
  records_.record(topic_id(inventory_.serial)).battery_mode = std::move(*record);
  out.push_back(StateChanged{});
}

bool SessionMachine::take_guest_slot(Instant now) {
  return !connected_ || scheduler_.take_guest(now);
}

Instant SessionMachine::next_guest_slot(Instant now) const {
  return connected_ ? scheduler_.next_guest(now) : now;
}

std::optional<Instant> SessionMachine::next_wakeup() const {
  if (phase_ == Phase::kStopped) return std::nullopt;
  std::optional<Instant> at;
  auto consider = [&at](std::optional<Instant> t) {
    if (t && (!at || *t < *at)) at = t;
  };
  if (online_) consider(last_answer_ + settings_.inverter.offline_after);
  if (phase_ == Phase::kPolling && last_diag_) consider(*last_diag_ + kDiagnosticsPeriod);
  consider(writes_.next_wakeup());
  consider(announce_due_);
  // With the window full, the next completion pumps: no wake-up for reads.
  const std::size_t window = static_cast<std::size_t>(std::max(1, settings_.inverter.in_flight));
  if (connected_ && scheduler_.in_flight() < window) consider(scheduler_.next_due());
  if (connected_ && phase_ == Phase::kPolling && event_log_) consider(event_log_->next_due());
  return at;
}

}  // namespace rct::daemon
