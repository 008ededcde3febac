#include "core/client/reply_time_estimator.h"

#include <chrono>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::client::Duration;
using rct::client::ReplyTimeEstimator;

TEST_CASE("before the first reply the wait is the ceiling", "[reply_time_estimator]") {
  ReplyTimeEstimator e(500ms, 2s);
  CHECK(e.timeout() == 2s);
  CHECK(!e.smoothed());
  CHECK(!e.deviation());
  e.on_timeout();
  CHECK(e.timeout() == 2s);
}

TEST_CASE("the first reply sets the mean and half of it as the deviation, as RFC 6298 does",
          "[reply_time_estimator]") {
  ReplyTimeEstimator e(100ms, 2s);
  e.on_sample(200ms);
  CHECK(e.smoothed() == Duration(200ms));
  CHECK(e.deviation() == Duration(100ms));
  CHECK(e.timeout() == 600ms);  // 200 ms + 4 × 100 ms
  // The next: the deviation moves a quarter of the way to |S − R|, then S an eighth towards R.
  e.on_sample(280ms);
  CHECK(e.deviation() == Duration(95ms));  // 100 + (80 − 100) / 4
  CHECK(e.smoothed() == Duration(210ms));  // 200 + 80 / 8
  CHECK(e.timeout() == 590ms);
}

TEST_CASE("steady reply times converge to the mean and the wait settles on the floor",
          "[reply_time_estimator]") {
  ReplyTimeEstimator e(500ms, 2s);
  for (int i = 0; i < 60; ++i) e.on_sample(200ms);
  REQUIRE(e.smoothed());
  CHECK(*e.smoothed() == 200ms);
  CHECK(*e.deviation() < 1ms);
  CHECK(e.timeout() == 500ms);

  // Without a floor in the way, the wait comes down to the reply time itself.
  ReplyTimeEstimator low(10ms, 2s);
  for (int i = 0; i < 60; ++i) low.on_sample(200ms);
  CHECK(low.timeout() >= 200ms);
  CHECK(low.timeout() < 205ms);
}

TEST_CASE("jittery reply times keep the wait above the mean by four deviations",
          "[reply_time_estimator]") {
  ReplyTimeEstimator e(50ms, 5s);
  for (int i = 0; i < 100; ++i) e.on_sample(i % 2 == 0 ? 200ms : 600ms);
  REQUIRE(e.smoothed());
  CHECK(*e.smoothed() > 300ms);
  CHECK(*e.smoothed() < 500ms);
  CHECK(*e.deviation() > 150ms);
  CHECK(e.timeout() == *e.smoothed() + 4 * *e.deviation());
  CHECK(e.timeout() > 600ms);  // the slow replies land in time
}

TEST_CASE("the wait never leaves the floor and the ceiling", "[reply_time_estimator]") {
  ReplyTimeEstimator e(500ms, 2s);
  e.on_sample(5s);
  CHECK(e.timeout() == 2s);
  for (int i = 0; i < 60; ++i) e.on_sample(1ms);
  CHECK(e.timeout() == 500ms);
  e.on_sample(0ms);
  CHECK(e.timeout() == 500ms);
}

TEST_CASE("a link that becomes slower raises the wait within a few replies",
          "[reply_time_estimator]") {
  ReplyTimeEstimator e(500ms, 2s);
  for (int i = 0; i < 40; ++i) e.on_sample(200ms);
  CHECK(e.timeout() == 500ms);
  e.on_sample(900ms);
  CHECK(e.timeout() > 900ms);  // one slow reply: the deviation alone lifts the wait past it
}

TEST_CASE("each wait that passed doubles the wait until the next reply, up to the ceiling",
          "[reply_time_estimator]") {
  ReplyTimeEstimator e(500ms, 2s);
  for (int i = 0; i < 40; ++i) e.on_sample(200ms);
  REQUIRE(e.timeout() == 500ms);
  e.on_timeout();
  CHECK(e.timeout() == 1s);
  e.on_timeout();
  CHECK(e.timeout() == 2s);
  e.on_timeout();
  CHECK(e.timeout() == 2s);
  for (int i = 0; i < 100; ++i) e.on_timeout();
  CHECK(e.timeout() == 2s);
  // The next reply ends the doubling; the estimate itself was kept.
  e.on_sample(200ms);
  CHECK(e.timeout() == 500ms);
}

TEST_CASE("reset forgets the estimate: the next wait is the ceiling again",
          "[reply_time_estimator]") {
  ReplyTimeEstimator e(500ms, 2s);
  e.on_sample(200ms);
  REQUIRE(e.timeout() < 2s);
  e.reset();
  CHECK(e.timeout() == 2s);
  CHECK(!e.smoothed());
}

TEST_CASE("a floor at or above the ceiling makes every wait the ceiling",
          "[reply_time_estimator]") {
  ReplyTimeEstimator e(3s, 2s);
  CHECK(e.floor() == 2s);
  for (int i = 0; i < 20; ++i) e.on_sample(100ms);
  CHECK(e.timeout() == 2s);
  ReplyTimeEstimator same(2s, 2s);
  same.on_sample(100ms);
  CHECK(same.timeout() == 2s);
}
