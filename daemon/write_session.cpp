#include "daemon/write_session.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "core/number_text.h"
#include "daemon/setting_presentation.h"
#include "daemon/topics.h"

namespace rct::daemon {

namespace {

std::string seconds_text(Duration d) {
  return human_number(std::chrono::duration<double>(d).count());
}

DeadManTimer::Options dead_man_options(const WritesConfig& w) {
  DeadManTimer::Options o;
  o.timeout = w.dead_man_timeout;
  return o;
}

// The read-back as the result shows it: the state text, a number for number settings.
void set_readback(WriteResult& r, const WritableEntry& entry, const Value& readback) {
  r.value = user_text(entry, readback);
  r.numeric = numeric_setting(entry);
}

}  // namespace

// ---- The one path of every write command ----

ReceivedCommand receive_command(std::string_view payload) {
  ReceivedCommand r;
  auto parsed = parse_command_payload(payload);
  if (parsed) {
    r.id = parsed->id;
    r.requested = command_value_text(*parsed);
    r.command = std::move(parsed.value());
  } else {
    r.id = parsed.error().id;
    r.error = parsed.error().message;
    r.requested = "'" + loggable(payload) + "'";
  }
  return r;
}

LogLine command_audit(std::string_view prefix, std::string_view serial_id, std::string_view key,
                      const ReceivedCommand& received) {
  return {LogLevel::kInfo,
          std::string(prefix) + audit_command(serial_id, key, received.requested, received.id)};
}

WriteResult rejection(std::string id, std::string key, std::string_view reason,
                      std::string message) {
  WriteResult r;
  r.id = std::move(id);
  r.key = std::move(key);
  r.outcome = client::write_status_name(client::WriteStatus::kRejected);
  r.reason = std::string(reason);
  r.message = std::move(message);
  return r;
}

void answer_command(Effects& out, std::string_view prefix, std::string_view serial_id,
                    std::string result_topic, const WriteResult& result, WallTime now,
                    LogLevel level, const std::optional<ReplyTo>& reply) {
  out.push_back(LogLine{level, std::string(prefix) + audit_outcome(serial_id, result)});
  publish_answer(out, Publish{std::move(result_topic), result_payload(result, now), 1, false},
                 reply);
}

Effects refuse_unknown_inverter(const CommandTarget& target, std::string_view command_topic,
                                std::string_view payload, WallTime now,
                                const std::optional<ReplyTo>& reply) {
  Effects out;
  const ReceivedCommand received = receive_command(payload);
  out.push_back(command_audit("", target.serial, target.key, received));
  const WriteResult r = rejection(
      received.id, target.key, kReasonUnknownInverter,
      "no inverter with serial '" + loggable(target.serial) + "' is known to this bridge");
  answer_command(out, "", target.serial, std::string(command_topic) + "/result", r, now,
                 LogLevel::kInfo, reply);
  return out;
}

// ---- WriteSession ----

WriteSettings write_settings(const SessionSettings& s) {
  WriteSettings w;
  w.name = s.inverter.name;
  w.base_topic = s.base_topic;
  w.qos = s.qos;
  w.heartbeat = s.heartbeat;
  w.writes = s.writes;
  w.battery_modes = s.battery_modes;
  w.possible = s.writes_possible();
  return w;
}

WriteSession::WriteSession(WriteSettings settings)
    : settings_(std::move(settings)),
      states_(settings_.heartbeat),
      dead_man_(dead_man_options(settings_.writes)),
      modes_(mode_settings()) {
  if (enabled()) allowed_ = allowed_writable(settings_.writes);
}

BatteryModeSettings WriteSession::mode_settings() const {
  BatteryModeSettings m;
  m.name = settings_.name;
  m.base_topic = settings_.base_topic;
  m.enabled = enabled() && battery_modes_allowed(settings_.writes);
  m.writes_enabled = settings_.writes.enabled;
  m.dry_run = settings_.writes.dry_run;
  m.dead_man_timeout = settings_.writes.dead_man_timeout;
  m.min_interval = settings_.writes.min_interval;
  m.config = settings_.battery_modes;
  return m;
}

Effects WriteSession::apply(WriteSettings settings) {
  settings_ = std::move(settings);
  allowed_ = enabled() ? allowed_writable(settings_.writes) : std::vector<const WritableEntry*>{};
  dead_man_.set_options(dead_man_options(settings_.writes));
  states_.set_heartbeat(settings_.heartbeat);
  Effects out = modes_.apply(mode_settings());
  // Settings no longer published: clear their retained state, so nobody reads a stale value.
  for (const std::string& key : states_.retain_only(allowed_)) {
    out.push_back(Publish{setting_topic(settings_.base_topic, serial_, key), "", 1, true});
  }
  return out;
}

WritePolicy WriteSession::policy() const {
  WritePolicy p;
  p.enabled = enabled();
  p.battery = battery_block_policy(settings_.writes);
  for (const WritableEntry* e : allowed_) p.allowed.push_back(e->oid);
  // The modes' own writes (strategy and power go as rate-exempt writes; the 0 W / Internal of
  // their reverts as safety reverts). on_command keeps settings commands to allowed_.
  if (modes_.settings().enabled) {
    for (std::uint32_t oid : {kOidSocMin, kOidSocStrategy, kOidBatteryPowerExtern}) {
      if (std::find(p.allowed.begin(), p.allowed.end(), oid) == p.allowed.end()) {
        p.allowed.push_back(oid);
      }
    }
  }
  return p;
}

bool WriteSession::is_published(const WritableEntry& entry) const {
  return std::find(allowed_.begin(), allowed_.end(), &entry) != allowed_.end();
}

void WriteSession::publish_setting(Effects& out, const WritableEntry& entry, const Value& wire,
                                   Instant now, bool force) {
  if (serial_.empty() || !is_published(entry)) return;
  if (auto payload = states_.on_reading(entry, wire, now, force)) {
    out.push_back(Publish{setting_topic(settings_.base_topic, serial_, entry.key),
                          std::move(*payload), settings_.qos, true});
  }
}

void WriteSession::answer(Effects& out, const WriteResult& r, WallTime now, LogLevel level,
                          const std::optional<ReplyTo>& reply) const {
  answer_command(out, prefix(), topic_id(serial_),
                 setting_result_topic(settings_.base_topic, serial_, r.key), r, now, level, reply);
}

Effects WriteSession::on_command(std::string_view key, std::string_view payload, bool running,
                                 const Moment& now, const std::optional<ReplyTo>& reply) {
  if (key == kBatteryModeKey) {
    return modes_.on_command(payload, running, now, reply);
  }
  Effects out;
  const ReceivedCommand received = receive_command(payload);
  out.push_back(command_audit(prefix(), topic_id(serial_), key, received));
  auto reject = [&](RejectReason reason, std::string message) {
    answer(out,
           rejection(received.id, std::string(key), reject_reason_name(reason), std::move(message)),
           now.wall, LogLevel::kInfo, reply);
  };
  const WritableEntry* entry = find_writable_key(key);
  if (entry == nullptr) {
    reject(RejectReason::kNotAllowlisted, "'" + loggable(key) + "' is not a writable setting");
  } else if (!received.command) {
    reject(RejectReason::kUnparseable, std::string(entry->name) + ": " + received.error);
  } else if (!settings_.possible) {
    reject(RejectReason::kWritesDisabled,
           std::string(entry->name) +
               ": writes to an inverter reached through a plant address are not supported");
  } else if (!running) {
    reject(RejectReason::kWritesDisabled,
           std::string(entry->name) + ": the inverter session is not running");
  } else if (enabled() && !is_published(*entry)) {
    // The writer's policy also holds the battery modes' OIDs; a command needs its key allowed.
    reject(RejectReason::kNotAllowlisted,
           std::string(entry->name) + " is not among the values allowed to be written");
  } else {
    SubmitWrite w;
    w.tag = next_tag_++;
    w.request.oid = entry->oid;
    w.request.value = received.command->value;
    w.request.unit = InputUnit::kUser;
    pending_[w.tag] = Pending{false, std::string(key), received.id, received.requested, reply};
    out.push_back(std::move(w));
  }
  return out;
}

Effects WriteSession::on_outcome(std::uint64_t tag, const client::WriteOutcome& o,
                                 const Moment& now) {
  Effects out;
  if ((tag & BatteryModeSession::kTagBit) != 0) {
    // The bridge drives the battery now: the dead-man timer watches flows, not the modes.
    if (o.writes_sent > 0) dead_man_.release();
    if (const WritableEntry* e = find_writable(o.oid);
        e != nullptr && o.readback && o.status == client::WriteStatus::kVerified) {
      publish_setting(out, *e, *o.readback, now.steady, true);
    }
    append(out, modes_.on_outcome(tag, o, now));
    return out;
  }
  auto it = pending_.find(tag);
  if (it == pending_.end()) return out;
  const Pending pending = std::move(it->second);
  pending_.erase(it);
  if (pending.revert) {
    on_revert_outcome(out, o, now);
  } else {
    on_command_outcome(out, pending, o, now);
  }
  return out;
}

void WriteSession::on_command_outcome(Effects& out, const Pending& pending,
                                      const client::WriteOutcome& o, const Moment& now) {
  const WritableEntry* entry = find_writable(o.oid);
  WriteResult r;
  r.id = pending.id;
  r.key = pending.key;
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
    set_readback(r, *entry, *o.readback);
  }
  if (r.message.empty()) r.message = "requested " + pending.requested;
  answer(out, r, now.wall, LogLevel::kInfo, pending.reply);
  // The device's values seen on the way are the freshest there are.
  for (const auto& [oid, value] : o.interlock_values) {
    if (const WritableEntry* e = find_writable(oid)) {
      publish_setting(out, *e, value, now.steady, false);
    }
  }
  if (entry != nullptr && o.readback && o.status == client::WriteStatus::kVerified) {
    publish_setting(out, *entry, *o.readback, now.steady, true);
  }
  if (o.writes_sent > 0 && o.write) dead_man_.on_write(o.oid, o.write->value, now.steady);
}

