#include "core/lifetime_guard.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/catch.h"

using rct::LifetimeGuard;

TEST_CASE("a bound handler runs while its guard lives and gets its arguments", "[lifetime_guard]") {
  LifetimeGuard guard;
  std::vector<std::string> got;
  auto h = guard.bind([&](int n, const std::string& s) { got.push_back(std::to_string(n) + s); });
  h(1, "a");
  h(2, std::string("b"));
  CHECK(got == std::vector<std::string>{"1a", "2b"});
}

TEST_CASE("a handler that outlives its guard does nothing when called", "[lifetime_guard]") {
  int calls = 0;
  std::function<void()> h;
  {
    auto guard = std::make_unique<LifetimeGuard>();
    h = guard->bind([&] { ++calls; });
    h();
    CHECK(calls == 1);
  }
  h();
  h();
  CHECK(calls == 1);
}

TEST_CASE("reset drops the handlers bound so far but not those bound after it",
          "[lifetime_guard]") {
  LifetimeGuard guard;
  int early = 0;
  int late = 0;
  auto before = guard.bind([&] { ++early; });
  guard.reset();
  auto after = guard.bind([&] { ++late; });
  before();
  after();
  CHECK(early == 0);
  CHECK(late == 1);
}

TEST_CASE("the token shows whether handlers bound now would still run", "[lifetime_guard]") {
  auto guard = std::make_unique<LifetimeGuard>();
  const std::weak_ptr<const int> first = guard->token();
  CHECK_FALSE(first.expired());
  guard->reset();
  CHECK(first.expired());
  const std::weak_ptr<const int> second = guard->token();
  CHECK_FALSE(second.expired());
  guard.reset();
  CHECK(second.expired());
}

TEST_CASE("a bound handler owns what it captured and may be moved", "[lifetime_guard]") {
  LifetimeGuard guard;
  auto owned = std::make_unique<int>(7);
  int seen = 0;
  auto h = guard.bind([&seen, p = std::move(owned)] { seen = *p; });
  auto moved = std::move(h);
  moved();
  CHECK(seen == 7);
}
