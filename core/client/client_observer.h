#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "core/client/reading.h"
#include "core/client/request_tracker.h"
#include "core/client/time_types.h"
#include "core/frame_decoder.h"

namespace rct::client {

// Connection state machine of Client (see client.h for the transitions).
enum class ClientState { kDisconnected, kConnecting, kConnected, kBackoff };
std::string_view client_state_name(ClientState s);

// Why the link went down or a connection attempt failed.
enum class LinkDownReason {
  kResolveFailed,
  kConnectFailed,  // refused, unreachable ... (the error code says which)
  kConnectTimeout,
  kClosedByPeer,
  kReadFailed,
  kWriteFailed,
  kTooManyTimeouts,     // ClientOptions::max_consecutive_timeouts reached
  kTooManyFrameErrors,  // ClientOptions::max_frame_errors reached
  kSilence,             // no frame at all for ClientOptions::silence_timeout
};
std::string_view link_down_reason_name(LinkDownReason r);

enum class Direction { kSent, kReceived };

// How the client reports what happens on the link. The client itself never logs; the daemon and
// rctclient map these to log levels. Called on the io_context thread, synchronously from inside
// the client: implementations must not call back into the Client (post to the loop instead).
class ClientObserver {
 public:
  virtual ~ClientObserver() = default;

  virtual void on_state(ClientState /*state*/) {}
  // Once per transition: the peer answered with a valid frame on a fresh connection after start
  // or after the link was reported down.
  virtual void on_link_up(const std::string& /*peer*/) {}
  // Once per transition: the link was lost, or connecting failed, after start or after it was
  // reported up. Further failed attempts while down come only through on_retry (quiet at night).
  virtual void on_link_down(LinkDownReason /*reason*/, const std::error_code& /*error*/) {}
  // Every failed attempt or lost connection, with the delay before the next attempt.
  virtual void on_retry(LinkDownReason /*reason*/, const std::error_code& /*error*/,
                        Duration /*delay*/) {}
  // A valid reading of another client's traffic (the inverter copies replies to every client).
  virtual void on_unsolicited(const Reading& /*reading*/) {}
  // Every valid reading, ours or another client's, with the payload it was decoded from (valid
  // only during the call), before the request's callback is posted. For the local proxy's cache
  // (docs/proxy.md), which answers with the device's own bytes.
  virtual void on_valid_payload(const Reading& /*reading*/,
                                std::span<const std::uint8_t> /*payload*/) {}
  // A good-CRC frame that was dropped (truncated payload, unknown OID, not a response).
  virtual void on_dropped(FrameVerdict /*verdict*/, Command /*command*/, std::uint32_t /*oid*/,
                          std::size_t /*payload_size*/) {}
  // A decoder error: CRC mismatch, bad command or length, cut frame.
  virtual void on_frame_error(DecodeOutcome /*outcome*/, std::size_t /*consumed*/) {}
  // A request ran past its deadline; `will_retry` false means it failed with kTimeout.
  virtual void on_timeout(std::uint32_t /*oid*/, bool /*will_retry*/) {}
  // The reply to a request arrived cut short or with a CRC error: the request goes out again at
  // once, or (`will_retry` false, its attempts used up) failed with kTimeout.
  virtual void on_bad_reply(std::uint32_t /*oid*/, bool /*will_retry*/) {}
  // Raw bytes as they crossed the socket (trace level).
  virtual void on_bytes(Direction /*direction*/, std::span<const std::uint8_t> /*bytes*/) {}
};

}  // namespace rct::client
