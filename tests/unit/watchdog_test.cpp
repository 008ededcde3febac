#include "daemon/adapters/watchdog.h"

#include <asio/io_context.hpp>
#include <chrono>

#include "tests/support/catch.h"
#include "tests/support/recording_notifier.h"

using namespace std::chrono_literals;
using Clock = rct::Watchdog::Clock;

// Virtual time: the decision is driven through tick_at/progress_at; the timer never runs.
TEST_CASE("the watchdog pings only when progress is younger than the deadline", "[watchdog]") {
  asio::io_context io;
  rct::test::RecordingNotifier notifier;
  rct::Watchdog watchdog(io, notifier, 15s, 30s);
  const Clock::time_point t0{};

  CHECK_FALSE(watchdog.tick_at(t0 + 15s));  // no progress ever: nothing to vouch for
  watchdog.progress_at(t0 + 20s);
  CHECK(watchdog.tick_at(t0 + 30s));
  CHECK(watchdog.tick_at(t0 + 50s));  // exactly at the deadline still counts
  CHECK_FALSE(watchdog.tick_at(t0 + 50s + 1ms));
  CHECK_FALSE(watchdog.tick_at(t0 + 65s));
  watchdog.progress_at(t0 + 70s);
  CHECK(watchdog.tick_at(t0 + 75s));

  CHECK(notifier.calls == std::vector<std::string>{"WATCHDOG=1", "WATCHDOG=1", "WATCHDOG=1"});
  CHECK(watchdog.pings() == 3);
  CHECK(watchdog.withheld() == 3);
}

TEST_CASE("the watchdog deadline is three poll intervals or the watchdog timeout if longer",
          "[watchdog]") {
  CHECK(rct::Watchdog::deadline_for(10s, 30s) == 30s);
  CHECK(rct::Watchdog::deadline_for(20s, 30s) == 60s);
  CHECK(rct::Watchdog::deadline_for(3600s, 30s) == 10800s);
}

TEST_CASE("a stopped watchdog sends nothing even with progress", "[watchdog]") {
  asio::io_context io;
  rct::test::RecordingNotifier notifier;
  rct::Watchdog watchdog(io, notifier, 10ms, 1s);
  watchdog.start();
  watchdog.progress();
  watchdog.stop();
  io.run_for(100ms);
  CHECK(notifier.calls.empty());
  CHECK(watchdog.pings() == 0);
}
