#include "daemon/dead_man_timer.h"

#include "core/write_allowlist.h"

namespace rct::daemon {
namespace {

// The written value as a number (FLOAT power, ENUM strategy); nullopt for anything else.
std::optional<double> number_of(const Value& v) {
  if (const float* f = std::get_if<float>(&v)) return *f;
  if (const EnumValue* e = std::get_if<EnumValue>(&v)) return e->value;
  if (const std::uint8_t* u = std::get_if<std::uint8_t>(&v)) return *u;
  return std::nullopt;
}

}  // namespace

std::string_view dead_man_state_name(DeadManTimer::State s) {
  switch (s) {
    case DeadManTimer::State::kIdle:
      return "idle";
    case DeadManTimer::State::kArmed:
      return "armed";
    case DeadManTimer::State::kReverting:
      return "reverting";
  }
  return "?";
}

void DeadManTimer::on_write(std::uint32_t oid, const Value& wire_value, TimePoint now) {
  const std::optional<double> v = number_of(wire_value);
  if (!v) return;
  if (oid == kOidSocStrategy) {
    if (*v == kStrategyExternal) {
      state_ = State::kArmed;
      deadline_ = now + options_.timeout;
    } else {
      state_ = State::kIdle;
    }
    revert_pending_ = false;
    return;
  }
  if (oid != kOidBatteryPowerExtern) return;
  switch (state_) {
    case State::kIdle:
      if (*v == 0.0) return;  // nothing to revert
      state_ = State::kArmed;
      deadline_ = now + options_.timeout;
      return;
    case State::kArmed:
      deadline_ = now + options_.timeout;
      return;
    case State::kReverting:
      return;  // the revert decides; the driver re-enters with strategy External
  }
}

std::optional<DeadManTimer::TimePoint> DeadManTimer::deadline() const {
  switch (state_) {
    case State::kIdle:
      return std::nullopt;
    case State::kArmed:
      return deadline_;
    case State::kReverting:
      if (revert_pending_) return std::nullopt;
      return deadline_;
  }
  return std::nullopt;
}

std::vector<DeadManTimer::RevertWrite> DeadManTimer::poll(TimePoint now) {
  if (now < deadline_) return {};
  return revert_now();
}

std::vector<DeadManTimer::RevertWrite> DeadManTimer::revert_now() {
  if (state_ == State::kIdle) return {};
  if (state_ == State::kReverting && revert_pending_) return {};
  state_ = State::kReverting;
  revert_pending_ = true;
  // Power first: once the strategy is Internal the power no longer matters, but a strategy
  // write that fails must not leave a power behind.
  return {RevertWrite{kOidBatteryPowerExtern, 0.0},
          RevertWrite{kOidSocStrategy, static_cast<double>(kStrategyInternal)}};
}

void DeadManTimer::on_revert_result(bool reverted, TimePoint now) {
  if (state_ != State::kReverting || !revert_pending_) return;
  revert_pending_ = false;
  if (reverted) {
    state_ = State::kIdle;
    return;
  }
  deadline_ = now + options_.retry_interval;
}

}  // namespace rct::daemon
