#pragma once

#include <asio.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "core/client/client.h"
#include "core/client/verified_write.h"
#include "core/lifetime_guard.h"
#include "core/write_rate_limiter.h"
#include "core/write_validation.h"

namespace rct::client {

struct WriterOptions {
  VerifyOptions verify;
  Duration min_interval = std::chrono::seconds(10);  // per OID (WriteRateLimiter)
  std::size_t max_queued = 8;  // requests waiting behind the one in progress; more are refused
};

// Runs verified writes (verified_write.h) over a Client, one at a time in submission order, and
// owns the per-OID rate limiter. The daemon keeps one per inverter; rctclient makes one for its
// single write. Runs on the client's io_context thread; every callback is posted (never called
// from inside submit()), gets the final outcome, and must not throw. Destruction drops queued
// callbacks without calling them.
class VerifiedWriter {
 public:
  using Callback = std::function<void(const WriteOutcome&)>;

  // `client` must outlive the writer.
  VerifiedWriter(asio::io_context& io, Client& client, WritePolicy policy, WriterOptions options);
  ~VerifiedWriter();
  VerifiedWriter(const VerifiedWriter&) = delete;
  VerifiedWriter& operator=(const VerifiedWriter&) = delete;

  // Queues the request; a full queue refuses it with kRejected / kRateLimited. A safety revert
  // is checked against its own policy (only the dead-man's two OIDs, always enabled) and never
  // a dry run.
  void submit(WriteRequest request, Callback callback);
  // Takes effect for requests that start after the call (e.g. a configuration reload).
  void set_policy(WritePolicy policy) { policy_ = std::move(policy); }
  // Read-back timing, dry run, rate limit and queue bound, for requests that start after the
  // call; the times of earlier WRITEs stay counted by the rate limit.
  void set_options(WriterOptions options);
  const WritePolicy& policy() const { return policy_; }
  const WriteRateLimiter& limiter() const { return limiter_; }
  std::size_t pending() const { return queue_.size() + (current_ ? 1 : 0); }

 private:
  struct Job {
    WriteRequest request;
    Callback callback;
  };

  void pump();
  void perform(VerifiedWrite::Step step);
  template <typename Handler>
  auto guarded(Handler handler);

  asio::io_context& io_;
  Client& client_;
  WritePolicy policy_;
  // Safety reverts (WriteRequest::safety_revert, the dead-man's 0 W / Internal) are validated
  // against this instead of policy_: they must go out even when the operator has disabled
  // writes or these OIDs since the write they undo.
  WritePolicy revert_policy_;
  WriterOptions options_;
  WriteRateLimiter limiter_;
  asio::steady_timer timer_;
  std::deque<Job> queue_;
  std::unique_ptr<VerifiedWrite> current_;
  Callback current_callback_;
  std::uint64_t generation_ = 0;  // bumped per job: late results of an earlier job are dropped
  bool pump_posted_ = false;
  LifetimeGuard guard_;  // last member: handlers find it gone before anything else is
};

}  // namespace rct::client
