#include "daemon/adapters/systemd_notifier.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "daemon/adapters/watchdog.h"
#include "tests/support/catch.h"
#include "tests/support/run_loop.h"

using namespace std::chrono_literals;

namespace {

// What systemd would be: an AF_UNIX datagram socket at a temporary path, announced through
// $NOTIFY_SOCKET. libsystemd reads the variable on every call, so setting it in-process works
// (each test case runs in its own process under ctest).
class FakeServiceManager {
 public:
  FakeServiceManager() {
    char tmpl[] = "/tmp/rct-notify-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/notify.sock";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path_.size() < sizeof addr.sun_path);
    path_.copy(addr.sun_path, path_.size());
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~FakeServiceManager() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  // The next datagram, or nullopt when none arrives within `timeout`.
  std::optional<std::string> receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

  // Everything already queued, without waiting.
  std::vector<std::string> drain() {
    std::vector<std::string> out;
    while (auto d = receive(0ms)) out.push_back(*d);
    return out;
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
};

long long monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace

TEST_CASE("the notifier sends READY, STATUS, RELOADING, STOPPING and WATCHDOG datagrams",
          "[systemd][integration]") {
  FakeServiceManager manager;
  rct::SystemdNotifier notifier;

  notifier.ready();
  CHECK(manager.receive(2s) == "READY=1");

  notifier.status("mqtt connected, inverter 192.168.1.50 reachable");
  CHECK(manager.receive(2s) == "STATUS=mqtt connected, inverter 192.168.1.50 reachable");

  // A line break in the text must not become a second assignment.
  notifier.status("evil\nREADY=1");
  CHECK(manager.receive(2s) == "STATUS=evil READY=1");

  const long long before = monotonic_usec();
  notifier.reloading();
  const long long after = monotonic_usec();
  auto reloading = manager.receive(2s);
  REQUIRE(reloading);
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  REQUIRE(reloading->rfind(prefix, 0) == 0);
  const long long stamp = std::stoll(reloading->substr(prefix.size()));
  CHECK(stamp >= before);
  CHECK(stamp <= after);

  notifier.stopping();
  CHECK(manager.receive(2s) == "STOPPING=1");
  notifier.watchdog();
  CHECK(manager.receive(2s) == "WATCHDOG=1");
  CHECK(notifier.failures() == 0);
}

TEST_CASE("without NOTIFY_SOCKET the notifier does nothing and reports no failure",
          "[systemd][integration]") {
  ::unsetenv("NOTIFY_SOCKET");
  rct::SystemdNotifier notifier;
  notifier.ready();
  notifier.status("x");
  notifier.watchdog();
  CHECK(notifier.failures() == 0);
}

TEST_CASE("a NOTIFY_SOCKET nobody listens on counts as a failure", "[systemd][integration]") {
  ::setenv("NOTIFY_SOCKET", "/nonexistent/rct2mqtt-notify.sock", 1);
  rct::SystemdNotifier notifier;
  notifier.ready();
  CHECK(notifier.failures() == 1);
  ::unsetenv("NOTIFY_SOCKET");
}

TEST_CASE("the watchdog interval is half of WATCHDOG_USEC and absent when it is unset or not ours",
          "[systemd][integration]") {
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
  CHECK_FALSE(rct::watchdog_interval());
  CHECK_FALSE(rct::watchdog_timeout());

  ::setenv("WATCHDOG_USEC", "30000000", 1);
  REQUIRE(rct::watchdog_timeout());
  CHECK(*rct::watchdog_timeout() == 30s);
  REQUIRE(rct::watchdog_interval());
  CHECK(*rct::watchdog_interval() == 15s);

  // Meant for another process (e.g. inherited by a child of the service).
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  CHECK_FALSE(rct::watchdog_interval());
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(rct::watchdog_interval() == std::chrono::microseconds(15000000));
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
}

TEST_CASE("the loop pings the watchdog only while it reports progress", "[systemd][integration]") {
  FakeServiceManager manager;
  ::setenv("WATCHDOG_USEC", "200000", 1);  // 200 ms: pings every 100 ms
  const auto interval = rct::watchdog_interval();
  const auto timeout = rct::watchdog_timeout();
  REQUIRE(interval);
  REQUIRE(timeout);
  CHECK(*interval == 100ms);

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  rct::SystemdNotifier notifier;
  // A 50 ms "poll interval": the deadline is max(3 × 50 ms, 200 ms) = 200 ms.
  const auto deadline = rct::Watchdog::deadline_for(50ms, *timeout);
  CHECK(deadline == 200ms);
  rct::Watchdog watchdog(io, notifier, *interval, deadline);
  watchdog.start();

  SECTION("no progress yet: nothing is sent for several intervals") {
    rct::test::run_for(io, 450ms);
    CHECK(manager.drain().empty());
    CHECK(watchdog.pings() == 0);
    CHECK(watchdog.withheld() >= 3);
  }

  SECTION("progress on every cycle: a ping every interval, none once the cycles stop") {
    asio::steady_timer cycle(io);
    bool cycling = true;
    std::function<void()> poll_cycle = [&] {
      if (!cycling) return;
      watchdog.progress();
      cycle.expires_after(50ms);
      cycle.async_wait([&](const std::error_code& ec) {
        if (!ec) poll_cycle();
      });
    };
    poll_cycle();
    rct::test::run_for(io, 550ms);
    const auto pings = manager.drain();
    CHECK(pings.size() >= 4);
    CHECK(pings.size() <= 6);
    for (const std::string& p : pings) CHECK(p == "WATCHDOG=1");
    CHECK(watchdog.withheld() == 0);

    // A wedged scheduler: once the last progress is older than the deadline the pings stop, so
    // systemd's timer runs out.
    cycling = false;
    rct::test::run_for(io, 300ms);  // deadline plus one interval
    manager.drain();
    rct::test::run_for(io, 400ms);
    CHECK(manager.drain().empty());
    CHECK(watchdog.withheld() >= 3);
  }

  SECTION("a loop stalled past the deadline stays silent until it makes progress again") {
    watchdog.progress();
    asio::post(io, [] { ::usleep(400000); });  // a handler that hogs the loop
    rct::test::run_for(io, 450ms);
    // No ping while blocked (only the loop sends them), none after it (the progress is stale).
    CHECK(manager.drain().empty());
    watchdog.progress();
    rct::test::run_for(io, 150ms);
    const auto pings = manager.drain();
    CHECK_FALSE(pings.empty());
    for (const std::string& p : pings) CHECK(p == "WATCHDOG=1");
  }
  ::unsetenv("WATCHDOG_USEC");
}
