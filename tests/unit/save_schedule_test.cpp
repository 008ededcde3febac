#include "daemon/save_schedule.h"

#include <chrono>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::Instant;
using rct::daemon::SaveSchedule;

TEST_CASE("the state file is written only when dirty, at most once per interval unless forced",
          "[save_schedule]") {
  SaveSchedule s(60s);
  const Instant t0 = Instant{} + 1000s;
  CHECK_FALSE(s.due(t0, false));
  CHECK_FALSE(s.due(t0, true));  // nothing changed: not even a forced save writes

  s.mark_dirty();
  CHECK(s.due(t0, false));  // the first save is not held back
  s.attempted(t0, true);
  CHECK_FALSE(s.dirty());

  s.mark_dirty();
  CHECK_FALSE(s.due(t0 + 59s, false));
  CHECK(s.due(t0 + 59s, true));
  CHECK(s.due(t0 + 60s, false));
}

TEST_CASE("a failed state file write stays dirty and is retried after the interval",
          "[save_schedule]") {
  SaveSchedule s(60s);
  const Instant t0 = Instant{} + 1000s;
  s.mark_dirty();
  s.attempted(t0, false);
  CHECK(s.dirty());
  CHECK_FALSE(s.due(t0 + 30s, false));
  CHECK(s.due(t0 + 60s, false));
  CHECK(s.due(t0 + 30s, true));
}
