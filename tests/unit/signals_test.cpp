#include "daemon/adapters/signals.h"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <thread>
#include <vector>

#include "tests/support/catch.h"
#include "tests/support/run_loop.h"

using namespace std::chrono_literals;

TEST_CASE("SIGHUP, SIGTERM and SIGINT reach the handler on the loop thread, repeatedly",
          "[signals]") {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<rct::Signal> got;
  bool off_loop = false;
  const auto loop_thread = std::this_thread::get_id();
  rct::SignalHandler handler(io, [&](rct::Signal s) {
    if (std::this_thread::get_id() != loop_thread) off_loop = true;
    got.push_back(s);
  });

  // The signal_set is installed, so raising these no longer runs the default action.
  for (int number : {SIGHUP, SIGHUP, SIGTERM, SIGINT}) {
    const std::size_t before = got.size();
    REQUIRE(::raise(number) == 0);
    REQUIRE(rct::test::run_until(
        io, [&] { return got.size() == before + 1; }, 2s));
  }
  CHECK(got == std::vector<rct::Signal>{rct::Signal::kHangup, rct::Signal::kHangup,
                                        rct::Signal::kTerminate, rct::Signal::kInterrupt});
  CHECK_FALSE(off_loop);
  handler.cancel();
}

TEST_CASE("signal names are the usual ones", "[signals]") {
  CHECK(rct::signal_name(rct::Signal::kInterrupt) == "SIGINT");
  CHECK(rct::signal_name(rct::Signal::kTerminate) == "SIGTERM");
  CHECK(rct::signal_name(rct::Signal::kHangup) == "SIGHUP");
}
