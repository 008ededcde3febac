#pragma once

#include <array>
#include <asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "core/client/backoff.h"
#include "core/client/client_error.h"
#include "core/client/client_observer.h"
#include "core/client/client_options.h"
#include "core/client/reading.h"
#include "core/client/request_tracker.h"
#include "core/client/silence_watch.h"
#include "core/frame_decoder.h"
#include "core/lifetime_guard.h"
#include "core/registry.h"
#include "core/result.h"
#include "core/value.h"

namespace rct::client {

// One inverter connection: a persistent TCP link, one reader feeding a FrameDecoder, at most one
// write in flight, one deadline timer, replies matched to requests by RequestTracker, reconnect
// with capped exponential backoff and jitter. Runs on the caller's io_context and owns no thread;
// every method and callback runs on the thread that runs that io_context. No handler throws.
//
// States (ClientState):
//   kDisconnected — not started, or stopped. Requests fail at once with kNotConnected.
//   kConnecting   — resolving and connecting, bounded by connect_timeout. Requests queue.
//   kConnected    — reading; queued requests go out as the window allows. K full-length
//                   timeouts in a row (RequestTracker), M frame errors, no frame at all for
//                   silence_timeout, or a read/write error close the socket → kBackoff.
//   kBackoff      — waiting before the next attempt. Requests fail at once with kNotConnected.
// start(): kDisconnected → kConnecting. A failed attempt or a lost link fails every queued and
// outstanding request with kDisconnected and moves to kBackoff; its timer → kConnecting.
// stop(): any → kDisconnected, requests fail with kCancelled.
//
// Callbacks are never called from inside the call that takes them: results are posted to the
// io_context, so a callback may issue new requests or call stop(). They must not throw.
class Client {
 public:
  using ReadCallback = std::function<void(Result<Reading, ClientError>)>;
  using WriteCallback = std::function<void(Result<void, ClientError>)>;
  using TimeSeriesCallback = std::function<void(Result<TimeSeries, ClientError>)>;
  using EventTableCallback = std::function<void(Result<EventTable, ClientError>)>;

  // `registry` and `observer` must outlive the client.
  Client(asio::io_context& io, const Registry& registry, ClientOptions options,
         ClientObserver& observer);
  ~Client();  // stop(): pending callbacks are posted with kCancelled
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void start();
  void stop();
  ClientState state() const { return state_; }

  // READ; the callback gets the value of the first acceptable answer.
  void read(std::uint32_t oid, ReadCallback callback);
  void read(std::string_view name, ReadCallback callback);  // kUnknownOid for a name not known
  // PLANT_READ through the plant leader, answered by the device at `address`
  // (docs/protocol.md §12).
  void read_plant(std::uint32_t address, std::uint32_t oid, ReadCallback callback);

  // One history query (WRITE of T to a time-series or event-table OID, docs/protocol.md §9.1): the
  // answer's value is a TimeSeries or EventTable holding what the device sent before T.
  void query(std::uint32_t oid, std::uint32_t timestamp, ReadCallback callback);
  // One history query whose answer is handed on as the device sent it: the payload bytes of the
  // answer query() would decode, after the same checks (CRC, OID, the echoed T, a payload that
  // decodes as the OID's history type). With `address`: PLANT_WRITE through the plant leader.
  // For the local proxy, which returns the answer to its own client (docs/proxy.md §2).
  using PayloadCallback = std::function<void(Result<std::vector<std::uint8_t>, ClientError>)>;
  void query_payload(std::uint32_t oid, std::uint32_t timestamp,
                     std::optional<std::uint32_t> address, PayloadCallback callback);
  // All samples with from ≤ timestamp ≤ to, paging backwards from `to` (docs/protocol.md §9.2).
  // Timestamps are device seconds (local time as if UTC, docs/protocol.md §9.4).
  void query_timeseries(std::uint32_t oid, std::uint32_t from, std::uint32_t to,
                        TimeSeriesCallback callback);
  // The event table `logger.error_log_time_stamp` between from and to, paging backwards
  // (docs/protocol.md §10).
  void query_events(std::uint32_t from, std::uint32_t to, EventTableCallback callback);

