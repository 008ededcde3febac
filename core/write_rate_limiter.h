#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

#include "core/result.h"
#include "core/write_validation.h"

namespace rct {

// At most one WRITE per OID within `min_interval` (docs/mqtt.md §7.3: writes are rate-limited).
// Counts writes that went on the wire, not refused requests, so a request refused by an
// interlock can be repeated at once. Pure: the caller passes `now` (steady time). Holds one time
// per OID written, so it is bounded by the allowlist.
class WriteRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;

  explicit WriteRateLimiter(Duration min_interval) : min_interval_(min_interval) {}

  // Time left until `oid` may be written again; nullopt when it may be written now.
  std::optional<Duration> remaining(std::uint32_t oid, TimePoint now) const;
  // kRateLimited with the time left, naming the entry.
  Result<void, WriteRejection> check(const WritableEntry& entry, TimePoint now) const;
  // A WRITE of `oid` went on the wire at `now`.
  void record(std::uint32_t oid, TimePoint now);

  Duration min_interval() const { return min_interval_; }
  void set_min_interval(Duration d) { min_interval_ = d; }

 private:
  Duration min_interval_;
  std::map<std::uint32_t, TimePoint> last_;
};

}  // namespace rct
