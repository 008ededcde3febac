#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <vector>

#include "core/client/client_error.h"
#include "core/client/latency_histogram.h"
#include "core/client/reading.h"
#include "core/client/reply_time_estimator.h"
#include "core/client/time_types.h"
#include "core/command.h"
#include "core/frame.h"
#include "core/registry.h"
#include "core/result.h"

namespace rct::client {

// What a request asks of the device, and so which reply completes it.
enum class RequestKind {
  kRead,  // READ / PLANT_READ: completed by a (PLANT_)(LONG_)RESPONSE for the OID (and address)
  // WRITE of an INT32 timestamp T to a time-series / event-table OID (docs/protocol.md §9–10):
  // completed by a response for the OID whose payload echoes T
  kQuery,
  kWrite,  // WRITE / PLANT_WRITE: no reply is defined; done once handed to the wire
};

struct Request {
  RequestKind kind = RequestKind::kRead;
  std::uint32_t oid = 0;
  std::optional<std::uint32_t> address;  // plant frames
  std::vector<std::uint8_t> payload;     // kQuery / kWrite: encoded with the request type
};

using RequestId = std::uint64_t;

struct TrackerOptions {
  std::size_t window = 1;  // requests awaiting a reply at once (docs/protocol.md §18.2)
  // The ceiling of the wait for one reply: the first request on a connection, the last attempt
  // of every request and every query wait this long.
  Duration timeout = std::chrono::seconds(2);
  // Re-sends after a timeout or a reply known bad, before giving up with kTimeout.
  unsigned retries = 2;
  std::size_t max_queued = 256;  // requests waiting for their turn (not yet on the wire)
  // The floor of the estimated wait (ReplyTimeEstimator). The default, above any ceiling, makes
  // every attempt wait `timeout`.
  Duration timeout_floor = Duration::max();
};

// A request that may go on the wire now. `wire` is the complete escaped frame.
struct Dispatch {
  RequestId id = 0;
  RequestKind kind = RequestKind::kRead;
  std::uint32_t oid = 0;
  unsigned attempt = 1;  // 1 for the first send
  std::vector<std::uint8_t> wire;
};

// A syntactically valid frame with a good CRC, as the decoder emitted it.
struct FrameView {
  Command command = Command::kResponse;
  std::optional<std::uint32_t> address;
  std::uint32_t oid = 0;
  std::span<const std::uint8_t> payload;
};

// What became of a frame (docs/protocol.md §7.3, §18.6). Only kCompleted and kUnsolicited carry a
// reading; everything else is dropped and counted.
enum class FrameVerdict {
  kCompleted,    // answered an outstanding request
  kUnsolicited,  // a valid reply nobody here asked for (another client's traffic): a free reading
  kTruncated,    // a response whose payload size does not fit the OID's response type
  kUnknownOid,   // a response for an OID outside the registry that nobody asked for
  kNotResponse,  // echoed READ, another client's WRITE, READ_PERIODICALLY ...
};
std::string_view frame_verdict_name(FrameVerdict v);

// An outstanding request whose reply arrived known bad (cut short, or with a CRC error): it is
// queued to go out again at once, or (will_retry false) has failed with kTimeout.
struct BadReply {
  RequestId id = 0;
  std::uint32_t oid = 0;
  bool will_retry = false;
};

struct FrameResult {
  FrameVerdict verdict = FrameVerdict::kNotResponse;
  // kCompleted: the request answered. kTruncated: the outstanding request the frame answered,
  // cut short; it is no longer in flight (see will_retry).
  std::optional<RequestId> request;
  std::optional<Reading> reading;  // kCompleted, kUnsolicited
  // kTruncated with a request, alone on the link: the request is queued to go out again at once
  // (will_retry) or, its attempts used up, has failed (a kTimeout failure for the caller). Unset:
  // the request stays outstanding until its deadline (a shared link).
  std::optional<BadReply> bad_reply;
};

// A frame whose CRC did not match, as the decoder parsed it. Nothing in it is trusted: it only
// decides whether the frame was the reply to an outstanding request.
struct DamagedFrame {
  Command command = Command::kResponse;
  std::optional<std::uint32_t> address;
  std::uint32_t oid = 0;
  std::span<const std::uint8_t> payload;  // for a query: must echo its T, as a good reply would
};

// A deadline that passed: the request is requeued for another attempt, or (will_retry false)
// has failed with kTimeout.
struct Expiry {
  RequestId id = 0;
  std::uint32_t oid = 0;
  bool will_retry = false;
};

// A request that ended without a value.
struct Failure {
  RequestId id = 0;
  ClientError error = ClientError::kTimeout;
};

struct TrackerStats {
  std::uint64_t sent = 0;            // frames handed to the wire, retries included
  std::uint64_t completed = 0;       // requests answered
  std::uint64_t retries = 0;         // re-sends after a timeout
  std::uint64_t resent = 0;          // re-sends at once after a reply known bad (cut, bad CRC)
  std::uint64_t bad_replies = 0;     // replies to an outstanding request known bad (cut, bad CRC)
  std::uint64_t timeouts = 0;        // deadlines that passed (each attempt counts)
  std::uint64_t short_timeouts = 0;  // of these, waits the estimate made shorter than the ceiling
  std::uint64_t gave_up = 0;         // requests failed with kTimeout
  std::uint64_t truncated = 0;       // responses dropped by the size check (ours or not)
  std::uint64_t unsolicited = 0;     // valid responses handed up without a request
  std::uint64_t unknown_oid = 0;
  std::uint64_t not_response = 0;
  std::uint64_t frame_errors = 0;  // CRC mismatches, bad commands, bad lengths, cut frames
  // Send of the answered attempt → its matched reply, for every completed request.
  LatencyHistogram latency;
};

// Outstanding requests of one connection: queueing, the in-flight window, deadlines, bounded
// retries, and matching replies to requests. The protocol has no sequence numbers, so a reply is
// matched by command class + OID (+ address for plant frames, + echoed T for queries), and at most
// one request per (OID, address) is on the wire at a time; a later request for the same key
// never overtakes an earlier one. Pure: no I/O, time comes in as `now`.
//
// Deadlines follow the link (docs/protocol.md §7.4): a READ that is not its request's last
// attempt waits what the connection's ReplyTimeEstimator says (the ceiling until a first reply
// came); the last attempt, and every attempt of a history query (long answers, a service time
// of their own), wait the full ceiling. Only replies to requests sent once are samples (Karn's
// rule). Only full-ceiling waits count as consecutive timeouts, so a device is judged dead only
// after it let the full ceiling pass max_consecutive_timeouts times in a row, as without the
// estimate; a wait the estimate cut short is taken as a lost reply.
//
// A reply known bad — our reply cut short (valid CRC, wrong size) or a frame with a CRC error
// whose intact header names our request — sends the request again instead of waiting for its
// deadline: the device has answered, so nothing more is coming for that send. That counts as an
// attempt. It never happens for another OID's frame, broken or not, nor for a broken frame whose
// header does not name an outstanding request. And only while no other client was heard for a
// minute: on a shared link the likeliest cause of a cut is the other client's request, whose
// reply the device is composing now; a request of ours would cut that one, and a client doing
// the same to us makes both lose every reply. There the request waits for its deadline, as a
// lost reply does (the estimate keeps that short).
//
// Request states: queued (FIFO; retries re-enter at the front) → in flight (deadline set) →
// completed / requeued for a retry (deadline passed, reply known bad) / failed. kWrite requests
// leave the tracker when dispatched.
class RequestTracker {
 public:
  RequestTracker(const Registry& registry, TrackerOptions options);

