#include "daemon/adapters/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <ctime>
#include <string>

namespace rct {
namespace {

std::chrono::microseconds monotonic_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::nanoseconds(ts.tv_nsec));
}

}  // namespace

void SystemdNotifier::send(const std::string& state) {
  // 0: no $NOTIFY_SOCKET (not under systemd), which is not a failure.
  if (::sd_notify(0, state.c_str()) < 0) ++failures_;
}

void SystemdNotifier::ready() {
  send("READY=1");
}

void SystemdNotifier::reloading() {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_now().count()));
}

void SystemdNotifier::stopping() {
  send("STOPPING=1");
}

void SystemdNotifier::status(std::string_view text) {
  std::string line = "STATUS=";
  for (char c : text) line += (c == '\n' || c == '\r') ? ' ' : c;
  send(line);
}

void SystemdNotifier::watchdog() {
  send("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> watchdog_timeout() {
  uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  auto timeout = watchdog_timeout();
  if (!timeout) return std::nullopt;
  return *timeout / 2;
}

}  // namespace rct
