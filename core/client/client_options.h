#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/client/backoff.h"
#include "core/client/time_types.h"
#include "core/frame_decoder.h"

namespace rct::client {

struct ClientOptions {
  std::string host;
  std::uint16_t port = 8899;
  Duration connect_timeout = std::chrono::seconds(5);  // resolve + TCP connect
  // The longest wait for one reply (docs/protocol.md §7.4): the first request on a connection,
  // the last attempt of every request and every history query wait this long.
  Duration request_timeout = std::chrono::seconds(2);
  // The shortest wait for a reply. Other attempts wait what the replies so far suggest
  // (core/client/reply_time_estimator.h), between this and request_timeout. 500 ms is 2.5 times
  // the ≈ 200 ms a real device's reply occupies its serial link (5 frames/s): a reply that waited
  // behind one other client's frame still lands in time, so a re-send does not cut it short
  // (docs/protocol.md §17.2). Equal to request_timeout: every attempt waits the ceiling.
  Duration request_timeout_floor = std::chrono::milliseconds(500);
  // requests awaiting a reply at once; >1 risks cut replies (docs/protocol.md §17.2)
  std::size_t window = 1;
  unsigned retries = 2;  // re-sends after a timeout or a reply known bad
  // A missing answer is normal (docs/protocol.md §7.4); only this many full request_timeout
  // waits in a row without any completed request close and reopen the connection (a wait cut
  // short by the estimate does not count).
  unsigned max_consecutive_timeouts = 10;
  // Decoder errors (bad CRC, bad command or length, cut frames) since the last good frame that
  // close and reopen the connection.
  unsigned max_frame_errors = 20;
  BackoffOptions backoff;
  std::size_t max_queued = 256;  // requests waiting for the wire; more are refused (kQueueFull)
  // Largest frame L accepted; the protocol's own maximum (a 65531-byte payload) by default.
  std::size_t max_frame_length = FrameDecoder::kMaxLength;
  std::size_t max_history_pages = 1000;
  // A connection on which no frame at all arrived for this long (a peer that accepted and then
  // went quiet) is closed and reopened; zero disables the check.
  Duration silence_timeout = std::chrono::seconds(180);
  std::optional<std::uint64_t> seed;  // backoff jitter; from std::random_device when unset

  friend bool operator==(const ClientOptions&, const ClientOptions&) = default;
};

}  // namespace rct::client
