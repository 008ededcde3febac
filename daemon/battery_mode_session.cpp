#include "daemon/battery_mode_session.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/number_text.h"
#include "core/text_parse.h"
#include "core/write_allowlist.h"
#include "core/write_validation.h"
#include "daemon/state_aggregate.h"
#include "daemon/topics.h"
#include "daemon/write_command.h"
#include "daemon/write_session.h"

namespace rct::daemon {

namespace {

using ModeJson = nlohmann::ordered_json;

constexpr std::string_view kModeKey = "battery_mode";

std::string_view trim_mode_text(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::string mode_names_text() {
  std::string out;
  for (BatteryMode m : commandable_battery_modes()) {
    if (!out.empty()) out += ", ";
    out += battery_mode_name(m);
  }
  return out;
}

// A device value as a number: FLOAT, ENUM and the integer types; nullopt for anything else.
std::optional<double> mode_number(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::optional<double> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, float>) {
          if (!std::isfinite(x)) return std::nullopt;
          return static_cast<double>(x);
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          return static_cast<double>(x.value);
        } else if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          return static_cast<double>(x);
        } else {
          return std::nullopt;
        }
      },
      v);
}

bool mode_oid_is_fraction(std::uint32_t oid) {
  return oid == kOidBatterySoc || oid == kOidSocMin || oid == kOidSocMax;
}

double extern_limit() {
  const WritableEntry* e = find_writable(kOidBatteryPowerExtern);
  return e != nullptr ? e->max : 0.0;
}

std::string percent_text(double pct) {
  return human_number(std::round(pct * 10) / 10) + " %";
}

}  // namespace

Result<ModeCommand, ModeCommandError> parse_mode_command(std::string_view payload) {
  auto error = [](std::string_view reason, std::string message, std::string id = "null") {
    return ModeCommandError{std::string(reason), std::move(message), std::move(id)};
  };
  const std::string_view unparseable = reject_reason_name(RejectReason::kUnparseable);
  const std::string_view out_of_range = reject_reason_name(RejectReason::kOutOfRange);
  if (payload.size() > kMaxCommandPayload) {
    return error(unparseable,
                 "the command is longer than " + std::to_string(kMaxCommandPayload) + " bytes");
  }
  const std::string_view text = trim_mode_text(payload);
  if (text.empty()) return error(unparseable, "the command is empty");
  ModeCommand c;
  std::string name;
  std::optional<double> power;
  std::optional<double> soc;
  if (text.front() == '{' || text.front() == '"') {
    const ModeJson j = ModeJson::parse(text, nullptr, false);
    if (j.is_string()) {
      name = j.get<std::string>();
    } else if (!j.is_object()) {
      return error(unparseable, "the command is no valid JSON object");
    } else {
      if (const auto it = j.find("id"); it != j.end() && !it->is_null()) {
        if (!it->is_string() && !it->is_number()) {
          return error(unparseable, "\"id\" must be a string or a number");
        }
        c.id = it->dump();
      }
      const auto mode = j.find("mode");
      if (mode == j.end() || !mode->is_string()) {
        return error(unparseable, "the JSON command has no \"mode\" string", c.id);
      }
      name = mode->get<std::string>();
      for (const char* key : {"power", "soc"}) {
        const auto it = j.find(key);
        if (it == j.end() || it->is_null()) continue;
        if (!it->is_number() || !std::isfinite(it->get<double>())) {
          return error(unparseable, std::string("\"") + key + "\" must be a number", c.id);
        }
        (std::string_view(key) == "power" ? power : soc) = it->get<double>();
      }
    }
  } else {
    name = std::string(text);
  }
  const auto mode = battery_mode_from_name(name);
  if (!mode) {
    return error(unparseable,
                 "'" + loggable(name, 60) + "' is no battery mode (" + mode_names_text() + ")",
                 c.id);
  }
  c.mode = *mode;
  const double limit = extern_limit();
  switch (c.mode) {
    case BatteryMode::kCharge:
      // A plain "charge" (the Home Assistant select): [battery_modes] charge_power up to soc_max.
      if (power && (*power <= 0 || *power > limit || std::floor(*power) != *power)) {
        return error(out_of_range,
                     "charge power must be a whole number of W in 1.." + human_number(limit), c.id);
      }
      if (soc && (*soc <= 0 || *soc > 100)) {
        return error(out_of_range, "soc must be in 1..100 %", c.id);
      }
      c.power = power.value_or(0);
      c.soc = soc.value_or(0);
      break;
    case BatteryMode::kExternal:
      if (!power) return error(unparseable, "external needs \"power\" (W, + = discharge)", c.id);
      if (std::abs(*power) > limit || std::floor(*power) != *power) {
        return error(out_of_range,
                     "external power must be a whole number of W in -" + human_number(limit) +
                         ".." + human_number(limit),
                     c.id);
      }
      c.power = *power;
      break;
    case BatteryMode::kNormal:
    case BatteryMode::kHold:
    case BatteryMode::kDischargeLock:
    case BatteryMode::kOther:
      break;
  }
  return c;
}

