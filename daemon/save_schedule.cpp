#include "daemon/save_schedule.h"

namespace rct::daemon {

bool SaveSchedule::due(Instant now, bool force) const {
  if (!dirty_) return false;
  return force || !last_attempt_ || now - *last_attempt_ >= interval_;
}

void SaveSchedule::attempted(Instant now, bool ok) {
  last_attempt_ = now;
  if (ok) dirty_ = false;
}

}  // namespace rct::daemon
