#include "daemon/app/inverter_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <asio/post.hpp>
#include <chrono>
#include <utility>

#include "config/client_settings.h"
#include "core/write_validation.h"
#include "daemon/poll_list.h"
#include "daemon/setting_presentation.h"
#include "daemon/state_aggregate.h"
#include "daemon/topics.h"

namespace rct::daemon {

namespace {

constexpr auto kSilenceCheck = std::chrono::milliseconds{500};
// Bridge diagnostics (frames/s, errors) are published this often.
constexpr auto kDiagnosticsPeriod = std::chrono::seconds{10};
// Whatever the scheduler says, look again this often (a reconnect resets its state).
constexpr auto kMaxPollSleep = std::chrono::seconds{1};

Instant now() {
  return std::chrono::steady_clock::now();
}

client::WriterOptions writer_options(const WritesConfig& w) {
  client::WriterOptions o;
  o.verify.readback_delay = w.readback_delay;
  o.verify.readback_interval = w.readback_interval;
  o.verify.readback_attempts = static_cast<unsigned>(std::max(1, w.readback_attempts));
  o.verify.dry_run = w.dry_run;
  o.min_interval = w.min_interval;
  return o;
}

DeadManTimer::Options dead_man_options(const WritesConfig& w) {
  DeadManTimer::Options o;
  o.timeout = w.dead_man_timeout;
  return o;
}

std::string seconds_text(Duration d) {
  return fmt::format("{:g}", std::chrono::duration<double>(d).count());
}

SchedulerSettings scheduler_settings(const InverterConfig& inv) {
  SchedulerSettings s;
  s.frames_per_second = inv.frames_per_second;
  s.burst = std::max(1, inv.in_flight);
  return s;
}

}  // namespace

InverterSession::InverterSession(asio::io_context& io, const Registry& registry, SessionHost& host,
                                 std::shared_ptr<spdlog::logger> log, const Config& config,
                                 std::size_t index)
    : io_(io),
      registry_(registry),
      host_(host),
      log_(std::move(log)),
      config_(config),
      inverter_(config.inverters.at(index)),
      index_(index),
      scheduler_(scheduler_settings(inverter_)),
      poll_timer_(io),
      silence_timer_(io),
      diagnostics_timer_(io),
      settings_(config.mqtt.heartbeat),
      dead_man_(dead_man_options(config.writes)),
      dead_man_timer_(io) {}

InverterSession::~InverterSession() {
  stop();
}

void InverterSession::make_client() {
  client_ = std::make_unique<client::Client>(io_, registry_, client_options(inverter_),
                                             static_cast<client::ClientObserver&>(*this));
}

void InverterSession::start() {
  running_ = true;
  // Inventory first: only the inventory OIDs until each has answered once.
  items_.clear();
  for (auto& item : build_poll_list(config_, registry_, Inventory{})) {
    if (item.inventory) items_.push_back(std::move(item));
  }
  item_index_.clear();
  for (std::size_t i = 0; i < items_.size(); ++i) item_index_[items_[i].oid] = i;
  scheduler_.set_items(items_, now());
  writer_.reset();  // it refers to the client being replaced
  make_client();
  writer_ = std::make_unique<client::VerifiedWriter>(io_, *client_, WritePolicy{},
                                                     writer_options(config_.writes));
  apply_write_config();
  log_->info("{}: connecting to {}:{}", inverter_.name, inverter_.host, inverter_.port);
  client_->start();
  check_silence();
  arm_poll_timer(now());
}

void InverterSession::stop() {
  if (!running_) return;
  running_ = false;
  poll_timer_.cancel();
  silence_timer_.cancel();
  diagnostics_timer_.cancel();
  dead_man_timer_.cancel();
  stop_revert_done_ = nullptr;
  if (dead_man_.state() != DeadManTimer::State::kIdle) {
    log_->warn(
        "{}: stopping while the dead-man timer is {}: nothing will revert "
        "battery_power_extern and soc_strategy until rct2mqtt runs again",
        inverter_.name, dead_man_state_name(dead_man_.state()));
  }
  if (client_) client_->stop();
  save_totals();
}

bool InverterSession::same_connection(const Config& config, std::size_t index) const {
  if (index >= config.inverters.size()) return false;
  // Everything the client was built with; the budget, intervals and values apply live.
  const auto& n = config.inverters[index];
  return client_options(n) == client_options(inverter_) && n.address == inverter_.address;
}

void InverterSession::apply_config(const Config& config) {
  config_ = config;
  inverter_ = config.inverters.at(index_);
  scheduler_.set_settings(scheduler_settings(inverter_));
  apply_write_config();
  // The scheduler keeps its grid for kept OIDs (a changed interval applies from the next read).
  if (polling_) {
    rebuild_items();
    announce_discovery();
  }
  check_silence();
  pump();
}

std::string InverterSession::topic(std::string_view key) const {
  return value_topic(config_.mqtt.base_topic, inventory_.serial, key);
}

void InverterSession::on_state(client::ClientState state) {
  auto alive = std::weak_ptr<int>(alive_);
  asio::post(io_, [this, alive, state] {
    if (alive.expired() || !running_) return;
    const bool connected = state == client::ClientState::kConnected;
    if (connected == connected_) return;
    connected_ = connected;
    if (connected) {
      // A fresh connection: nothing is in flight, the inventory is read first again.
      scheduler_.on_reconnect(now());
      pump();
    }
  });
}

void InverterSession::on_link_up(const std::string& peer) {
  auto alive = std::weak_ptr<int>(alive_);
  asio::post(io_, [this, alive, peer] {
    if (alive.expired()) return;
    log_->info("{}: connected to {}", inverter_.name, peer);
    link_up_ = true;
    host_.status_changed();
  });
}

void InverterSession::on_link_down(client::LinkDownReason reason, const std::error_code& error) {
  auto alive = std::weak_ptr<int>(alive_);
  std::string what = fmt::format("{} ({})", client::link_down_reason_name(reason), error.message());
  asio::post(io_, [this, alive, what] {
    if (alive.expired()) return;
    // Once per transition: an inverter that is off at night is not retried in the log.
    log_->warn("{}: inverter unreachable: {}", inverter_.name, what);
    link_up_ = false;
    host_.status_changed();
  });
}

void InverterSession::on_retry(client::LinkDownReason reason, const std::error_code& error,
                               client::Duration delay) {
  log_->debug("{}: retry in {} ms after {} ({})", inverter_.name,
              std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(),
              client::link_down_reason_name(reason), error.message());
}

void InverterSession::on_timeout(std::uint32_t oid, bool will_retry) {
  log_->debug("{}: timeout reading 0x{:08X}{}", inverter_.name, oid,
              will_retry ? ", retrying" : "");
}

void InverterSession::arm_poll_timer(std::optional<Instant> at) {
  const Instant limit = now() + kMaxPollSleep;
  const Instant when = at ? std::min(*at, limit) : limit;
  poll_timer_.expires_at(when);
  auto alive = std::weak_ptr<int>(alive_);
  poll_timer_.async_wait([this, alive](const std::error_code& ec) {
    if (ec || alive.expired() || !running_) return;
    pump();
  });
}

void InverterSession::pump() {
  if (!running_ || !client_) return;
  const Instant t = now();
  if (connected_ && client_->state() == client::ClientState::kConnected) {
    const std::size_t window = static_cast<std::size_t>(std::max(1, inverter_.in_flight));
    const std::size_t busy = scheduler_.in_flight();
    if (busy < window) {
      auto alive = std::weak_ptr<int>(alive_);
      for (std::uint32_t oid : scheduler_.take_due(t, window - busy)) {
        auto cb = [this, alive, oid](Result<client::Reading, client::ClientError> r) {
          if (alive.expired()) return;
          on_result(oid, std::move(r));
        };
        if (inverter_.address) {
          client_->read_plant(*inverter_.address, oid, std::move(cb));
        } else {
          client_->read(oid, std::move(cb));
        }
      }
    }
    arm_poll_timer(scheduler_.next_due(t));
  } else {
    arm_poll_timer(std::nullopt);
  }
}

void InverterSession::on_result(std::uint32_t oid,
                                Result<client::Reading, client::ClientError> result) {
  const Instant t = now();
  scheduler_.on_complete(oid, t);
  host_.progress();
  if (!running_) return;
  if (!result) {
    if (result.error() != client::ClientError::kCancelled &&
        result.error() != client::ClientError::kDisconnected &&
        result.error() != client::ClientError::kNotConnected) {
      ++errors_;
    }
    pump();
    return;
  }
  ++completed_;
  last_answer_ = t;
  const client::Reading& reading = result.value();
  const bool inventory_changed = inventory_.apply(oid, reading.value);

  if (!polling_) {
    inventory_readings_[oid] = reading.value;
    if (!scheduler_.inventory_phase() && !inventory_.serial.empty()) enter_polling();
  } else if (inventory_changed) {
    log_->info("{}: hardware inventory changed, rebuilding the poll list", inverter_.name);
    rebuild_items();
    announce_discovery();
  }
  if (polling_) {
    set_online(true);
    auto it = item_index_.find(oid);
    if (it != item_index_.end() && policy_) {
      publish_values(policy_->on_reading(items_[it->second], reading.value, t));
      save_totals();
    }
    if (const WritableEntry* e = find_writable(oid); e != nullptr && setting_published(*e)) {
      publish_setting(*e, reading.value, false);
    }
  }
  pump();
}

void InverterSession::enter_polling() {
  polling_ = true;
  InverterRecord& rec = host_.record(topic_id(inventory_.serial));
  PolicySettings ps;
  ps.heartbeat = config_.mqtt.heartbeat;
  policy_.emplace(ps, rec.totals);
  log_->info("{}: inverter {} ({}, firmware {}), {}", inverter_.name, inventory_.serial,
             inventory_.device_name, inventory_.firmware, inventory_.model());
  rebuild_items();
  set_online(true);
  announce_discovery();
  for (const auto& [oid, value] : inventory_readings_) {
    auto it = item_index_.find(oid);
    if (it != item_index_.end())
      publish_values(policy_->on_reading(items_[it->second], value, now()));
  }
  inventory_readings_.clear();
  publish_diagnostics();
}

void InverterSession::rebuild_items() {
  items_ = build_poll_list(config_, registry_, inventory_);
  for (const auto& problem : poll_list_conflicts(items_))
    log_->warn("{}: {}", inverter_.name, problem);
  item_index_.clear();
  for (std::size_t i = 0; i < items_.size(); ++i) item_index_[items_[i].oid] = i;
  scheduler_.set_items(items_, now());
  log_->info("{}: polling {} values", inverter_.name, items_.size());
}

void InverterSession::announce_discovery() {
  if (!config_.homeassistant.enabled || inventory_.serial.empty()) return;
  InverterRecord& rec = host_.record(topic_id(inventory_.serial));
  const AnnouncedDiscovery* previous = rec.discovery ? &*rec.discovery : nullptr;
  DiscoverySettings settings = discovery_settings(config_, RCT2MQTT_VERSION);
  if (!writes_possible()) settings.writable.clear();
  discovery_ = build_discovery(settings, inventory_, items_, previous);
  rec.discovery = discovery_->announced;
  host_.state_changed();
  republish_discovery();
}

void InverterSession::republish_discovery() {
  if (!discovery_) return;
  for (const auto& m : discovery_->messages) host_.publish(m.topic, m.payload, 1, true);
}

void InverterSession::republish_all() {
  if (inventory_.serial.empty()) return;
  republish_discovery();
  if (status_published_) {
    host_.publish(inverter_status_topic(config_.mqtt.base_topic, inventory_.serial),
                  online_ ? kOnline : kOffline, 1, true);
  }
  if (policy_) publish_values(policy_->current());
  for (const auto& [key, entry] : settings_.current()) {
    host_.publish(setting_topic(config_.mqtt.base_topic, inventory_.serial, key), entry.payload,
                  config_.mqtt.qos, true);
  }
}

std::vector<DiscoveryMessage> InverterSession::removals() const {
  if (!discovery_) return {};
  return removal_messages(discovery_->announced);
}

void InverterSession::publish_values(const std::vector<Publication>& pubs) {
  if (pubs.empty()) return;
  for (const auto& p : pubs) {
    if (host_.publish(topic(p.key), p.payload, config_.mqtt.qos, config_.mqtt.retain)) ++published_;
  }
  if (config_.mqtt.json_aggregate && policy_) {
    host_.publish(aggregate_topic(config_.mqtt.base_topic, inventory_.serial),
                  aggregate_payload(policy_->current(), std::chrono::system_clock::now()),
                  config_.mqtt.qos, false);
  }
}

void InverterSession::set_online(bool online) {
  if (inventory_.serial.empty()) return;
  if (online == online_ && status_published_) return;
  online_ = online;
  status_published_ = true;
  if (online) {
    log_->info("{}: {} online", inverter_.name, inventory_.serial);
  } else {
    log_->warn("{}: {} offline (no valid answer for {} s)", inverter_.name, inventory_.serial,
               std::chrono::duration_cast<std::chrono::seconds>(inverter_.offline_after).count());
  }
  host_.publish(inverter_status_topic(config_.mqtt.base_topic, inventory_.serial),
                online ? kOnline : kOffline, 1, true);
  host_.status_changed();
}

void InverterSession::check_silence() {
  if (!running_) return;
  if (online_ && now() - last_answer_ > inverter_.offline_after) set_online(false);
  silence_timer_.expires_after(kSilenceCheck);
  auto alive = std::weak_ptr<int>(alive_);
  silence_timer_.async_wait([this, alive](const std::error_code& ec) {
    if (ec || alive.expired()) return;
    check_silence();
  });
}

void InverterSession::publish_diagnostics() {
  if (!running_ || inventory_.serial.empty()) return;
  const Instant t = now();
  double fps = 0.0;
  if (last_diag_ != Instant{}) {
    const double secs = std::chrono::duration<double>(t - last_diag_).count();
    if (secs > 0) fps = static_cast<double>(completed_ - completed_at_last_diag_) / secs;
  }
  last_diag_ = t;
  completed_at_last_diag_ = completed_;
  const std::uint64_t errors = errors_ + (policy_ ? policy_->rejected_total() : 0);
  host_.publish(topic(kBridgeFramesPerSecondKey), format_number(fps, false), 0, true);
  host_.publish(topic(kBridgeErrorsKey), format_integer(static_cast<std::int64_t>(errors)), 0,
                true);
  diagnostics_timer_.expires_after(kDiagnosticsPeriod);
  auto alive = std::weak_ptr<int>(alive_);
  diagnostics_timer_.async_wait([this, alive](const std::error_code& ec) {
    if (ec || alive.expired()) return;
    publish_diagnostics();
  });
}

void InverterSession::save_totals() {
  if (!policy_ || !policy_->totals_changed() || inventory_.serial.empty()) return;
  host_.record(topic_id(inventory_.serial)).totals = policy_->totals();
  policy_->mark_saved();
  host_.state_changed();
}

// ---- Writes ----

bool InverterSession::writes_possible() const {
  return !inverter_.address.has_value();
}

void InverterSession::apply_write_config() {
  const WritesConfig& w = config_.writes;
  const bool enabled = w.enabled && writes_possible();
  WritePolicy policy;
  policy.enabled = enabled;
  allowed_settings_ = enabled ? allowed_writable(w) : std::vector<const WritableEntry*>{};
  for (const WritableEntry* e : allowed_settings_) policy.allowed.push_back(e->oid);
  if (writer_) {
    writer_->set_policy(std::move(policy));
    writer_->set_options(writer_options(w));
  }
  dead_man_.set_options(dead_man_options(w));
  settings_.set_heartbeat(config_.mqtt.heartbeat);
  // Settings no longer published: clear their retained state, so nobody reads a stale value.
  for (const std::string& key : settings_.retain_only(allowed_settings_)) {
    host_.publish(setting_topic(config_.mqtt.base_topic, inventory_.serial, key), "", 1, true);
  }
}

bool InverterSession::setting_published(const WritableEntry& entry) const {
  return std::find(allowed_settings_.begin(), allowed_settings_.end(), &entry) !=
         allowed_settings_.end();
}

void InverterSession::publish_setting(const WritableEntry& entry, const Value& wire, bool force) {
  if (inventory_.serial.empty() || !setting_published(entry)) return;
  if (auto payload = settings_.on_reading(entry, wire, now(), force)) {
    host_.publish(setting_topic(config_.mqtt.base_topic, inventory_.serial, entry.key), *payload,
                  config_.mqtt.qos, true);
  }
}

void InverterSession::answer(const WriteResult& r, bool audit_warn) {
  // The audit trail: one line per outcome, at info (warn for dead-man reverts).
  const std::string line =
      fmt::format("{}: {}", inverter_.name, audit_outcome(topic_id(inventory_.serial), r));
  if (audit_warn) {
    log_->warn("{}", line);
  } else {
    log_->info("{}", line);
  }
  host_.publish(setting_result_topic(config_.mqtt.base_topic, inventory_.serial, r.key),
                result_payload(r, std::chrono::system_clock::now()), 1, false);
}

void InverterSession::handle_command(const std::string& key, std::string_view payload) {
  auto parsed = parse_command_payload(payload);
  const std::string id = parsed ? parsed->id : parsed.error().id;
  const std::string requested =
      parsed ? command_value_text(*parsed) : "'" + loggable(payload) + "'";
  log_->info("{}: {}", inverter_.name,
             audit_command(topic_id(inventory_.serial), key, requested, id));
  WriteResult r;
  r.id = id;
  r.key = key;
  r.outcome = client::write_status_name(client::WriteStatus::kRejected);
  const WritableEntry* entry = find_writable_key(key);
  if (entry == nullptr) {
    r.reason = reject_reason_name(RejectReason::kNotAllowlisted);
    r.message = "'" + loggable(key) + "' is not a writable setting";
    answer(r);
    return;
  }
  if (!parsed) {
    r.reason = reject_reason_name(RejectReason::kUnparseable);
    r.message = std::string(entry->name) + ": " + parsed.error().message;
    answer(r);
    return;
  }
  if (!writes_possible()) {
    r.reason = reject_reason_name(RejectReason::kWritesDisabled);
    r.message = std::string(entry->name) +
                ": writes to an inverter reached through a plant address are not supported";
    answer(r);
    return;
  }
  if (!writer_) {
    r.reason = reject_reason_name(RejectReason::kWritesDisabled);
    r.message = std::string(entry->name) + ": the inverter session is not running";
    answer(r);
    return;
  }
  client::WriteRequest request;
  request.oid = entry->oid;
  request.value = parsed->value;
  request.unit = InputUnit::kUser;
  auto alive = std::weak_ptr<int>(alive_);
  writer_->submit(std::move(request),
                  [this, alive, key, id, requested](const client::WriteOutcome& o) {
                    if (alive.expired()) return;
                    on_write_outcome(key, id, requested, o);
                  });
}

void InverterSession::on_write_outcome(const std::string& key, const std::string& id,
                                       const std::string& requested,
                                       const client::WriteOutcome& o) {
  const WritableEntry* entry = find_writable(o.oid);
  WriteResult r;
  r.id = id;
  r.key = key;
  r.outcome = client::write_status_name(o.status);
  r.message = o.message;
  switch (o.status) {
    case client::WriteStatus::kRejected:
      if (o.rejection) r.reason = reject_reason_name(o.rejection->reason);
      break;
    case client::WriteStatus::kUnverified:
      if (o.cause) r.reason = client::unverified_cause_name(*o.cause);
      break;
    case client::WriteStatus::kVerified:
    case client::WriteStatus::kDryRun:
      break;
  }
  if (entry != nullptr && o.readback && o.status != client::WriteStatus::kRejected) {
    r.value = user_text(*entry, *o.readback);
    r.numeric = numeric_setting(*entry);
  }
  if (r.message.empty()) r.message = "requested " + requested;
  answer(r);
  // The device's values seen on the way are the freshest there are.
  for (const auto& [oid, value] : o.interlock_values) {
    if (const WritableEntry* e = find_writable(oid)) publish_setting(*e, value, false);
  }
  if (entry != nullptr && o.readback && o.status == client::WriteStatus::kVerified) {
    publish_setting(*entry, *o.readback, true);
  }
  if (o.writes_sent > 0 && o.write) {
    dead_man_.on_write(o.oid, o.write->value, now());
    arm_dead_man();
  }
}

void InverterSession::arm_dead_man() {
  dead_man_timer_.cancel();
  const auto deadline = dead_man_.deadline();
  if (!deadline || !running_) return;
  dead_man_timer_.expires_at(*deadline);
  auto alive = std::weak_ptr<int>(alive_);
  dead_man_timer_.async_wait([this, alive](const std::error_code& ec) {
    if (ec || alive.expired() || !running_) return;
    on_dead_man();
  });
}

void InverterSession::on_dead_man() {
  const auto writes = dead_man_.poll(now());
  if (writes.empty()) {
    arm_dead_man();
    return;
  }
  log_->warn(
      "{}: dead-man: battery_power_extern was not refreshed within {} s: writing it 0 W "
      "and soc_strategy Internal",
      inverter_.name, seconds_text(dead_man_.options().timeout));
  submit_reverts(writes);
}

void InverterSession::revert_before_stop(std::function<void()> done) {
  if (!running_ || dead_man_.state() == DeadManTimer::State::kIdle || !writer_) {
    done();
    return;
  }
  if (!connected_) {
    // stop() says that nothing will revert it.
    log_->warn("{}: stopping while not connected: the dead-man revert cannot be written",
               inverter_.name);
    done();
    return;
  }
  stop_revert_done_ = std::move(done);
  dead_man_timer_.cancel();
  if (reverts_pending_ > 0) {
    log_->warn("{}: stopping: waiting for the dead-man revert under way", inverter_.name);
    return;  // on_revert_outcome calls stop_revert_done_ when the round ends
  }
  log_->warn(
      "{}: stopping while the dead-man timer is {}: writing battery_power_extern 0 W and "
      "soc_strategy Internal first",
      inverter_.name, dead_man_state_name(dead_man_.state()));
  const auto writes = dead_man_.revert_now();
  if (writes.empty()) {  // nothing left to hand out: do not wait for outcomes that never come
    std::exchange(stop_revert_done_, nullptr)();
    return;
  }
  submit_reverts(writes);
}

void InverterSession::submit_reverts(const std::vector<DeadManTimer::RevertWrite>& writes) {
  reverts_pending_ = static_cast<unsigned>(writes.size());
  reverts_ok_ = true;
  auto alive = std::weak_ptr<int>(alive_);
  for (const DeadManTimer::RevertWrite& w : writes) {
    client::WriteRequest request;
    request.oid = w.oid;
    request.value = w.value;
    request.unit = InputUnit::kWire;
    request.safety_revert = true;
    writer_->submit(std::move(request), [this, alive](const client::WriteOutcome& o) {
      if (alive.expired()) return;
      on_revert_outcome(o);
    });
  }
}

void InverterSession::on_revert_outcome(const client::WriteOutcome& o) {
  const WritableEntry* entry = find_writable(o.oid);
  const bool verified = o.status == client::WriteStatus::kVerified;
  if (entry != nullptr) {
    WriteResult r;
    r.key = std::string(entry->key);
    r.outcome = client::write_status_name(o.status);
    // Always "dead_man", so that a flow can tell the bridge's revert from its own writes; the
    // message says what became of it.
    r.reason = std::string(kReasonDeadMan);
    r.message = "dead-man revert: " + o.message;
    if (o.readback) {
      r.value = user_text(*entry, *o.readback);
      r.numeric = numeric_setting(*entry);
    }
    answer(r, true);
    if (verified && o.readback) publish_setting(*entry, *o.readback, true);
  }
  reverts_ok_ = reverts_ok_ && verified;
  if (reverts_pending_ > 0 && --reverts_pending_ == 0) {
    if (!reverts_ok_) {
      log_->warn("{}: dead-man revert not confirmed; trying again in {} s", inverter_.name,
                 seconds_text(dead_man_.options().retry_interval));
    }
    dead_man_.on_revert_result(reverts_ok_, now());
    if (stop_revert_done_) {
      std::exchange(stop_revert_done_, nullptr)();
      return;
    }
    arm_dead_man();
  }
}

}  // namespace rct::daemon