  // WRITE (or PLANT_WRITE with `address`) of an encoded payload. The callback reports that the
  // frame went on the wire; the device does not acknowledge writes (docs/protocol.md §13): read
  // back to verify.
  void write(std::uint32_t oid, std::vector<std::uint8_t> payload, WriteCallback callback,
             std::optional<std::uint32_t> address = std::nullopt);

  const TrackerStats& stats() const { return tracker_.stats(); }
  // This connection's estimate of the reply time (docs/protocol.md §7.4).
  const ReplyTimeEstimator& estimator() const { return tracker_.estimator(); }

 private:
  using Tcp = asio::ip::tcp;

  struct Outgoing {
    std::vector<std::uint8_t> bytes;
    std::optional<RequestId> write_id;  // a kWrite whose callback waits for this send
  };

  // The request's id, or nullopt when it was refused (the callback then has its error posted).
  std::optional<RequestId> submit(Request request, ReadCallback read_cb, WriteCallback write_cb);
  void connect();
  void on_resolved(const std::error_code& ec, const Tcp::resolver::results_type& endpoints);
  void on_connected(const std::error_code& ec, const Tcp::endpoint& endpoint);
  void start_read();
  void on_read(const std::error_code& ec, std::size_t size);
  void handle(const DecodeEvent& event, TimePoint now);
  // The reply to a request arrived known bad: report it, and fail the request if it is not sent
  // again.
  void bad_reply(const BadReply& bad);
  void pump();
  void start_write();
  void on_written(const std::error_code& ec);
  void on_timer();
  void arm_timer();
  void link_lost(LinkDownReason reason, const std::error_code& ec);
  void close_link(ClientError error);  // pending writes fail with `error`
  void fail(const std::vector<Failure>& failures);
  void finish_read(RequestId id, Result<Reading, ClientError> result);
  void finish_write(RequestId id, Result<void, ClientError> result);
  void set_state(ClientState state);
  // Wraps a handler so that it does nothing once the client is gone or the connection it
  // belongs to has been replaced.
  template <typename Handler>
  auto guarded(Handler handler);

  asio::io_context& io_;
  const Registry& registry_;
  ClientOptions options_;
  ClientObserver& observer_;
  Tcp::resolver resolver_;
  Tcp::socket socket_;
  // kConnecting: connect deadline; kConnected: the earliest request deadline or the silence
  // deadline; kBackoff: next attempt.
  asio::steady_timer timer_;
  FrameDecoder decoder_;
  RequestTracker tracker_;
  SilenceWatch silence_;
  Backoff backoff_;
  std::minstd_rand rng_;  // backoff jitter only: 8 bytes instead of mt19937_64's 2.5 kB

  ClientState state_ = ClientState::kDisconnected;
  std::uint64_t epoch_ = 0;  // bumped whenever a connection attempt or link ends
  TimePoint deadline_{};     // kConnecting: give up; kBackoff: next attempt
  std::optional<TimePoint> down_since_;
  bool proven_ = false;         // this connection has delivered a valid frame
  bool reported_up_ = false;    // last transition reported: up
  bool reported_down_ = false;  // last transition reported: down
  std::string peer_;

  // One socket read; frames spanning reads are reassembled by the decoder, so the size only
  // bounds how many bytes one read takes in (a reply burst is a few hundred bytes).
  std::array<std::uint8_t, 1024> read_buffer_{};
  std::deque<Outgoing> send_queue_;  // bounded by the window plus queued writes
  bool writing_ = false;
  std::optional<RequestId> writing_id_;  // the kWrite whose frame is being written
  std::unordered_map<RequestId, ReadCallback> read_callbacks_;
  std::unordered_map<RequestId, WriteCallback> write_callbacks_;
  // query_payload(): where the answer's bytes go, filled just before the read callback is posted.
  std::unordered_map<RequestId, std::shared_ptr<std::vector<std::uint8_t>>> payload_slots_;
  LifetimeGuard guard_;  // last member: handlers find it gone before anything else is
};

}  // namespace rct::client