  // Queues a request. kQueueFull when max_queued requests wait already; kInvalidRequest when the
  // frame cannot be encoded or a query targets an OID whose response is not a history table.
  Result<RequestId, ClientError> submit(Request request);

  // The next request that may be sent at `now` (window has room, no earlier request for the
  // same key in flight or waiting), now counted as in flight with deadline now + timeout.
  std::optional<Dispatch> next_dispatch(TimePoint now);

  // Classifies a good-CRC frame; completes the matching request if its payload size fits, and
  // re-queues it at the front (or fails it) if the frame is its reply cut short.
  FrameResult on_frame(const FrameView& frame, TimePoint now);
  // A frame whose CRC did not match. When it names itself the reply to an outstanding request
  // (a response command, the request's OID and address, a query's T), that request is re-queued
  // at the front or, its attempts used up, failed. The caller counts it with note_frame_error()
  // either way.
  std::optional<BadReply> on_damaged_frame(const DamagedFrame& frame, TimePoint now);

  // Deadlines that passed by `now`: each in-flight request is requeued for a retry (front of the
  // queue) or, with its retries used up, dropped (a kTimeout failure for the caller).
  std::vector<Expiry> expire(TimePoint now);

  // Ends every queued and in-flight request (link down, stop).
  std::vector<Failure> fail_all(ClientError error);

  // A decoder error on this connection (CRC mismatch, bad command/length, cut frame).
  void note_frame_error();
  // A new connection starts with clean link-health counters and no reply-time estimate.
  void reset_link_counters();

  std::optional<TimePoint> next_deadline() const;
  // Another client was heard lately: replies known bad wait for their deadline.
  bool shared_link(TimePoint now) const;
  // Deadlines that passed in a row without a completion in between.
  unsigned consecutive_timeouts() const { return consecutive_timeouts_; }
  // Decoder errors since the last good-CRC frame.
  unsigned consecutive_frame_errors() const { return consecutive_frame_errors_; }
  std::size_t in_flight() const { return in_flight_.size(); }
  std::size_t queued() const { return queued_.size(); }
  const TrackerStats& stats() const { return stats_; }
  const ReplyTimeEstimator& estimator() const { return estimator_; }

 private:
  struct Entry {
    RequestId id = 0;
    Request request;
    std::vector<std::uint8_t> wire;
    DataType response_type = DataType::kUnknown;
    const OidInfo* info = nullptr;
    unsigned attempts = 0;  // sends so far
    TimePoint sent{};       // of the last attempt
    TimePoint deadline{};
    bool full_wait = false;  // the last attempt waits the ceiling
  };

  Duration wait_for(const Entry& e) const;
  // A reply known bad is asked for again at once only when nothing else can have cut it: no
  // other client heard lately, no other request of ours in flight.
  bool alone_on_link(TimePoint now) const;
  // Takes the in-flight entry out: back to the front of the queue, or dropped (false) when its
  // attempts are used up.
  bool resend_at_once(std::vector<Entry>::iterator it);
  FrameResult classify(const FrameView& frame, TimePoint now);

  bool same_key(const Entry& e, std::uint32_t oid, std::optional<std::uint32_t> address) const;
  bool accepts(const Entry& e, const FrameView& frame) const;
  std::optional<Reading> decode(const FrameView& frame, const OidInfo* info, DataType type,
                                TimePoint now, bool solicited) const;

  const Registry& registry_;
  TrackerOptions options_;
  std::deque<Entry> queued_;
  std::vector<Entry> in_flight_;  // at most options_.window entries, in dispatch order
  RequestId next_id_ = 1;
  unsigned consecutive_timeouts_ = 0;
  unsigned consecutive_frame_errors_ = 0;
  ReplyTimeEstimator estimator_;
  std::optional<TimePoint> last_foreign_;  // a frame for nobody here: another client's traffic
  TrackerStats stats_;
};

}  // namespace rct::client