Effects WriteSession::on_reading(std::uint32_t oid, const Value& value, Instant now) {
  Effects out;
  if (const WritableEntry* e = find_writable(oid)) publish_setting(out, *e, value, now, false);
  return out;
}

Effects WriteSession::on_mode_reading(std::uint32_t oid, const Value& value, const Moment& now) {
  return modes_.on_reading(oid, value, now);
}

Effects WriteSession::on_read_failed(std::uint32_t oid, const Moment& now) {
  return modes_.on_read_failed(oid, now);
}

std::optional<Instant> WriteSession::next_wakeup() const {
  std::optional<Instant> at = modes_.next_wakeup();
  if (stopping_) return at;
  const auto dead_man = dead_man_.deadline();
  if (dead_man && (!at || *dead_man < *at)) at = dead_man;
  return at;
}

Effects WriteSession::on_tick(const Moment& now) {
  Effects out = modes_.on_tick(now);
  const auto deadline = stopping_ ? std::nullopt : dead_man_.deadline();
  if (!deadline || now.steady < *deadline) return out;
  const auto writes = dead_man_.poll(now.steady);
  if (writes.empty()) return out;
  out.push_back(LogLine{LogLevel::kWarn,
                        prefix() + "dead-man: battery_power_extern was not refreshed within " +
                            seconds_text(dead_man_.options().timeout) +
                            " s: writing it 0 W and soc_strategy Internal"});
  round_ = Round::kDeadMan;
  submit_reverts(out, writes);
  return out;
}

