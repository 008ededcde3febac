#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "core/frame.h"

namespace rct::sim {

// Faults the simulator can inject (docs/protocol.md §16.2, §17). Each is off by default; a run
// enables them with a probability per reply, a test scripts "the next K replies".
enum class FaultKind {
  kGarbage,       // random bytes (never 0x2B) before the reply
  kCorruptCrc,    // the reply's CRC is wrong
  kDrop,          // the reply is not sent
  kWrongOid,      // another OID's frame (with that OID's true value) instead of the reply
  kTruncate,      // the payload is cut short; the CRC is valid over what is sent
  kStall,         // no reply, and the device answers nothing for stall_duration
  kDisconnect,    // all connections are closed after the reply
  kCounterReset,  // a lifetime counter answers 0 (frame intact, value wrong)
  kAbsurdValue,   // a power / energy FLOAT answers 1e30 or NaN (frame intact, value wrong)
  kSplit,         // the reply leaves in two TCP segments, split_delay apart (often inside an
                  // escape pair); the frame itself is intact
  kNight,         // not per reply: connections refused while the model's PV is zero
};
inline constexpr std::size_t kFaultKindCount = 11;
inline constexpr std::array<FaultKind, kFaultKindCount> kAllFaults = {
    FaultKind::kGarbage,    FaultKind::kCorruptCrc,   FaultKind::kDrop,
    FaultKind::kWrongOid,   FaultKind::kTruncate,     FaultKind::kStall,
    FaultKind::kDisconnect, FaultKind::kCounterReset, FaultKind::kAbsurdValue,
    FaultKind::kSplit,      FaultKind::kNight,
};

// "garbage", "corrupt_crc", "drop", "wrong_oid", "truncate", "stall", "disconnect",
// "counter_reset", "absurd", "split", "night".
std::string_view fault_name(FaultKind f);
std::optional<FaultKind> fault_from_name(std::string_view name);

struct FaultConfig {
  std::array<double, kFaultKindCount> probability{};  // per reply, 0..1 (night: > 0 enables)
  unsigned disconnect_after_frames = 0;  // > 0: each connection is closed after this many frames
  std::chrono::milliseconds stall_duration{3000};
  std::chrono::milliseconds split_delay{30};
};

// What the injector needs to know about a reply to decide which faults apply to it.
struct ReplyTraits {
  std::size_t payload_size = 0;
  bool lifetime_counter = false;  // counter_reset applies
  bool power_or_energy = false;   // FLOAT with unit W / Wh: absurd applies
  // Already cut short by an interleaved request: faults that put a whole payload in its place
  // (wrong_oid, counter_reset, absurd) do not apply, or a full frame would go out as a cut one.
  bool cut = false;
};

// Decides the fault (at most one) for each reply. Scripted faults come first, in the order of
// kAllFaults, then each fault's probability. Deterministic for a seed and a sequence of calls.
// Single-threaded: lives on the simulator's io_context.
class FaultInjector {
 public:
  FaultInjector(const FaultConfig& config, std::uint64_t seed);

  std::optional<FaultKind> decide(const ReplyTraits& reply);
  // The next `count` replies the fault applies to get it (count 0 cancels the script).
  void script(FaultKind f, unsigned count);
  void set_probability(FaultKind f, double p);
  double probability(FaultKind f) const;
  const FaultConfig& config() const { return config_; }
  void set_disconnect_after(unsigned frames) { config_.disconnect_after_frames = frames; }
  void set_stall_duration(std::chrono::milliseconds d) { config_.stall_duration = d; }

  std::vector<std::uint8_t> garbage();           // 1..16 bytes, none of them 0x2B
  std::size_t truncated_size(std::size_t size);  // uniform in [0, size)
  // Where to split `wire` (1..size-1): right after an escape byte when there is one.
  std::size_t split_point(const std::vector<std::uint8_t>& wire);
  bool coin();
  std::size_t pick(std::size_t n);  // uniform in [0, n)

 private:
  static bool applies(FaultKind f, const ReplyTraits& reply);

  FaultConfig config_;
  std::array<unsigned, kFaultKindCount> scripted_{};
  std::mt19937_64 rng_;
};

// Wire bytes of `frame` (start token, escaped body, escaped CRC) with the CRC given instead of
// the right one: what a corrupted reply looks like.
std::vector<std::uint8_t> encode_with_crc(const Frame& frame, std::uint16_t crc);
// The right CRC of `frame` (over command, length, address, OID, payload).
std::uint16_t frame_crc(const Frame& frame);

}  // namespace rct::sim
