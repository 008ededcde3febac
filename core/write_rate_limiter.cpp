#include "core/write_rate_limiter.h"

#include <string>

namespace rct {

std::optional<WriteRateLimiter::Duration> WriteRateLimiter::remaining(std::uint32_t oid,
                                                                      TimePoint now) const {
  auto it = last_.find(oid);
  if (it == last_.end()) return std::nullopt;
  const TimePoint allowed = it->second + min_interval_;
  if (now >= allowed) return std::nullopt;
  return allowed - now;
}

Result<void, WriteRejection> WriteRateLimiter::check(const WritableEntry& entry,
                                                     TimePoint now) const {
  const std::optional<Duration> left = remaining(entry.oid, now);
  if (!left) return {};
  using Millis = std::chrono::milliseconds;
  const auto ms = std::chrono::ceil<Millis>(*left).count();
  const auto interval = std::chrono::ceil<Millis>(min_interval_).count();
  return WriteRejection{RejectReason::kRateLimited,
                        std::string(entry.name) + ": written less than " +
                            std::to_string(interval) + " ms ago; next write allowed in " +
                            std::to_string(ms) + " ms"};
}

void WriteRateLimiter::record(std::uint32_t oid, TimePoint now) {
  last_[oid] = now;
}

}  // namespace rct
