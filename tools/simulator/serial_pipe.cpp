#include "tools/simulator/serial_pipe.h"

#include <algorithm>
#include <utility>

namespace rct::sim {

SerialPipe::SerialPipe(asio::io_context& io, const PipeOptions& options, Responder responder,
                       Emitter emitter)
    : io_(io),
      options_(options),
      responder_(std::move(responder)),
      emitter_(std::move(emitter)),
      service_timer_(io),
      block_timer_(io) {}

bool SerialPipe::submit(Frame request) {
  if (stopped_) return false;
  if (state_ == State::kSending && options_.truncation) cut();
  return enqueue(std::move(request));
}

bool SerialPipe::inject(Frame request) {
  if (stopped_) return false;
  return enqueue(std::move(request));
}

bool SerialPipe::enqueue(Frame request) {
  if (queue_.size() >= options_.max_queue) return false;
  queue_.push_back(std::move(request));
  schedule_start();
  return true;
}

void SerialPipe::schedule_start() {
  if (state_ != State::kIdle || start_posted_) return;
  start_posted_ = true;
  asio::post(io_, guard_.bind([this] {
    start_posted_ = false;
    start_next();
  }));
}

void SerialPipe::start_next() {
  if (stopped_ || state_ != State::kIdle) return;
  while (!queue_.empty()) {
    Frame request = std::move(queue_.front());
    queue_.pop_front();
    std::optional<Frame> reply = responder_(request);
    if (!reply) continue;  // silent requests do not occupy the link
    current_ = std::move(reply);
    state_ = State::kSending;
    started_ = std::chrono::steady_clock::now();
    const std::uint64_t generation = ++generation_;
    service_timer_.expires_after(options_.service_time);
    service_timer_.async_wait([this, generation](const asio::error_code& ec) {
      if (ec || generation != generation_ || stopped_) return;
      on_service_done();
    });
    return;
  }
}

void SerialPipe::on_service_done() {
  state_ = State::kIdle;
  Frame reply = std::move(*current_);
  current_.reset();
  emitter_(std::move(reply), false);
  if (state_ == State::kIdle) start_next();
}

void SerialPipe::cut() {
  // The part of the payload sent so far, in proportion to the elapsed service time.
  const auto elapsed = std::chrono::steady_clock::now() - started_;
  const double fraction = options_.service_time.count() > 0
                              ? std::chrono::duration<double>(elapsed) /
                                    std::chrono::duration<double>(options_.service_time)
                              : 1.0;
  Frame reply = std::move(*current_);
  current_.reset();
  const std::size_t size = reply.payload.size();
  const auto kept =
      static_cast<std::size_t>(std::clamp(fraction, 0.0, 1.0) * static_cast<double>(size));
  reply.payload.resize(size == 0 ? 0 : std::min(kept, size - 1));
  ++generation_;
  service_timer_.cancel();
  state_ = State::kIdle;
  emitter_(std::move(reply), true);
  // The interrupting request is queued by the caller; the next service is posted from there.
}

void SerialPipe::block_for(std::chrono::milliseconds d) {
  if (stopped_) return;
  state_ = State::kBlocked;
  block_timer_.expires_after(d);
  block_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    state_ = State::kIdle;
    start_next();
  });
}

void SerialPipe::block() {
  if (stopped_) return;
  state_ = State::kBlocked;
}

void SerialPipe::unblock() {
  if (stopped_ || state_ != State::kBlocked) return;
  state_ = State::kIdle;
  schedule_start();
}

void SerialPipe::stop() {
  stopped_ = true;
  queue_.clear();
  current_.reset();
  service_timer_.cancel();
  block_timer_.cancel();
}

}  // namespace rct::sim
