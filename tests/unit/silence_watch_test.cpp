#include "core/client/silence_watch.h"

#include <chrono>
#include <optional>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::client::SilenceWatch;
using rct::client::TimePoint;

namespace {

const TimePoint kWatchT0{};

}  // namespace

TEST_CASE("a connection without a frame is silent exactly one limit after it opened",
          "[silence_watch]") {
  SilenceWatch w(180s);
  w.start(kWatchT0);
  REQUIRE(w.deadline() == std::optional<TimePoint>(kWatchT0 + 180s));
  CHECK_FALSE(w.expired(kWatchT0));
  CHECK_FALSE(w.expired(kWatchT0 + 179s));
  CHECK(w.expired(kWatchT0 + 180s));
  CHECK(w.expired(kWatchT0 + 1h));
}

TEST_CASE("every frame moves the silence deadline one limit past it", "[silence_watch]") {
  SilenceWatch w(10s);
  w.start(kWatchT0);
  w.heard(kWatchT0 + 8s);
  CHECK(w.deadline() == std::optional<TimePoint>(kWatchT0 + 18s));
  CHECK_FALSE(w.expired(kWatchT0 + 10s));
  CHECK_FALSE(w.expired(kWatchT0 + 17s));
  CHECK(w.expired(kWatchT0 + 18s));
  w.heard(kWatchT0 + 18s);
  CHECK_FALSE(w.expired(kWatchT0 + 18s));
  CHECK(w.expired(kWatchT0 + 28s));
}

TEST_CASE("a new connection starts the silence count again", "[silence_watch]") {
  SilenceWatch w(10s);
  w.start(kWatchT0);
  CHECK(w.expired(kWatchT0 + 30s));
  w.start(kWatchT0 + 30s);
  CHECK_FALSE(w.expired(kWatchT0 + 39s));
  CHECK(w.expired(kWatchT0 + 40s));
}

TEST_CASE("without a connection there is no silence deadline, frames or not", "[silence_watch]") {
  SilenceWatch w(10s);
  CHECK_FALSE(w.deadline());
  w.heard(kWatchT0);
  CHECK_FALSE(w.deadline());
  CHECK_FALSE(w.expired(kWatchT0 + 1h));
}

TEST_CASE("a zero limit turns the silence rule off", "[silence_watch]") {
  SilenceWatch w(0s);
  w.start(kWatchT0);
  CHECK_FALSE(w.deadline());
  CHECK_FALSE(w.expired(kWatchT0 + 24h));
  w.heard(kWatchT0 + 1s);
  CHECK_FALSE(w.expired(kWatchT0 + 24h));
}