Effects WriteSession::revert_before_stop(bool connected, const Moment& now) {
  Effects out;
  stopping_ = true;
  if (round_ == Round::kNone && modes_.needs_stop_revert()) {
    // The modes write the same two reverts; one round is enough.
    dead_man_.release();
    return modes_.revert_before_stop(connected, now);
  }
  append(out, modes_.revert_before_stop(false, now));  // nothing of theirs to revert
  out.erase(std::remove_if(out.begin(), out.end(),
                           [](const Effect& e) { return std::holds_alternative<StopReverted>(e); }),
            out.end());
  if (dead_man_.state() == DeadManTimer::State::kIdle) {
    out.push_back(StopReverted{});
    return out;
  }
  if (!connected) {
    // on_stop says that nothing will revert it.
    out.push_back(LogLine{LogLevel::kWarn, prefix() + "stopping while not connected: the "
                                                      "dead-man revert cannot be written"});
    out.push_back(StopReverted{});
    return out;
  }
  if (round_ != Round::kNone) {
    round_ = Round::kBeforeStop;  // its last outcome ends the wait
    out.push_back(
        LogLine{LogLevel::kWarn, prefix() + "stopping: waiting for the dead-man revert under way"});
    return out;
  }
  out.push_back(LogLine{LogLevel::kWarn,
                        prefix() + "stopping while the dead-man timer is " +
                            std::string(dead_man_state_name(dead_man_.state())) +
                            ": writing battery_power_extern 0 W and soc_strategy Internal first"});
  const auto writes = dead_man_.revert_now();
  if (writes.empty()) {  // nothing left to hand out: do not wait for outcomes that never come
    out.push_back(StopReverted{});
    return out;
  }
  round_ = Round::kBeforeStop;
  submit_reverts(out, writes);
  return out;
}

