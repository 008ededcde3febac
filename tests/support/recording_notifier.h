#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "daemon/adapters/systemd_notifier.h"

namespace rct::test {

// A Notifier that records each notification as the state line systemd would get (without the
// MONOTONIC_USEC value, which depends on the clock).
class RecordingNotifier final : public Notifier {
 public:
  void ready() override { calls.emplace_back("READY=1"); }
  void reloading() override { calls.emplace_back("RELOADING=1"); }
  void stopping() override { calls.emplace_back("STOPPING=1"); }
  void status(std::string_view text) override { calls.push_back("STATUS=" + std::string(text)); }
  void watchdog() override { calls.emplace_back("WATCHDOG=1"); }

  std::vector<std::string> calls;
};

}  // namespace rct::test
