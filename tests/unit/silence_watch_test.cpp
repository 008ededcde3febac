#include "core/client/silence_watch.h"

#include <chrono>
#include <optional>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::client::SilenceWatch;
using rct::client::TimePoint;

namespace {

const TimePoint kT0{};

}  // namespace

TEST_CASE("a connection without a frame is silent exactly one limit after it opened",
          "[silence_watch]") {
  SilenceWatch w(180s);
  w.start(kT0);
  REQUIRE(w.deadline() == std::optional<TimePoint>(kT0 + 180s));
  CHECK_FALSE(w.expired(kT0));
  CHECK_FALSE(w.expired(kT0 + 179s));
  CHECK(w.expired(kT0 + 180s));
  CHECK(w.expired(kT0 + 1h));
}

TEST_CASE("every frame moves the silence deadline one limit past it", "[silence_watch]") {
  SilenceWatch w(10s);
  w.start(kT0);
  w.heard(kT0 + 8s);
  CHECK(w.deadline() == std::optional<TimePoint>(kT0 + 18s));
  CHECK_FALSE(w.expired(kT0 + 10s));
  CHECK_FALSE(w.expired(kT0 + 17s));
  CHECK(w.expired(kT0 + 18s));
  w.heard(kT0 + 18s);
  CHECK_FALSE(w.expired(kT0 + 18s));
  CHECK(w.expired(kT0 + 28s));
}

TEST_CASE("a new connection starts the silence count again", "[silence_watch]") {
  SilenceWatch w(10s);
  w.start(kT0);
  CHECK(w.expired(kT0 + 30s));
  w.start(kT0 + 30s);
  CHECK_FALSE(w.expired(kT0 + 39s));
  CHECK(w.expired(kT0 + 40s));
}

TEST_CASE("without a connection there is no silence deadline, frames or not", "[silence_watch]") {
  SilenceWatch w(10s);
  CHECK_FALSE(w.deadline());
  w.heard(kT0);
  CHECK_FALSE(w.deadline());
  CHECK_FALSE(w.expired(kT0 + 1h));
}

TEST_CASE("a zero limit turns the silence rule off", "[silence_watch]") {
  SilenceWatch w(0s);
  w.start(kT0);
  CHECK_FALSE(w.deadline());
  CHECK_FALSE(w.expired(kT0 + 24h));
  w.heard(kT0 + 1s);
  CHECK_FALSE(w.expired(kT0 + 24h));
}
