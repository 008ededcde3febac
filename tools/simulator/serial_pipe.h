#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "core/frame.h"
#include "core/lifetime_guard.h"

namespace rct::sim {

struct PipeOptions {
  std::chrono::milliseconds service_time{200};  // time a reply occupies the UART (≈ 5 frames/s)
  bool truncation = true;      // a request arriving while a reply is sent cuts that reply short
  std::size_t max_queue = 64;  // requests waiting for the UART; more are lost
};

// The device's single serial link behind the network bridge (docs/protocol.md §2.3): requests from
// all clients are served one at a time in arrival order. A request that has an answer occupies the
// link for the service time; a request without one passes at once.
//
// States: kIdle (nothing on the wire; a start may be posted) → kSending (a reply is being sent
// until the service timer fires; a client request arriving now cuts it short when truncation is
// on: the part sent so far goes out with a valid CRC) → kIdle; kBlocked (stalled by a fault
// until the block timer fires, or held by unblock() while a split reply leaves) → kIdle.
// Requests that arrive in the same read as the one that started the pipe are queued before the
// service starts (the start is posted), so a pipelined batch is answered in full.
// Single-threaded: all calls on the io_context's thread.
class SerialPipe {
 public:
  // The device's answer to a request (nullopt: silent). Called when the request is served.
  using Responder = std::function<std::optional<Frame>(const Frame& request)>;
  // Hands a reply to the network side; `cut` = truncated by an interleaved request.
  using Emitter = std::function<void(Frame reply, bool cut)>;

  SerialPipe(asio::io_context& io, const PipeOptions& options, Responder responder,
             Emitter emitter);

  // A client's frame reached the UART. False when the queue was full and it was lost.
  bool submit(Frame request);
  // A device-internal request (READ_PERIODICALLY push): queued, never cuts a reply.
  bool inject(Frame request);
  // Stall: nothing is served for `d`. Callable from inside the emitter.
  void block_for(std::chrono::milliseconds d);
  // Nothing is served until unblock() (a reply still leaving in pieces). From the emitter too.
  void block();
  void unblock();
  void stop();

  std::size_t queued() const { return queue_.size(); }
  const PipeOptions& options() const { return options_; }
  void set_truncation(bool on) { options_.truncation = on; }

 private:
  enum class State { kIdle, kSending, kBlocked };

  bool enqueue(Frame request);
  void schedule_start();
  void start_next();
  void on_service_done();
  void cut();

  asio::io_context& io_;
  PipeOptions options_;
  Responder responder_;
  Emitter emitter_;
  asio::steady_timer service_timer_;
  asio::steady_timer block_timer_;
  std::deque<Frame> queue_;
  State state_ = State::kIdle;
  bool start_posted_ = false;
  bool stopped_ = false;
  std::uint64_t generation_ = 0;  // invalidates a service timer whose reply was cut
  std::optional<Frame> current_;  // the reply on the wire (kSending)
  std::chrono::steady_clock::time_point started_;
  LifetimeGuard guard_;  // a posted start checks it
};

}  // namespace rct::sim
