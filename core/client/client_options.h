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
  Duration request_timeout = std::chrono::seconds(2);  // per attempt (docs/protocol.md §7.4)
  // requests awaiting a reply at once; >1 risks cut replies (docs/protocol.md §17.2)
  std::size_t window = 1;
  unsigned retries = 2;  // re-sends after a timeout
  // A missing answer is normal (docs/protocol.md §7.4); only this many timeouts in a row without
  // any completed request close and reopen the connection.
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
