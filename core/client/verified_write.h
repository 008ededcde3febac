#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/client/client_error.h"
#include "core/client/time_types.h"
#include "core/result.h"
#include "core/value.h"
#include "core/write_rate_limiter.h"
#include "core/write_validation.h"

namespace rct::client {

// Timing of the read-back that confirms a write (docs/protocol.md §13: no acknowledgement exists).
struct VerifyOptions {
  Duration readback_delay = std::chrono::milliseconds(500);     // after the WRITE went out
  Duration readback_interval = std::chrono::milliseconds(500);  // between read-backs
  unsigned readback_attempts = 4;  // read-backs per WRITE (each READ has the client's retries)
  unsigned resends = 1;            // the WRITE is sent again once, when its read-backs are spent
  bool dry_run = false;            // validate and run the interlock reads; send no WRITE
};

struct WriteRequest {
  std::uint32_t oid = 0;
  std::variant<std::string, double> value;  // text (MQTT payload, CLI argument) or a number
  InputUnit unit = InputUnit::kUser;
  bool safety_revert = false;  // a dead-man revert: not rate-limited (still validated)
  // Not rate-limited, validated like any other write: a battery mode's sequence writes
  // battery_power_extern twice within a second (0 before External, then the power).
  bool rate_exempt = false;
};

enum class WriteStatus {
  kVerified,    // the device reports the written value
  kRejected,    // refused before anything was written (WriteRejection says why)
  kUnverified,  // written (or tried), but the device never reported the value
  kDryRun,      // passed every check, interlocks included; nothing written
};
std::string_view write_status_name(WriteStatus s);  // "verified", "rejected", ...

enum class UnverifiedCause {
  kMismatch,  // read-backs answered with another value (not applied, clamped, or still pending)
  kNoAnswer,  // no read-back was answered
  kNotSent,   // the client could not put the WRITE on the link (it may not have reached it)
};
std::string_view unverified_cause_name(UnverifiedCause c);  // "mismatch", "no_answer", "not_sent"

struct WriteOutcome {
  WriteStatus status = WriteStatus::kRejected;
  std::uint32_t oid = 0;
  std::optional<PreparedWrite> write;       // absent when the static checks refused the request
  std::optional<WriteRejection> rejection;  // kRejected
  std::optional<UnverifiedCause> cause;     // kUnverified
  std::optional<Value> readback;   // kVerified: the value read back; kUnverified: the last one
  CurrentValues interlock_values;  // what the interlock reads returned
  unsigned writes_sent = 0;        // WRITE frames handed to the link
  unsigned readbacks = 0;          // READs of the OID after a WRITE, answered or not
  std::string message;             // one line for logs and the CLI
};

// One verified write as a pure state machine: the caller performs each step it returns (a READ,
// a WRITE, a wait until a time) and reports the result back; nothing here touches a socket or
// a clock. VerifiedWriter (verified_writer.h) drives it with a Client.
//
// States:
//   kIdle           — constructed; start() validates (allowlist, policy, parse, bounds, rate).
//   kInterlockReads — READ of each OID the interlocks need, one at a time, fresh from the device.
//   kSending        — the WRITE was handed out; waiting for on_sent().
//   kSettling       — waiting until the next read-back is due (readback_delay, then interval).
//   kReadingBack    — the READ of the OID was handed out; waiting for on_read().
//   kDone           — outcome() is final.
// kIdle → kDone (rejected) | kInterlockReads | kSending | kDone (dry run, no interlocks);
// kInterlockReads → kDone (interlock / dry run) | kSending; kSending → kSettling | kDone (not
// sent); kSettling → kReadingBack; kReadingBack → kDone (verified) | kSettling (attempts left) |
// kSending (resend) | kDone (unverified).
class VerifiedWrite {
 public:
  enum class Phase { kIdle, kInterlockReads, kSending, kSettling, kReadingBack, kDone };

  struct Step {
    enum class Kind {
      kRead,   // READ `oid`, then on_read()
      kWrite,  // WRITE `payload` to `oid`, then on_sent()
      kWait,   // on_timer() at `until`
      kDone,   // outcome() is final
      kNone,   // the event did not fit the state and was ignored
    };
    Kind kind = Kind::kNone;
    std::uint32_t oid = 0;
    std::vector<std::uint8_t> payload;
    TimePoint until{};
  };

  // `policy` and `limiter` must outlive the machine; the limiter records the WRITE it sends.
  VerifiedWrite(WriteRequest request, const WritePolicy& policy, WriteRateLimiter& limiter,
                VerifyOptions options);

  Step start(TimePoint now);
  Step on_read(std::uint32_t oid, const Result<Value, ClientError>& result, TimePoint now);
  Step on_sent(const Result<void, ClientError>& result, TimePoint now);
  Step on_timer(TimePoint now);

  Phase phase() const { return phase_; }
  bool done() const { return phase_ == Phase::kDone; }
  const WriteOutcome& outcome() const { return outcome_; }

 private:
  Step after_interlocks(TimePoint now);
  Step send_write(TimePoint now);
  Step settle(TimePoint until);
  Step reject(WriteRejection rejection);
  Step finish(WriteStatus status, std::optional<UnverifiedCause> cause = std::nullopt);
  std::string describe_target() const;

  WriteRequest request_;
  const WritePolicy& policy_;
  WriteRateLimiter& limiter_;
  VerifyOptions options_;
  Phase phase_ = Phase::kIdle;
  WriteOutcome outcome_;
  std::vector<std::uint32_t> reads_;  // interlock OIDs, in order
  std::size_t next_read_ = 0;
  std::vector<std::pair<std::uint32_t, ClientError>> read_errors_;  // interlock reads that failed
  TimePoint until_{};
  unsigned round_readbacks_ = 0;  // read-backs since the last WRITE
  unsigned resends_left_ = 0;
  std::optional<ClientError> last_error_;
};

}  // namespace rct::client
