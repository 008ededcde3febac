#include "core/write_rate_limiter.h"

#include <chrono>

#include "core/write_allowlist.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::WriteRateLimiter;

TEST_CASE("the rate limiter allows one write per OID within the interval", "[write_rate_limiter]") {
  const WriteRateLimiter::TimePoint t0{};  // virtual time
  WriteRateLimiter limiter(10s);
  const rct::WritableEntry& soc_min = *rct::find_writable(rct::kOidSocMin);
  const rct::WritableEntry& soc_max = *rct::find_writable(rct::kOidSocMax);

  CHECK_FALSE(limiter.remaining(soc_min.oid, t0).has_value());
  CHECK(limiter.check(soc_min, t0).ok());
  limiter.record(soc_min.oid, t0);

  auto early = limiter.check(soc_min, t0 + 4s);
  REQUIRE_FALSE(early.ok());
  CHECK(early.error().reason == rct::RejectReason::kRateLimited);
  CHECK(early.error().message.find("power_mng.soc_min") != std::string::npos);
  CHECK(early.error().message.find("6000 ms") != std::string::npos);
  REQUIRE(limiter.remaining(soc_min.oid, t0 + 4s).has_value());
  CHECK(*limiter.remaining(soc_min.oid, t0 + 4s) == 6s);

  // Another OID is independent; the first is free again once the interval has passed.
  CHECK(limiter.check(soc_max, t0 + 4s).ok());
  CHECK_FALSE(limiter.check(soc_min, t0 + 10s - 1ms).ok());
  CHECK(limiter.check(soc_min, t0 + 10s).ok());

  // A new write restarts the interval.
  limiter.record(soc_min.oid, t0 + 12s);
  CHECK_FALSE(limiter.check(soc_min, t0 + 21s).ok());
  CHECK(limiter.check(soc_min, t0 + 22s).ok());
}

TEST_CASE("a zero interval never limits and a changed interval applies at once",
          "[write_rate_limiter]") {
  const WriteRateLimiter::TimePoint t0{};
  WriteRateLimiter limiter(0s);
  const rct::WritableEntry& e = *rct::find_writable(rct::kOidSocMin);
  limiter.record(e.oid, t0);
  CHECK(limiter.check(e, t0).ok());
  limiter.set_min_interval(30s);
  CHECK(limiter.min_interval() == 30s);
  CHECK_FALSE(limiter.check(e, t0 + 29s).ok());
  CHECK(limiter.check(e, t0 + 30s).ok());
}