std::string mode_result_payload(const ModeAnswer& a, WallTime ts) {
  ModeJson j;
  j["id"] = ModeJson::parse(a.id, nullptr, false);
  if (j["id"].is_discarded()) j["id"] = nullptr;
  j["key"] = kModeKey;
  j["mode"] = battery_mode_name(a.mode);
  j["outcome"] = a.outcome;
  j["reason"] = a.reason.empty() ? ModeJson(nullptr) : ModeJson(a.reason);
  j["message"] = a.message;
  ModeJson effect = nullptr;
  if (a.effect) {
    auto figure = [](const std::optional<double>& v, double scale) {
      return v ? ModeJson(std::round(*v * scale) / scale) : ModeJson(nullptr);
    };
    effect = ModeJson::object();
    effect["battery_power"] = figure(a.effect->battery, 1);
    effect["grid_power"] = figure(a.effect->grid, 1);
    effect["soc"] = figure(a.effect->soc, 10);
    effect["window"] = a.effect->window_s;
  }
  j["effect"] = std::move(effect);
  j["ts"] = iso8601_utc(ts);
  return j.dump(-1, ' ', false, ModeJson::error_handler_t::replace);
}

BatteryModeSession::BatteryModeSession(BatteryModeSettings settings)
    : settings_(std::move(settings)) {}

Effects BatteryModeSession::apply(BatteryModeSettings settings) {
  Effects out;
  const bool was = settings_.enabled;
  settings_ = std::move(settings);
  if (was && !settings_.enabled) {
    const bool published = mode_.has_value();
    mode_.reset();
    next_watch_.reset();
    refresh_due_.reset();
    if (!serial_.empty() && published) {
      out.push_back(Publish{battery_mode_topic(settings_.base_topic, serial_), "", 1, true});
      out.push_back(
          Publish{battery_mode_attributes_topic(settings_.base_topic, serial_), "", 1, true});
    }
  }
  return out;
}

void BatteryModeSession::restore(const std::optional<BatteryModeRecord>& record) {
  record_ = record.value_or(BatteryModeRecord{});
}

std::optional<BatteryModeRecord> BatteryModeSession::take_record() {
  if (!record_dirty_) return std::nullopt;
  record_dirty_ = false;
  return record_;
}

std::string BatteryModeSession::serial_id() const {
  return topic_id(serial_);
}

void BatteryModeSession::answer(Effects& out, const ModeAnswer& a, WallTime now, LogLevel level,
                                const std::optional<ReplyTo>& reply) const {
  WriteResult audit;
  audit.id = a.id;
  audit.key = std::string(kModeKey);
  audit.outcome = a.outcome;
  audit.reason = a.reason;
  audit.message = a.message;
  audit.value = std::string(battery_mode_name(a.mode));
  out.push_back(LogLine{level, prefix() + audit_outcome(serial_id(), audit)});
  publish_answer(out,
                 Publish{battery_mode_result_topic(settings_.base_topic, serial_),
                         mode_result_payload(a, now), 1, false},
                 reply);
}

void BatteryModeSession::reject(Effects& out, std::string id, BatteryMode mode,
                                std::string_view reason, std::string message, WallTime now,
                                const std::optional<ReplyTo>& reply) const {
  ModeAnswer a;
  a.id = std::move(id);
  a.mode = mode;
  a.outcome = client::write_status_name(client::WriteStatus::kRejected);
  a.reason = std::string(reason);
  a.message = std::move(message);
  answer(out, a, now, LogLevel::kInfo, reply);
}

Effects BatteryModeSession::on_command(std::string_view payload, bool running, const Moment& now,
                                       const std::optional<ReplyTo>& reply) {
  Effects out;
  auto parsed = parse_mode_command(payload);
  ReceivedCommand received;
  received.id = parsed ? parsed->id : parsed.error().id;
  received.requested = "'" + loggable(payload, 200) + "'";
  out.push_back(command_audit(prefix(), serial_id(), kModeKey, received));
  const BatteryMode mode = parsed ? parsed->mode : BatteryMode::kNormal;
  if (!parsed) {
    reject(out, received.id, mode, parsed.error().reason, parsed.error().message, now.wall, reply);
  } else if (!settings_.writes_enabled) {
    reject(out, received.id, mode, reject_reason_name(RejectReason::kWritesDisabled),
           "battery modes: writes are disabled", now.wall, reply);
  } else if (!settings_.enabled) {
    reject(out, received.id, mode, reject_reason_name(RejectReason::kNotAllowlisted),
           "battery modes: \"battery_mode\" is not in [writes] allow, or the inverter is reached "
           "through a plant address",
           now.wall, reply);
  } else if (!running || stopping_) {
    reject(out, received.id, mode, reject_reason_name(RejectReason::kWritesDisabled),
           "battery modes: the inverter session is not running", now.wall, reply);
  } else if (phase_ != Phase::kIdle) {
    reject(out, received.id, mode, kBatteryModeReasonBusy,
           "battery modes: another mode command is under way; send it again once answered",
           now.wall, reply);
  } else {
    command_reply_ = reply;
    begin(out, *parsed, Origin::kCommand, now);
  }
  return out;
}

