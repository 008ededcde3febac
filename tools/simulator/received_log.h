#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "core/command.h"
#include "core/frame.h"

namespace rct::sim {

// One frame a client sent to the simulated device, as decoded (before the serial link).
struct ReceivedFrame {
  std::chrono::steady_clock::time_point time;
  std::uint64_t client = 0;
  Frame frame;
};

// Record of every request frame from the clients, so that tests can assert what was (and was not)
// sent, e.g. "a refused write put no WRITE on the wire". Written on the io_context thread, read
// from the test's thread under a lock. Bounded: the oldest entries go first.
class ReceivedLog {
 public:
  static constexpr std::size_t kMaxEntries = 100000;

  void add(ReceivedFrame frame);
  std::vector<ReceivedFrame> all() const;
  // Frames of `command` (any OID when `oid` is 0).
  std::vector<Frame> frames(Command command, std::uint32_t oid = 0) const;
  std::size_t size() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<ReceivedFrame> entries_;
};

}  // namespace rct::sim
