#include "core/client/reply_time_estimator.h"

#include <algorithm>

namespace rct::client {
namespace {

// RFC 6298 §2: gains 1/8 (smoothed time) and 1/4 (deviation), wait = S + 4 V.
constexpr Duration::rep kSmoothingDivisor = 8;
constexpr Duration::rep kDeviationDivisor = 4;
constexpr Duration::rep kDeviationFactor = 4;
// Bounds the counter only: from any wait of at least 1 ns, 64 doublings pass every ceiling a
// steady_clock duration can hold.
constexpr unsigned kMaxDoublings = 64;

Duration absolute(Duration d) {
  return d < Duration::zero() ? -d : d;
}

}  // namespace

ReplyTimeEstimator::ReplyTimeEstimator(Duration floor, Duration ceiling)
    : floor_(std::min(std::max(floor, Duration::zero()), ceiling)), ceiling_(ceiling) {}

void ReplyTimeEstimator::on_sample(Duration reply_time) {
  reply_time = std::max(reply_time, Duration::zero());
  doublings_ = 0;
  if (!sampled_) {
    // RFC 6298 §2.2: the first sample sets S and half of it as V.
    sampled_ = true;
    smoothed_ = reply_time;
    deviation_ = reply_time / 2;
    return;
  }
  // §2.3: V first, from the old S.
  deviation_ += (absolute(smoothed_ - reply_time) - deviation_) / kDeviationDivisor;
  smoothed_ += (reply_time - smoothed_) / kSmoothingDivisor;
}

void ReplyTimeEstimator::on_timeout() {
  if (sampled_ && doublings_ < kMaxDoublings) ++doublings_;
}

void ReplyTimeEstimator::reset() {
  sampled_ = false;
  smoothed_ = Duration::zero();
  deviation_ = Duration::zero();
  doublings_ = 0;
}

Duration ReplyTimeEstimator::timeout() const {
  if (!sampled_) return ceiling_;
  Duration wait = std::clamp(smoothed_ + kDeviationFactor * deviation_, floor_, ceiling_);
  for (unsigned i = 0; i < doublings_ && wait < ceiling_; ++i) wait = std::min(wait * 2, ceiling_);
  return wait;
}

std::optional<Duration> ReplyTimeEstimator::smoothed() const {
  if (!sampled_) return std::nullopt;
  return smoothed_;
}

std::optional<Duration> ReplyTimeEstimator::deviation() const {
  if (!sampled_) return std::nullopt;
  return deviation_;
}

}  // namespace rct::client