void BatteryModeSession::begin(Effects& out, const ModeCommand& command, Origin origin,
                               const Moment& now) {
  command_ = command;
  origin_ = origin;
  if (origin != Origin::kCommand) command_reply_.reset();
  wrote_ = false;
  dry_ = false;
  rate_retries_ = 0;
  retry_at_.reset();
  figures_.reset();
  writes_.clear();
  write_tag_.reset();
  // A refresh of external counts from its arrival, so the deadline cannot pass meanwhile.
  if (command.mode == BatteryMode::kExternal && mode_ == BatteryMode::kExternal && drives_) {
    refresh_due_ = now.steady + settings_.dead_man_timeout;
  }
  reads_ = {kOidBatterySoc, kOidSocMax, kOidSocMin, kOidSocStrategy, kOidBatteryPowerExtern};
  phase_ = Phase::kReading;
  read_next(out);
}

void BatteryModeSession::read_next(Effects& out) {
  if (reads_.empty()) {
    awaiting_.reset();
    return;
  }
  awaiting_ = reads_.front();
  reads_.erase(reads_.begin());
  out.emplace_back(std::in_place_type<ReadOid>, ReadOid{*awaiting_, std::nullopt});
}

std::optional<double> BatteryModeSession::current(std::uint32_t oid) const {
  const auto it = values_.find(oid);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

double BatteryModeSession::user_soc_min() const {
  if (settings_.config.normal_soc_min) return *settings_.config.normal_soc_min;
  if (record_.user_soc_min) return *record_.user_soc_min;
  return kDefaultSocMin;
}

std::vector<BatteryModeSession::PlannedWrite> BatteryModeSession::plan(const ModeRow& row,
                                                                       std::string& error) const {
  std::vector<PlannedWrite> out;
  std::map<std::uint32_t, double> device = values_;  // as it will be after each write
  const auto strategy = current(kOidSocStrategy);
  const bool external_now = strategy && *strategy == kStrategyExternal;
  const auto soc = current(kOidBatterySoc);
  for (const ModeWrite& w : row.writes) {
    if (w.only_before_strategy_switch && external_now) continue;
    double wire = 0;
    switch (w.value) {
      case ModeValue::kZero:
        wire = 0;
        break;
      case ModeValue::kInternal:
        wire = kStrategyInternal;
        break;
      case ModeValue::kExternal:
        wire = kStrategyExternal;
        break;
      case ModeValue::kUserSocMin: {
        double pct = user_soc_min();
        // Never above the SOC (the inverter would charge up to it from the grid).
        if (soc && pct > *soc * 100) pct = std::floor(*soc * 100);
        const WritableEntry* e = find_writable(kOidSocMin);
        if (e != nullptr && pct < e->min) {
          error = "the SOC " + percent_text(*soc * 100) + " is below the lowest soc_min of " +
                  human_number(e->min) + " %";
          return {};
        }
        wire = pct / 100;
        break;
      }
      case ModeValue::kSocFloor:
        wire = hold_min_ / 100;
        break;
      case ModeValue::kMinusPower:
        wire = -command_.power;
        break;
      case ModeValue::kPower:
        wire = command_.power;
        break;
    }
    const auto it = device.find(w.oid);
    const double epsilon = mode_oid_is_fraction(w.oid) ? 1e-4 : 1e-3;
    if (it != device.end() && std::abs(it->second - wire) < epsilon) continue;
    device[w.oid] = wire;
    out.push_back(PlannedWrite{w.oid, wire});
  }
  return out;
}

void BatteryModeSession::after_reads(Effects& out, const Moment& now) {
  const std::string id = origin_ == Origin::kCommand ? command_.id : "null";
  const BatteryMode mode = command_.mode;
  auto refuse = [&](std::string_view reason, const std::string& message) {
    phase_ = Phase::kIdle;
    reject(out, id, mode, reason, std::string(battery_mode_name(mode)) + ": " + message, now.wall,
           command_reply_);
  };
  const ModeRow* row = find_mode_row(mode);
  if (row == nullptr) return refuse(reject_reason_name(RejectReason::kUnparseable), "no mode");
  const auto soc = current(kOidBatterySoc);
  const auto soc_max = current(kOidSocMax);
  const auto soc_min = current(kOidSocMin);
  if (!current(kOidSocStrategy) || !current(kOidBatteryPowerExtern) || !soc_min || !soc_max) {
    return refuse(kBatteryModeReasonUnreadable,
                  "soc_strategy, battery_power_extern, soc_min and soc_max could not all be "
                  "read");
  }
  const std::string_view interlock = reject_reason_name(RejectReason::kInterlock);
  const double soc_max_pct = *soc_max * 100;
  switch (mode) {
    case BatteryMode::kHold: {
      if (!soc) return refuse(kBatteryModeReasonNoSoc, "the SOC could not be read");
      hold_min_ = hold_soc_min(*soc * 100, soc_max_pct);
      const WritableEntry* e = find_writable(kOidSocMin);
      if (e != nullptr && hold_min_ < e->min) {
        return refuse(interlock, "the SOC " + percent_text(*soc * 100) +
                                     " is below the lowest soc_min of " + human_number(e->min) +
                                     " %");
      }
      // A minimum already above the SOC holds (and would charge): hold does not lower it.
      if (*soc_min * 100 > hold_min_) hold_min_ = std::round(*soc_min * 100);
      break;
    }
    case BatteryMode::kCharge:
      if (!soc) return refuse(kBatteryModeReasonNoSoc, "the SOC could not be read");
      if (command_.power == 0) command_.power = settings_.config.charge_power;
      if (command_.soc == 0) command_.soc = std::floor(soc_max_pct + 1e-6);
      if (command_.soc <= *soc * 100) {
        return refuse(interlock, "the target " + percent_text(command_.soc) +
                                     " is not above the SOC " + percent_text(*soc * 100));
      }
      if (command_.soc > soc_max_pct + 1e-6) {
        return refuse(interlock, "the target " + percent_text(command_.soc) + " is above soc_max " +
                                     percent_text(soc_max_pct));
      }
      break;
    case BatteryMode::kNormal:
    case BatteryMode::kDischargeLock:
    case BatteryMode::kExternal:
    case BatteryMode::kOther:
      break;
  }
  // In normal, soc_min is the user's: what "normal" goes back to later.
  if (mode_ == BatteryMode::kNormal && mode != BatteryMode::kNormal &&
      record_.user_soc_min != std::round(*soc_min * 100)) {
    record_.user_soc_min = std::round(*soc_min * 100);
    record_changed();
  }
  std::string error;
  writes_ = plan(*row, error);
  if (!error.empty() && mode == BatteryMode::kNormal) {
    // soc_min cannot go back (the SOC is below its lowest value): normal still hands the
    // battery back to the inverter (the bridge's own normal after a charge or an external mode
    // that was not refreshed must not leave it in External), and leaves soc_min as it is.
    out.push_back(LogLine{LogLevel::kWarn, prefix() + "normal: " + error +
                                               "; writing 0 W and Internal, soc_min unchanged"});
    writes_ = {PlannedWrite{kOidBatteryPowerExtern, 0},
               PlannedWrite{kOidSocStrategy, static_cast<double>(kStrategyInternal)}};
    error.clear();
  }
  if (!error.empty()) return refuse(interlock, error);
  phase_ = Phase::kWriting;
  submit_next(out, now);
}

void BatteryModeSession::submit(Effects& out, const PlannedWrite& w) {
  SubmitWrite s;
  s.tag = kTagBit | next_tag_++;
  s.request.oid = w.oid;
  s.request.value = w.wire;
  s.request.unit = InputUnit::kWire;
  // The writes of strategy and external power bypass the per-setting rate limit (a mode writes
  // battery_power_extern twice within a second: 0 before External, then the power); one
  // command at a time and the effect window bound them instead. They are checked against the
  // configured policy (battery bits included), except the 0 W / Internal of a revert, which go
  // out like the dead-man's: also after writes were disabled, also in a dry run's wake.
  const bool power_or_strategy = w.oid == kOidSocStrategy || w.oid == kOidBatteryPowerExtern;
  if (phase_ == Phase::kReverting) {
    s.request.safety_revert = power_or_strategy && !settings_.dry_run;
  } else {
    s.request.rate_exempt = power_or_strategy;
  }
  write_tag_ = s.tag;
  current_write_ = w;
  out.push_back(std::move(s));
}

void BatteryModeSession::submit_next(Effects& out, const Moment& now) {
  if (!writes_.empty()) {
    const PlannedWrite w = writes_.front();
    writes_.erase(writes_.begin());
    submit(out, w);
    return;
  }
  if (phase_ == Phase::kReverting) return finish_revert(out, now);
  if (dry_ || settings_.dry_run) {
    phase_ = Phase::kIdle;
    ModeAnswer a;
    a.id = origin_ == Origin::kCommand ? command_.id : "null";
    a.mode = command_.mode;
    a.outcome = client::write_status_name(client::WriteStatus::kDryRun);
    a.message = std::string(battery_mode_name(command_.mode)) +
                ": every write passed its checks; nothing was written (dry_run)";
    answer(out, a, now.wall, LogLevel::kInfo, command_reply_);
    return;
  }
  start_sampling(out, now);
}

Effects BatteryModeSession::on_outcome(std::uint64_t tag, const client::WriteOutcome& o,
                                       const Moment& now) {
  Effects out;
  if (!write_tag_ || tag != *write_tag_) return out;
  write_tag_.reset();
  if (o.writes_sent > 0) wrote_ = true;
  if (o.status == client::WriteStatus::kRejected && o.rejection &&
      o.rejection->reason == RejectReason::kRateLimited && rate_retries_ < kRateRetries &&
      !stopping_ && (phase_ == Phase::kWriting || phase_ == Phase::kReverting)) {
    ++rate_retries_;
    retry_at_ = now.steady + settings_.min_interval;
    out.push_back(LogLine{
        LogLevel::kInfo,
        prefix() + "battery mode: " + o.message + "; trying again in " +
            human_number(std::chrono::duration<double>(settings_.min_interval).count()) + " s"});
    return out;
  }
  const bool ok =
      o.status == client::WriteStatus::kVerified || o.status == client::WriteStatus::kDryRun;
  if (o.status == client::WriteStatus::kDryRun) dry_ = true;
  if (ok && o.write) {
    if (const auto v = mode_number(o.write->value)) values_[o.oid] = *v;
  } else if (o.status == client::WriteStatus::kUnverified) {
    values_.erase(o.oid);  // may or may not have been applied
  }
  if (phase_ == Phase::kReverting) {
    if (o.status != client::WriteStatus::kVerified) revert_ok_ = false;
    submit_next(out, now);
    return out;
  }
  if (phase_ != Phase::kWriting) return out;
  if (stopping_) {
    start_revert(out, "reverted", std::string(kBatteryModeReasonStopping),
                 std::string(battery_mode_name(command_.mode)) + ": the daemon is stopping", now);
    return out;
  }
  if (ok) {
    submit_next(out, now);
    return out;
  }
  std::string reason;
  if (o.rejection) reason = reject_reason_name(o.rejection->reason);
  if (o.cause) reason = client::unverified_cause_name(*o.cause);
  const std::string message = std::string(battery_mode_name(command_.mode)) + ": " + o.message;
  if (wrote_) {
    start_revert(out, std::string(client::write_status_name(o.status)), reason, message, now);
    return out;
  }
  phase_ = Phase::kIdle;
  ModeAnswer a;
  a.id = origin_ == Origin::kCommand ? command_.id : "null";
  a.mode = command_.mode;
  a.outcome = client::write_status_name(o.status);
  a.reason = reason;
  a.message = message;
  answer(out, a, now.wall, LogLevel::kInfo, command_reply_);
  return out;
}

void BatteryModeSession::start_sampling(Effects& out, const Moment& now) {
  phase_ = Phase::kSampling;
  window_start_ = now.steady;
  const auto interval =
      std::max<Duration>(settings_.config.sample_interval, std::chrono::milliseconds{1});
  samples_total_ = static_cast<unsigned>(std::max<std::int64_t>(
      1, std::chrono::duration_cast<Duration>(settings_.config.effect_window) / interval));
  samples_taken_ = 0;
  samples_.clear();
  sample_pending_.clear();
  out.push_back(LogLine{
      LogLevel::kInfo,
      prefix() + "battery mode " + std::string(battery_mode_name(command_.mode)) +
          ": written, watching the power flow for " +
          human_number(std::chrono::duration<double>(settings_.config.effect_window).count()) +
          " s"});
}

void BatteryModeSession::take_sample(Effects& out) {
  ++samples_taken_;
  samples_.emplace_back();
  sample_pending_ = {kOidBatteryPower, kOidGridPower, kOidBatterySoc};
  for (std::uint32_t oid : sample_pending_)
    out.emplace_back(std::in_place_type<ReadOid>, ReadOid{oid, std::nullopt});
}

void BatteryModeSession::sample_value(std::uint32_t oid, std::optional<double> v, Effects& out,
                                      const Moment& now) {
  const auto it = std::find(sample_pending_.begin(), sample_pending_.end(), oid);
  if (it == sample_pending_.end() || samples_.empty()) return;
  sample_pending_.erase(it);
  EffectSample& s = samples_.back();
  if (oid == kOidBatteryPower) s.battery = v;
  if (oid == kOidGridPower) s.grid = v;
  if (oid == kOidBatterySoc && v) s.soc = *v * 100;
  if (samples_taken_ >= samples_total_ && sample_pending_.empty()) judge(out, now);
}

void BatteryModeSession::judge(Effects& out, const Moment& now) {
  // The second half: the inverter settles on the new setting in the first.
  const std::size_t first = samples_.size() / 2;
  const std::span<const EffectSample> judged(samples_.data() + first, samples_.size() - first);
  figures_ =
      mean_figures(judged, std::chrono::duration<double>(settings_.config.effect_window).count());
  const ModeRow* row = find_mode_row(command_.mode);
  double power = 0;
  if (command_.mode == BatteryMode::kCharge) power = -command_.power;
  if (command_.mode == BatteryMode::kExternal) power = command_.power;
  const EffectVerdict v = judge_effect(row != nullptr ? row->effect : ModeEffect::kFollowsHouse,
                                       *figures_, settings_.config.tolerance, power, hold_min_);
  if (v.holds) return finish_verified(out, now);
  const std::string message =
      std::string(battery_mode_name(command_.mode)) + ": read back, but " + v.why;
  out.push_back(
      LogLine{LogLevel::kWarn, prefix() + "battery mode " + message + ": reverting to normal"});
  start_revert(out, "reverted", std::string(kBatteryModeReasonEffect), message, now);
}

void BatteryModeSession::finish_verified(Effects& out, const Moment& now) {
  phase_ = Phase::kIdle;
  const BatteryMode m = command_.mode;
  record_.hold_soc_min.reset();
  record_.charge_target.reset();
  record_.charge_power.reset();
  record_.external_power.reset();
  next_watch_.reset();
  refresh_due_.reset();
  switch (m) {
    case BatteryMode::kHold:
      record_.hold_soc_min = hold_min_;
      break;
    case BatteryMode::kCharge:
      record_.charge_target = command_.soc;
      record_.charge_power = command_.power;
      next_watch_ = now.steady + kChargeWatch;
      break;
    case BatteryMode::kExternal:
      record_.external_power = command_.power;
      refresh_due_ = now.steady + settings_.dead_man_timeout;
      break;
    case BatteryMode::kNormal:
    case BatteryMode::kDischargeLock:
    case BatteryMode::kOther:
      break;
  }
  record_.commanded = true;
  record_changed();
  const ModeRow* row = find_mode_row(m);
  drives_ = row != nullptr && row->external_strategy;
  set_mode(out, m, now.wall);
  ModeAnswer a;
  a.id = origin_ == Origin::kCommand ? command_.id : "null";
  a.mode = m;
  a.outcome = client::write_status_name(client::WriteStatus::kVerified);
  a.reason = std::string(origin_word());
  a.message = std::string(battery_mode_name(m)) +
              ": written, read back, and the power flow "
              "matches";
  a.effect = figures_;
  answer(out, a, now.wall, LogLevel::kInfo, command_reply_);
}

void BatteryModeSession::start_revert(Effects& out, std::string outcome, std::string reason,
                                      std::string message, const Moment& now) {
  phase_ = Phase::kReverting;
  revert_outcome_ = std::move(outcome);
  revert_reason_ = std::move(reason);
  revert_message_ = std::move(message);
  revert_ok_ = true;
  next_watch_.reset();
  refresh_due_.reset();
  rate_retries_ = 0;
  retry_at_.reset();
  if (revert_reason_ == kBatteryModeReasonStopping) {
    // Before a stop only what drives the battery: External and its power.
    writes_ = {PlannedWrite{kOidBatteryPowerExtern, 0},
               PlannedWrite{kOidSocStrategy, static_cast<double>(kStrategyInternal)}};
  } else {
    std::string error;
    writes_ = plan(*find_mode_row(BatteryMode::kNormal), error);
    if (!error.empty()) {
      // soc_min cannot go back (SOC below its lowest value): hand the battery back at least.
      writes_ = {PlannedWrite{kOidBatteryPowerExtern, 0},
                 PlannedWrite{kOidSocStrategy, static_cast<double>(kStrategyInternal)}};
    }
  }
  submit_next(out, now);
}

void BatteryModeSession::finish_revert(Effects& out, const Moment& now) {
  phase_ = Phase::kIdle;
  ModeAnswer a;
  a.id = origin_ == Origin::kCommand ? command_.id : "null";
  a.mode = command_.mode;
  a.reason = revert_reason_;
  a.effect = figures_;
  if (revert_ok_) {
    record_.hold_soc_min.reset();
    record_.charge_target.reset();
    record_.charge_power.reset();
    record_.external_power.reset();
    record_.commanded = true;
    record_changed();
    drives_ = false;
    set_mode(out, BatteryMode::kNormal, now.wall);
    a.outcome = revert_outcome_;
    a.message = revert_message_ + "; reverted to normal";
  } else {
    a.outcome = client::write_status_name(client::WriteStatus::kUnverified);
    a.reason = std::string(kBatteryModeReasonRevertFailed);
    a.message = revert_message_ + "; the revert to normal was not confirmed";
    derive(out, now);
  }
  answer(out, a, now.wall, LogLevel::kWarn, command_reply_);
  if (stop_after_) {
    stop_after_ = false;
    out.push_back(StopReverted{});
  }
}

void BatteryModeSession::set_mode(Effects& out, BatteryMode mode, WallTime now) {
  mode_ = mode;
  const std::string name(battery_mode_name(mode));
  if (record_.mode != name || record_.since.empty()) {
    record_.mode = name;
    record_.since = iso8601_utc(now);
    record_changed();
    out.push_back(LogLine{LogLevel::kInfo, prefix() + "battery mode " + name});
  }
  publish_mode(out);
}

void BatteryModeSession::publish_mode(Effects& out) const {
  if (!mode_ || serial_.empty()) return;
  ModeJson j;
  j["mode"] = battery_mode_name(*mode_);
  switch (*mode_) {
    case BatteryMode::kHold:
      if (record_.hold_soc_min) j["soc_min"] = *record_.hold_soc_min;
      break;
    case BatteryMode::kCharge:
      if (record_.charge_power) j["power"] = *record_.charge_power;
      if (record_.charge_target) j["soc"] = *record_.charge_target;
      break;
    case BatteryMode::kExternal:
      if (record_.external_power) j["power"] = *record_.external_power;
      break;
    case BatteryMode::kNormal:
    case BatteryMode::kDischargeLock:
    case BatteryMode::kOther:
      break;
  }
  j["since"] = record_.since;
  out.push_back(Publish{battery_mode_topic(settings_.base_topic, serial_),
                        std::string(battery_mode_name(*mode_)), 1, true});
  out.push_back(
      Publish{battery_mode_attributes_topic(settings_.base_topic, serial_), j.dump(), 1, true});
}

Effects BatteryModeSession::start(const Moment& /*now*/) {
  Effects out;
  if (!settings_.enabled || phase_ != Phase::kIdle || stopping_) return out;
  phase_ = Phase::kDeriving;
  reads_ = {kOidSocStrategy, kOidBatteryPowerExtern, kOidSocMin};
  read_next(out);
  return out;
}

void BatteryModeSession::derive(Effects& out, const Moment& now) {
  const auto strategy = current(kOidSocStrategy);
  const auto extern_power = current(kOidBatteryPowerExtern);
  const auto soc_min = current(kOidSocMin);
  if (!strategy || !extern_power || !soc_min) {
    out.push_back(LogLine{LogLevel::kWarn,
                          prefix() + "battery mode unknown: soc_strategy, battery_power_extern "
                                     "and soc_min could not all be read"});
    return;
  }
  const BatteryMode m =
      derive_mode(static_cast<std::uint8_t>(*strategy), *extern_power, *soc_min * 100,
                  record_.hold_soc_min, record_.charge_target.has_value());
  auto forget = [this](std::optional<double>& v) {
    if (v) {
      v.reset();
      record_changed();
    }
  };
  if (m != BatteryMode::kHold) forget(record_.hold_soc_min);
  if (m != BatteryMode::kCharge) {
    forget(record_.charge_target);
    forget(record_.charge_power);
  }
  if (m != BatteryMode::kExternal) forget(record_.external_power);
  if (m == BatteryMode::kNormal && !record_.user_soc_min) {
    record_.user_soc_min = std::round(*soc_min * 100);
    record_changed();
  }
  if (mode_ == m) return;
  // Ours: set by a mode command, this run or (the state file says) before a restart.
  const bool ours = record_.commanded && record_.mode == battery_mode_name(m);
  if (!ours && record_.commanded) {
    record_.commanded = false;
    record_changed();
  }
  const ModeRow* row = find_mode_row(m);
  drives_ = ours && row != nullptr && row->external_strategy;
  next_watch_.reset();
  refresh_due_.reset();
  if (ours && m == BatteryMode::kCharge) next_watch_ = now.steady;
  // Our external found again after a restart: its driver must refresh it, as after a command.
  if (ours && m == BatteryMode::kExternal) {
    refresh_due_ = now.steady + settings_.dead_man_timeout;
  }
  set_mode(out, m, now.wall);
}

Effects BatteryModeSession::on_reading(std::uint32_t oid, const Value& value, const Moment& now) {
  Effects out;
  if (!settings_.enabled) return out;
  const std::optional<double> v = mode_number(value);
  switch (phase_) {
    case Phase::kDeriving:
    case Phase::kReading:
      if (awaiting_ && *awaiting_ == oid) read_answered(out, oid, v, now);
      break;
    case Phase::kSampling:
      sample_value(oid, v, out, now);
      break;
    case Phase::kIdle:
      if (!v || !mode_) break;
      if (oid == kOidBatterySoc && mode_ == BatteryMode::kCharge && record_.charge_target &&
          *v * 100 >= *record_.charge_target && !stopping_) {
        out.push_back(LogLine{LogLevel::kInfo, prefix() + "battery mode charge: the target " +
                                                   percent_text(*record_.charge_target) +
                                                   " is reached, back to normal"});
        ModeCommand normal;
        begin(out, normal, Origin::kTargetReached, now);
        break;
      }
      // A setting changed by someone else (the vendor app, a settings command): the mode is
      // what the device shows.
      if (oid == kOidSocStrategy || oid == kOidBatteryPowerExtern || oid == kOidSocMin) {
        values_[oid] = *v;
        derive(out, now);
      }
      break;
    case Phase::kWriting:
    case Phase::kReverting:
      break;
  }
  return out;
}

void BatteryModeSession::read_answered(Effects& out, std::uint32_t oid, std::optional<double> v,
                                       const Moment& now) {
  if (v) {
    values_[oid] = *v;
  } else {
    values_.erase(oid);
  }
  read_next(out);
  if (awaiting_) return;
  if (phase_ == Phase::kDeriving) {
    phase_ = Phase::kIdle;
    derive(out, now);
  } else {
    after_reads(out, now);
  }
}

Effects BatteryModeSession::on_read_failed(std::uint32_t oid, const Moment& now) {
  Effects out;
  if (!settings_.enabled) return out;
  if ((phase_ == Phase::kReading || phase_ == Phase::kDeriving) && awaiting_ && *awaiting_ == oid) {
    read_answered(out, oid, std::nullopt, now);
  } else if (phase_ == Phase::kSampling) {
    sample_value(oid, std::nullopt, out, now);
  }
  return out;
}

std::optional<Instant> BatteryModeSession::next_wakeup() const {
  if (phase_ == Phase::kSampling) {
    const auto interval = settings_.config.sample_interval;
    // The next sample; after the last, a grace of one interval for its answers.
    return window_start_ + interval * static_cast<std::int64_t>(samples_taken_ + 1);
  }
  if (retry_at_ && (phase_ == Phase::kWriting || phase_ == Phase::kReverting)) return retry_at_;
  if (phase_ != Phase::kIdle || stopping_ || !settings_.enabled) return std::nullopt;
  std::optional<Instant> at;
  if (mode_ == BatteryMode::kCharge) at = next_watch_;
  if (mode_ == BatteryMode::kExternal && refresh_due_ && (!at || *refresh_due_ < *at)) {
    at = refresh_due_;
  }
  return at;
}

Effects BatteryModeSession::on_tick(const Moment& now) {
  Effects out;
  const auto due = next_wakeup();
  if (!due || now.steady < *due) return out;
  if (retry_at_ && current_write_ && (phase_ == Phase::kWriting || phase_ == Phase::kReverting)) {
    retry_at_.reset();
    submit(out, *current_write_);
    return out;
  }
  if (phase_ == Phase::kSampling) {
    if (samples_taken_ < samples_total_) {
      take_sample(out);
    } else {
      sample_pending_.clear();  // what did not come within an interval is missing
      judge(out, now);
    }
    return out;
  }
  if (mode_ == BatteryMode::kExternal && refresh_due_ && now.steady >= *refresh_due_) {
    refresh_due_.reset();
    out.push_back(LogLine{
        LogLevel::kWarn,
        prefix() + "dead-man: battery mode external was not refreshed within " +
            human_number(std::chrono::duration<double>(settings_.dead_man_timeout).count()) +
            " s: back to normal"});
    begin(out, ModeCommand{}, Origin::kDeadMan, now);
    return out;
  }
  if (mode_ == BatteryMode::kCharge && next_watch_ && now.steady >= *next_watch_) {
    next_watch_ = now.steady + kChargeWatch;
    out.emplace_back(std::in_place_type<ReadOid>, ReadOid{kOidBatterySoc, std::nullopt});
  }
  return out;
}

bool BatteryModeSession::needs_stop_revert() const {
  if (!settings_.enabled && phase_ == Phase::kIdle) return false;
  const bool changing =
      (phase_ == Phase::kWriting || phase_ == Phase::kSampling || phase_ == Phase::kReverting) &&
      (wrote_ || write_tag_.has_value());
  return drives_ || changing;
}

Effects BatteryModeSession::revert_before_stop(bool connected, const Moment& now) {
  Effects out;
  const bool needed = needs_stop_revert();
  stopping_ = true;
  if (!needed) {
    out.push_back(StopReverted{});
    return out;
  }
  if (!connected) {
    out.push_back(
        LogLine{LogLevel::kWarn, prefix() +
                                     "stopping while not connected: battery "
                                     "mode " +
                                     std::string(mode_ ? battery_mode_name(*mode_) : "unknown") +
                                     " cannot be reverted"});
    out.push_back(StopReverted{});
    return out;
  }
  stop_after_ = true;
  out.push_back(LogLine{LogLevel::kWarn,
                        prefix() + "stopping: writing battery_power_extern 0 W and soc_strategy "
                                   "Internal first (battery mode)"});
  switch (phase_) {
    case Phase::kWriting:
      if (write_tag_) return out;  // its outcome starts the revert (on_outcome)
      [[fallthrough]];
    case Phase::kIdle:
    case Phase::kDeriving:
    case Phase::kReading:
    case Phase::kSampling:
      if (phase_ == Phase::kIdle || phase_ == Phase::kDeriving) {
        command_ = ModeCommand{};
        command_.mode = mode_.value_or(BatteryMode::kNormal);  // the answer names what is left
        origin_ = Origin::kStopping;
        command_reply_.reset();
        figures_.reset();
      }
      start_revert(out, "reverted", std::string(kBatteryModeReasonStopping),
                   std::string(battery_mode_name(command_.mode)) + ": the daemon is stopping", now);
      return out;
    case Phase::kReverting:
      return out;  // its end says StopReverted
  }
  return out;
}

std::string_view BatteryModeSession::origin_word() const {
  switch (origin_) {
    case Origin::kCommand:
      return {};
    case Origin::kTargetReached:
      return kBatteryModeReasonTargetReached;
    case Origin::kDeadMan:
      return kReasonDeadMan;
    case Origin::kStopping:
      return kBatteryModeReasonStopping;
  }
  return {};
}

Effects BatteryModeSession::republish() const {
  Effects out;
  publish_mode(out);
  return out;
}

}  // namespace rct::daemon
