#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <vector>

#include "core/command.h"
#include "tools/simulator/faults.h"

namespace rct::sim {

// One reply of the simulated device as it really went out (or did not).
struct SentReply {
  std::chrono::steady_clock::time_point time;
  std::int64_t device_time = 0;
  Command command = Command::kResponse;
  std::optional<std::uint32_t> address;
  std::uint32_t oid = 0;              // OID of the frame as sent (another one for wrong_oid)
  std::uint32_t requested_oid = 0;    // the OID the reply answered
  std::vector<std::uint8_t> payload;  // as sent: after truncation and value faults
  bool delivered = true;              // bytes went to the clients (false: dropped, stalled)
  bool intact = true;           // delivered, good CRC, full payload: a client may take its value
  bool cut_by_request = false;  // shortened by an interleaved request (valid CRC)
  std::optional<FaultKind> fault;
};

// Record of the replies for tests ("every value a client handed up was really sent, intact").
// Written on the io_context thread, read from the test's thread: the only lock in the simulator.
// Bounded: the oldest entries go first.
class SentLog {
 public:
  static constexpr std::size_t kMaxEntries = 100000;

  void add(SentReply reply);
  std::vector<SentReply> all() const;
  // Payloads of the intact replies for `oid` (and `address`, for plant replies). Frames whose
  // value a fault replaced (counter_reset, absurd) are intact frames and count: the device did
  // send that value, and a client cannot tell. Their `fault` field tells them apart in all().
  std::set<std::vector<std::uint8_t>> truth(std::uint32_t oid,
                                            std::optional<std::uint32_t> address = {}) const;
  std::size_t size() const;
  void clear();

 private:
  mutable std::mutex mutex_;
  std::vector<SentReply> entries_;
};

}  // namespace rct::sim
