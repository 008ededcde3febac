#pragma once

#include <optional>

#include "daemon/instant.h"

namespace rct::daemon {

// When the state file is written. States: clean (nothing to write) → dirty (a total or the
// announced discovery changed) → clean once a write succeeds. A dirty state is written at most
// once per `interval` (a crash loses at most that much counter progress), or at once when forced
// (reload, shutdown, --remove-discovery). A failed write keeps it dirty and waits the interval.
class SaveSchedule {
 public:
  explicit SaveSchedule(Duration interval) : interval_(interval) {}

  void mark_dirty() { dirty_ = true; }
  bool dirty() const { return dirty_; }
  // Whether to write the file now.
  bool due(Instant now, bool force) const;
  // A write was attempted at `now`; `ok`: it succeeded.
  void attempted(Instant now, bool ok);

 private:
  Duration interval_;
  bool dirty_ = false;
  std::optional<Instant> last_attempt_;
};

}  // namespace rct::daemon