void WriteSession::submit_reverts(Effects& out,
                                  const std::vector<DeadManTimer::RevertWrite>& writes) {
  reverts_pending_ = static_cast<unsigned>(writes.size());
  reverts_ok_ = true;
  for (const DeadManTimer::RevertWrite& w : writes) {
    SubmitWrite s;
    s.tag = next_tag_++;
    s.request.oid = w.oid;
    s.request.value = w.value;
    s.request.unit = InputUnit::kWire;
    s.request.safety_revert = true;
    pending_[s.tag] = Pending{true, {}, {}, {}, std::nullopt};
    out.push_back(std::move(s));
  }
}

void WriteSession::on_revert_outcome(Effects& out, const client::WriteOutcome& o,
                                     const Moment& now) {
  const bool verified = o.status == client::WriteStatus::kVerified;
  if (const WritableEntry* entry = find_writable(o.oid)) {
    WriteResult r;
    r.key = std::string(entry->key);
    r.outcome = client::write_status_name(o.status);
    // Always "dead_man", so that a flow can tell the bridge's revert from its own writes; the
    // message says what became of it.
    r.reason = std::string(kReasonDeadMan);
    r.message = "dead-man revert: " + o.message;
    if (o.readback) set_readback(r, *entry, *o.readback);
    answer(out, r, now.wall, LogLevel::kWarn);
    if (verified && o.readback) publish_setting(out, *entry, *o.readback, now.steady, true);
  }
  reverts_ok_ = reverts_ok_ && verified;
  if (reverts_pending_ == 0 || --reverts_pending_ > 0) return;
  if (!reverts_ok_) {
    out.push_back(
        LogLine{LogLevel::kWarn, prefix() + "dead-man revert not confirmed; trying again in " +
                                     seconds_text(dead_man_.options().retry_interval) + " s"});
  }
  dead_man_.on_revert_result(reverts_ok_, now.steady);
  const bool before_stop = round_ == Round::kBeforeStop;
  round_ = Round::kNone;
  if (before_stop) out.push_back(StopReverted{});
}

Effects WriteSession::on_stop() const {
  Effects out;
  if (dead_man_.state() != DeadManTimer::State::kIdle) {
    out.push_back(
        LogLine{LogLevel::kWarn, prefix() + "stopping while the dead-man timer is " +
                                     std::string(dead_man_state_name(dead_man_.state())) +
                                     ": nothing will revert battery_power_extern and soc_strategy "
                                     "until rct2mqtt runs again"});
  }
  return out;
}

std::string WriteSession::reconnect_blocker() const {
  if (!pending_.empty() || round_ != Round::kNone) {
    return "a write is awaiting its outcome; press again once it is answered";
  }
  if (dead_man_.state() != DeadManTimer::State::kIdle) {
    return "the dead-man timer is " + std::string(dead_man_state_name(dead_man_.state())) +
           " (an External session is held); press again once it is idle";
  }
  if (modes_.phase() != BatteryModeSession::Phase::kIdle) {
    return "a battery mode command is under way; press again once it is answered";
  }
  if (modes_.needs_stop_revert()) {
    return "the bridge drives the battery in strategy External (battery mode " +
           std::string(modes_.mode() ? battery_mode_name(*modes_.mode()) : "unknown") +
           "); set the mode normal first";
  }
  return {};
}

Effects WriteSession::republish() const {
  Effects out;
  if (serial_.empty()) return out;
  append(out, modes_.republish());
  for (const auto& [key, entry] : states_.current()) {
    out.push_back(Publish{setting_topic(settings_.base_topic, serial_, key), entry.payload,
                          settings_.qos, true});
  }
  return out;
}

}  // namespace rct::daemon
