#include "core/client/verified_writer.h"

#include <utility>

namespace rct::client {
template <typename Handler>
auto VerifiedWriter::guarded(Handler handler) {
  return guard_.bind(
      [this, generation = generation_, handler = std::move(handler)](auto&&... args) mutable {
        if (generation != generation_ || !current_) return;
        handler(std::forward<decltype(args)>(args)...);
      });
}

VerifiedWriter::VerifiedWriter(asio::io_context& io, Client& client, WritePolicy policy,
                               WriterOptions options)
    : io_(io),
      client_(client),
      policy_(std::move(policy)),
      revert_policy_{true, {kOidBatteryPowerExtern, kOidSocStrategy}, BatteryBlockPolicy{}},
      options_(options),
      limiter_(options.min_interval),
      timer_(io) {}

// No timer_.cancel() (it may throw): timer_'s own destructor cancels the wait, and guard_, the
// last member and so the first destroyed, drops the aborted handler.
VerifiedWriter::~VerifiedWriter() = default;

void VerifiedWriter::set_options(WriterOptions options) {
  options_ = options;
  limiter_.set_min_interval(options.min_interval);
}

void VerifiedWriter::submit(WriteRequest request, Callback callback) {
  if (queue_.size() >= options_.max_queued) {
    WriteOutcome refused;
    refused.oid = request.oid;
    refused.status = WriteStatus::kRejected;
    refused.rejection =
        WriteRejection{RejectReason::kRateLimited,
                       "too many writes waiting (" + std::to_string(queue_.size()) + ")"};
    refused.message = refused.rejection->message;
    if (callback) {
      asio::post(io_, [cb = std::move(callback), refused = std::move(refused)] { cb(refused); });
    }
    return;
  }
  queue_.push_back(Job{std::move(request), std::move(callback)});
  if (current_ || pump_posted_) return;
  pump_posted_ = true;
  asio::post(io_, guard_.bind([this] {
    pump_posted_ = false;
    pump();
  }));
}

void VerifiedWriter::pump() {
  if (current_ || queue_.empty()) return;
  Job job = std::move(queue_.front());
  queue_.pop_front();
  ++generation_;
  const bool revert = job.request.safety_revert;
  const WritePolicy& policy = revert ? revert_policy_ : policy_;
  VerifyOptions verify = options_.verify;
  // A revert undoes a WRITE that did go out, so it goes out too, even if dry_run is on now.
  if (revert) verify.dry_run = false;
  current_ = std::make_unique<VerifiedWrite>(std::move(job.request), policy, limiter_, verify);
  current_callback_ = std::move(job.callback);
  perform(current_->start(steady_now()));
}

void VerifiedWriter::perform(VerifiedWrite::Step step) {
  using Kind = VerifiedWrite::Step::Kind;
  switch (step.kind) {
    case Kind::kRead: {
      const std::uint32_t oid = step.oid;
      client_.read(oid, guarded([this, oid](Result<Reading, ClientError> r) {
                     Result<Value, ClientError> value =
                         r ? Result<Value, ClientError>(std::move(r->value))
                           : Result<Value, ClientError>(r.error());
                     perform(current_->on_read(oid, value, steady_now()));
                   }));
      return;
    }
    case Kind::kWrite:
      client_.write(step.oid, std::move(step.payload), guarded([this](Result<void, ClientError> r) {
                      perform(current_->on_sent(r, steady_now()));
                    }));
      return;
    case Kind::kWait:
      timer_.expires_at(step.until);
      timer_.async_wait(guarded([this](const std::error_code& ec) {
        if (ec == asio::error::operation_aborted) return;
        perform(current_->on_timer(steady_now()));
      }));
      return;
    case Kind::kDone: {
      const WriteOutcome outcome = current_->outcome();
      Callback callback = std::move(current_callback_);
      current_.reset();
      ++generation_;
      // Posted, so that a callback may do anything, even destroy the writer.
      if (callback)
        asio::post(io_, [callback = std::move(callback), outcome] { callback(outcome); });
      pump();
      return;
    }
    case Kind::kNone:
      return;  // an event the machine ignored; the step it is waiting for is still pending
  }
}

}  // namespace rct::client
