#include "core/client/verified_write.h"

#include <utility>

#include "core/hex.h"
#include "core/number_text.h"

namespace rct::client {
namespace {

// The wire value as people compare it with `rctclient read-value`: 0.2, 4, true.
std::string wire_text(const Value& v) {
  if (const float* f = std::get_if<float>(&v)) return python_repr(*f);
  if (const EnumValue* e = std::get_if<EnumValue>(&v)) return std::to_string(e->value);
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  return "?";
}

// "20 %", "-1500 W", "External (2)", "ON".
std::string shown(const WritableEntry& e, const Value& v) {
  std::string s = user_text(e, v);
  if (!e.unit.empty()) s.append(" ").append(e.unit);  // appended: see core/write_validation.cpp
  if (write_kind(e) == WriteKind::kEnum) s += " (" + wire_text(v) + ")";
  if (write_kind(e) == WriteKind::kNumber && e.scale != 1.0) s += " (" + wire_text(v) + ")";
  return s;
}

std::string plural(unsigned n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

std::string_view write_status_name(WriteStatus s) {
  switch (s) {
    case WriteStatus::kVerified:
      return "verified";
    case WriteStatus::kRejected:
      return "rejected";
    case WriteStatus::kUnverified:
      return "unverified";
    case WriteStatus::kDryRun:
      return "dry_run";
  }
  return "?";
}

std::string_view unverified_cause_name(UnverifiedCause c) {
  switch (c) {
    case UnverifiedCause::kMismatch:
      return "mismatch";
    case UnverifiedCause::kNoAnswer:
      return "no_answer";
    case UnverifiedCause::kNotSent:
      return "not_sent";
  }
  return "?";
}

VerifiedWrite::VerifiedWrite(WriteRequest request, const WritePolicy& policy,
                             WriteRateLimiter& limiter, VerifyOptions options)
    : request_(std::move(request)),
      policy_(policy),
      limiter_(limiter),
      options_(options),
      resends_left_(options.resends) {
  outcome_.oid = request_.oid;
}

VerifiedWrite::Step VerifiedWrite::start(TimePoint now) {
  if (phase_ != Phase::kIdle) return Step{};
  auto prepared = std::visit(
      [&](const auto& v) { return prepare_write(policy_, request_.oid, v, request_.unit); },
      request_.value);
  if (!prepared) return reject(prepared.error());
  outcome_.write = std::move(*prepared);
  if (!request_.safety_revert && !request_.rate_exempt) {
    if (auto r = limiter_.check(*outcome_.write->entry, now); !r) return reject(r.error());
  }
  reads_ = interlock_reads(*outcome_.write);
  if (reads_.empty()) return after_interlocks(now);
  phase_ = Phase::kInterlockReads;
  return Step{Step::Kind::kRead, reads_[0], {}, {}};
}

VerifiedWrite::Step VerifiedWrite::on_read(std::uint32_t oid,
                                           const Result<Value, ClientError>& result,
                                           TimePoint now) {
  if (phase_ == Phase::kInterlockReads) {
    if (next_read_ >= reads_.size() || oid != reads_[next_read_]) return Step{};
    if (result) {
      outcome_.interlock_values[oid] = result.value();
    } else {
      read_errors_.emplace_back(oid, result.error());
    }
    if (++next_read_ < reads_.size()) return Step{Step::Kind::kRead, reads_[next_read_], {}, {}};
    return after_interlocks(now);
  }
  if (phase_ != Phase::kReadingBack || oid != request_.oid) return Step{};
  if (result) {
    outcome_.readback = result.value();
    if (readback_matches(*outcome_.write, result.value())) return finish(WriteStatus::kVerified);
  } else {
    last_error_ = result.error();
  }
  if (round_readbacks_ < options_.readback_attempts) {
    return settle(now + options_.readback_interval);
  }
  if (resends_left_ > 0) {
    --resends_left_;
    return send_write(now);
  }
  return finish(WriteStatus::kUnverified,
                outcome_.readback ? UnverifiedCause::kMismatch : UnverifiedCause::kNoAnswer);
}

VerifiedWrite::Step VerifiedWrite::on_sent(const Result<void, ClientError>& result, TimePoint now) {
  if (phase_ != Phase::kSending) return Step{};
  if (!result) {
    last_error_ = result.error();
    if (outcome_.writes_sent == 0)
      return finish(WriteStatus::kUnverified, UnverifiedCause::kNotSent);
    return finish(WriteStatus::kUnverified,
                  outcome_.readback ? UnverifiedCause::kMismatch : UnverifiedCause::kNoAnswer);
  }
  ++outcome_.writes_sent;
  round_readbacks_ = 0;
  return settle(now + options_.readback_delay);
}

VerifiedWrite::Step VerifiedWrite::on_timer(TimePoint now) {
  if (phase_ != Phase::kSettling) return Step{};
  if (now < until_) return Step{Step::Kind::kWait, 0, {}, until_};
  phase_ = Phase::kReadingBack;
  ++round_readbacks_;
  ++outcome_.readbacks;
  return Step{Step::Kind::kRead, request_.oid, {}, {}};
}

VerifiedWrite::Step VerifiedWrite::after_interlocks(TimePoint now) {
  if (auto r = check_interlocks(policy_, *outcome_.write, outcome_.interlock_values); !r) {
    WriteRejection rejection = r.error();
    for (const auto& [oid, error] : read_errors_) {
      if (outcome_.interlock_values.count(oid) == 0) {
        rejection.message +=
            " (" + format_oid(oid) + ": " + std::string(client_error_name(error)) + ")";
        break;
      }
    }
    return reject(std::move(rejection));
  }
  if (options_.dry_run) return finish(WriteStatus::kDryRun);
  return send_write(now);
}

VerifiedWrite::Step VerifiedWrite::send_write(TimePoint now) {
  phase_ = Phase::kSending;
  limiter_.record(request_.oid, now);
  return Step{Step::Kind::kWrite, request_.oid, outcome_.write->payload, {}};
}

VerifiedWrite::Step VerifiedWrite::settle(TimePoint until) {
  phase_ = Phase::kSettling;
  until_ = until;
  return Step{Step::Kind::kWait, 0, {}, until};
}

VerifiedWrite::Step VerifiedWrite::reject(WriteRejection rejection) {
  outcome_.rejection = std::move(rejection);
  outcome_.message = outcome_.rejection->message;
  phase_ = Phase::kDone;
  outcome_.status = WriteStatus::kRejected;
  return Step{Step::Kind::kDone, request_.oid, {}, {}};
}

std::string VerifiedWrite::describe_target() const {
  const PreparedWrite& w = *outcome_.write;
  return std::string(w.entry->name) + " = " + shown(*w.entry, w.value);
}

VerifiedWrite::Step VerifiedWrite::finish(WriteStatus status,
                                          std::optional<UnverifiedCause> cause) {
  phase_ = Phase::kDone;
  outcome_.status = status;
  outcome_.cause = cause;
  const WritableEntry& e = *outcome_.write->entry;
  std::string m = describe_target();
  switch (status) {
    case WriteStatus::kVerified:
      m += ": verified after " + plural(outcome_.readbacks, "read-back");
      break;
    case WriteStatus::kDryRun:
      m += ": dry run, checks passed, nothing written (payload " + to_hex(outcome_.write->payload) +
           ")";
      break;
    case WriteStatus::kRejected:
      break;  // reject() sets the message
    case WriteStatus::kUnverified:
      switch (*cause) {
        case UnverifiedCause::kNotSent:
          m += ": not sent (" +
               std::string(client_error_name(last_error_.value_or(ClientError::kDisconnected))) +
               ")";
          break;
        case UnverifiedCause::kMismatch:
          m += ": not verified: the device still reports " + shown(e, *outcome_.readback) +
               " after " + plural(outcome_.writes_sent, "write") + " and " +
               plural(outcome_.readbacks, "read-back");
          break;
        case UnverifiedCause::kNoAnswer:
          m += ": not verified: no read-back answered (" +
               std::string(client_error_name(last_error_.value_or(ClientError::kTimeout))) +
               ") after " + plural(outcome_.writes_sent, "write");
          break;
      }
      break;
  }
  outcome_.message = std::move(m);
  return Step{Step::Kind::kDone, request_.oid, {}, {}};
}

}  // namespace rct::client
