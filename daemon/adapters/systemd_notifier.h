#pragma once

#include <chrono>
#include <optional>
#include <string_view>

// The service manager's notify protocol (sd_notify(3)): readiness, reload, stop, status text and
// watchdog keep-alives. All calls come from the loop thread.

namespace rct {

class Notifier {
 public:
  virtual ~Notifier() = default;
  virtual void ready() = 0;
  // RELOADING=1 with MONOTONIC_USEC (required by Type=notify-reload on systemd ≥ 253).
  virtual void reloading() = 0;
  virtual void stopping() = 0;
  // One line shown by `systemctl status`; line breaks are replaced by spaces so the text cannot
  // smuggle in another assignment.
  virtual void status(std::string_view text) = 0;
  virtual void watchdog() = 0;
};

// Sends to $NOTIFY_SOCKET via libsystemd, which reads the environment on every call; without the
// variable (a manual run) every call is a no-op.
class SystemdNotifier final : public Notifier {
 public:
  void ready() override;
  void reloading() override;
  void stopping() override;
  void status(std::string_view text) override;
  void watchdog() override;

  // Datagrams the service manager did not get (sd_notify failed), for diagnostics.
  unsigned long failures() const { return failures_; }

 private:
  void send(const std::string& state);

  unsigned long failures_ = 0;
};

// $WATCHDOG_USEC as sd_watchdog_enabled(3) reads it (honouring $WATCHDOG_PID); nullopt when the
// watchdog is off.
std::optional<std::chrono::microseconds> watchdog_timeout();
// How often to ping: half of watchdog_timeout(), as sd_watchdog_enabled(3) recommends.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace rct
