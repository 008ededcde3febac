#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "tools/rctclient/doctor_rules.h"

// Blocking network steps of `rctclient doctor`, each bounded by a deadline.

namespace rct::cli::doctor {

using DoctorClock = std::chrono::steady_clock;

// Runs handlers of `io` one at a time until `done()` holds (true) or `deadline` passes (false).
// The caller keeps `io` busy (a work guard), so that waiting never spins.
template <typename Done>
bool run_until(asio::io_context& io, DoctorClock::time_point deadline, Done done) {
  while (!done()) {
    if (DoctorClock::now() >= deadline) return false;
    io.run_one_until(deadline);
  }
  return true;
}

// Resolves `host` and connects once, within `timeout`; the socket is closed again.
TcpFigures probe_tcp(const std::string& host, std::uint16_t port,
                     std::chrono::milliseconds timeout);

// Milliseconds since `start`.
double elapsed_ms(DoctorClock::time_point start);

}  // namespace rct::cli::doctor
