#include "core/client/backoff.h"

#include <chrono>
#include <random>
#include <set>
#include <vector>

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::client::Backoff;
using rct::client::BackoffOptions;
using rct::client::Duration;

namespace {

BackoffOptions no_jitter() {
  BackoffOptions o;
  o.initial = 1s;
  o.max = 60s;
  o.long_outage_max = 300s;
  o.long_outage_after = 10min;
  o.jitter = 0.0;
  return o;
}

}  // namespace

TEST_CASE("backoff doubles from the initial delay up to its cap", "[backoff]") {
  Backoff b(no_jitter());
  std::mt19937_64 rng(1);
  std::vector<Duration> got;
  for (int i = 0; i < 9; ++i) got.push_back(b.next(0s, rng));
  const std::vector<Duration> want{1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s, 60s};
  CHECK(got == want);
  CHECK(b.failures() == 9);
}

TEST_CASE("backoff never exceeds its cap however many attempts failed", "[backoff]") {
  Backoff b(no_jitter());
  std::mt19937_64 rng(1);
  for (int i = 0; i < 10000; ++i) REQUIRE(b.next(1min, rng) <= 60s);
  CHECK(b.next(1min, rng) == 60s);
}

TEST_CASE("backoff starts over after reset", "[backoff]") {
  Backoff b(no_jitter());
  std::mt19937_64 rng(1);
  for (int i = 0; i < 5; ++i) b.next(0s, rng);
  b.reset();
  CHECK(b.failures() == 0);
  CHECK(b.next(0s, rng) == 1s);
}

TEST_CASE("a long outage raises the cap to the long-outage maximum", "[backoff]") {
  Backoff b(no_jitter());
  std::mt19937_64 rng(1);
  for (int i = 0; i < 12; ++i) b.next(5min, rng);
  CHECK(b.next(5min, rng) == 60s);
  CHECK(b.next(10min, rng) == 300s);
  CHECK(b.next(3h, rng) == 300s);
}

TEST_CASE("jittered delays stay within [(1 - jitter) x base, base] and vary", "[backoff]") {
  BackoffOptions o = no_jitter();
  o.jitter = 0.25;
  const std::vector<Duration> bases{1s, 2s, 4s, 8s, 16s, 32s, 60s, 60s};
  std::set<Duration::rep> first_delays;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    Backoff b(o);
    std::mt19937_64 rng(seed);
    for (std::size_t i = 0; i < bases.size(); ++i) {
      const Duration d = b.next(0s, rng);
      INFO("seed " << seed << " attempt " << i);
      REQUIRE(d <= bases[i]);
      REQUIRE(d >= bases[i] * 3 / 4);
      if (i == 0) first_delays.insert(d.count());
    }
  }
  CHECK(first_delays.size() > 100);  // seeds spread the delays, not lock step
}

TEST_CASE("the same seed gives the same delays", "[backoff]") {
  BackoffOptions o = no_jitter();
  o.jitter = 0.5;
  Backoff a(o), b(o);
  std::mt19937_64 ra(42), rb(42);
  for (int i = 0; i < 20; ++i) CHECK(a.next(0s, ra) == b.next(0s, rb));
}
