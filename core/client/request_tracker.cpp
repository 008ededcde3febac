#include "core/client/request_tracker.h"

#include <algorithm>
#include <utility>

#include "core/data_type.h"
#include "core/frame_encoder.h"
#include "core/layout_override.h"
#include "core/value_codec.h"

namespace rct::client {
namespace {

// Another client heard within this time makes the link count as shared.
constexpr Duration kSharedLinkMemory = std::chrono::seconds(60);

Command request_command(const Request& r) {
  switch (r.kind) {
    case RequestKind::kRead:
      return r.address ? Command::kPlantRead : Command::kRead;
    case RequestKind::kQuery:
    case RequestKind::kWrite:
      return command_for_payload(r.address ? Command::kPlantWrite : Command::kWrite,
                                 r.payload.size());
  }
  return Command::kRead;
}

}  // namespace

std::string_view frame_verdict_name(FrameVerdict v) {
  switch (v) {
    case FrameVerdict::kCompleted:
      return "completed";
    case FrameVerdict::kUnsolicited:
      return "unsolicited";
    case FrameVerdict::kTruncated:
      return "truncated";
    case FrameVerdict::kUnknownOid:
      return "unknown_oid";
    case FrameVerdict::kNotResponse:
      return "not_response";
  }
  return "?";
}

RequestTracker::RequestTracker(const Registry& registry, TrackerOptions options)
    : registry_(registry), options_(options), estimator_(options.timeout_floor, options.timeout) {
  options_.window = std::max<std::size_t>(options_.window, 1);
}

Result<RequestId, ClientError> RequestTracker::submit(Request request) {
  if (queued_.size() >= options_.max_queued) return ClientError::kQueueFull;
  Entry e;
  e.info = registry_.find(request.oid);
  e.response_type = e.info ? e.info->response_type : DataType::kUnknown;
  if (request.kind == RequestKind::kQuery &&
      (!is_history_type(e.response_type) || request.payload.size() != 4)) {
    return ClientError::kInvalidRequest;
  }
  Frame frame;
  frame.command = request_command(request);
  frame.address = request.address;
  frame.oid = request.oid;
  frame.payload = request.payload;
  auto wire = encode_frame(frame);
  if (!wire) return ClientError::kInvalidRequest;
  e.wire = std::move(*wire);
  e.id = next_id_++;
  e.request = std::move(request);
  queued_.push_back(std::move(e));
  return queued_.back().id;
}

bool RequestTracker::same_key(const Entry& e, std::uint32_t oid,
                              std::optional<std::uint32_t> address) const {
  return e.request.oid == oid && e.request.address == address;
}

std::optional<Dispatch> RequestTracker::next_dispatch(TimePoint now) {
  if (in_flight_.size() >= options_.window) return std::nullopt;
  // Keys that may not be sent now: on the wire, or held by an earlier queued request.
  std::vector<std::pair<std::uint32_t, std::optional<std::uint32_t>>> blocked;
  for (const Entry& e : in_flight_) blocked.emplace_back(e.request.oid, e.request.address);
  for (auto it = queued_.begin(); it != queued_.end(); ++it) {
    const bool is_blocked = std::any_of(blocked.begin(), blocked.end(), [&](const auto& k) {
      return same_key(*it, k.first, k.second);
    });
    if (is_blocked) {
      blocked.emplace_back(it->request.oid, it->request.address);
      continue;
    }
    Entry e = std::move(*it);
    queued_.erase(it);
    ++e.attempts;
    ++stats_.sent;
    Dispatch d{e.id, e.request.kind, e.request.oid, e.attempts, e.wire};
    if (e.request.kind != RequestKind::kWrite) {
      const Duration wait = wait_for(e);
      e.sent = now;
      e.deadline = now + wait;
      e.full_wait = wait >= options_.timeout;
      in_flight_.push_back(std::move(e));
    }
    return d;
  }
  return std::nullopt;
}

Duration RequestTracker::wait_for(const Entry& e) const {
  // The last attempt waits the ceiling: a slow or stalling device gets the full time before the
  // request fails. Queries too: a history page is long, and scalar replies say little about it.
  const bool last = e.attempts > options_.retries;
  if (last || e.request.kind != RequestKind::kRead) return options_.timeout;
  return estimator_.timeout();
}

bool RequestTracker::shared_link(TimePoint now) const {
  return last_foreign_ && now - *last_foreign_ <= kSharedLinkMemory;
}

bool RequestTracker::alone_on_link(TimePoint now) const {
  // With a second request of ours in flight, that request most likely cut the reply
  // (docs/protocol.md §17.2); asking again at once would cut the second reply in turn.
  return in_flight_.size() == 1 && !shared_link(now);
}

bool RequestTracker::resend_at_once(std::vector<Entry>::iterator it) {
  ++stats_.bad_replies;
  const bool will_retry = it->attempts <= options_.retries;
  if (will_retry) {
    ++stats_.resent;
    queued_.push_front(std::move(*it));
  } else {
    ++stats_.gave_up;
  }
  in_flight_.erase(it);
  return will_retry;
}

bool RequestTracker::accepts(const Entry& e, const FrameView& frame) const {
  if (e.request.kind != RequestKind::kQuery) return true;
  // A query answer echoes T first; an answer to another client's query for another T is not ours.
  return frame.payload.size() >= 4 &&
         std::equal(e.request.payload.begin(), e.request.payload.end(), frame.payload.begin());
}

std::optional<Reading> RequestTracker::decode(const FrameView& frame, const OidInfo* info,
                                              DataType type, TimePoint now, bool solicited) const {
  // A registry type the payload's layout overrides (core/layout_override.h) decodes with the
  // layout; an answer to a query keeps the type it was asked with.
  if (info != nullptr && type == info->response_type)
    type = decode_type(*info, frame.payload.size());
  auto value = decode_value(type, frame.payload);
  if (!value) return std::nullopt;
  Reading r;
  r.oid = frame.oid;
  r.address = frame.address;
  r.command = frame.command;
  r.info = info;
  r.value = std::move(*value);
  r.received = now;
  r.solicited = solicited;
  return r;
}

FrameResult RequestTracker::on_frame(const FrameView& frame, TimePoint now) {
  consecutive_frame_errors_ = 0;
  FrameResult result = classify(frame, now);
  if (!result.request) last_foreign_ = now;
  return result;
}

FrameResult RequestTracker::classify(const FrameView& frame, TimePoint now) {
  if (!is_response(frame.command)) {
    ++stats_.not_response;
    return {FrameVerdict::kNotResponse, std::nullopt, std::nullopt, std::nullopt};
  }
  auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                         [&](const Entry& e) { return same_key(e, frame.oid, frame.address); });
  if (it != in_flight_.end()) {
    // A query's reply is ours only if it echoes our T, cut or not.
    if (accepts(*it, frame)) {
      // Valid CRC over a cut payload (docs/protocol.md §17.2): never a value. The device has
      // answered this send, so nothing better is coming for it: send again at once.
      const bool cut = !payload_size_fits(it->response_type, frame.payload.size());
      std::optional<Reading> reading;
      if (!cut) reading = decode(frame, it->info, it->response_type, now, true);
      const RequestId id = it->id;
      if (!reading) {
        ++stats_.truncated;
        if (!alone_on_link(now)) {
          return {FrameVerdict::kTruncated, id, std::nullopt, std::nullopt};
        }
        const std::uint32_t oid = it->request.oid;
        const bool will_retry = resend_at_once(it);
        return {FrameVerdict::kTruncated, id, std::nullopt, BadReply{id, oid, will_retry}};
      }
      // Karn's rule: a reply to a re-sent request may answer any of its sends.
      if (it->attempts == 1 && it->request.kind == RequestKind::kRead) {
        estimator_.on_sample(now - it->sent);
      }
      stats_.latency.record(now - it->sent);
      in_flight_.erase(it);
      ++stats_.completed;
      consecutive_timeouts_ = 0;
      return {FrameVerdict::kCompleted, id, std::move(reading), std::nullopt};
    }
  }
  const OidInfo* info = registry_.find(frame.oid);
  if (info == nullptr) {
    ++stats_.unknown_oid;
    return {FrameVerdict::kUnknownOid, std::nullopt, std::nullopt, std::nullopt};
  }
  auto reading = payload_size_fits(info->response_type, frame.payload.size())
                     ? decode(frame, info, info->response_type, now, false)
                     : std::nullopt;
  if (!reading) {
    ++stats_.truncated;
    return {FrameVerdict::kTruncated, std::nullopt, std::nullopt, std::nullopt};
  }
  ++stats_.unsolicited;
  return {FrameVerdict::kUnsolicited, std::nullopt, std::move(reading), std::nullopt};
}

std::optional<BadReply> RequestTracker::on_damaged_frame(const DamagedFrame& frame, TimePoint now) {
  auto it = in_flight_.end();
  if (is_response(frame.command)) {
    it = std::find_if(in_flight_.begin(), in_flight_.end(), [&](const Entry& e) {
      return same_key(e, frame.oid, frame.address) &&
             accepts(e, FrameView{frame.command, frame.address, frame.oid, frame.payload});
    });
  }
  if (it == in_flight_.end()) {
    last_foreign_ = now;
    return std::nullopt;
  }
  if (!alone_on_link(now)) return std::nullopt;
  const RequestId id = it->id;
  const std::uint32_t oid = it->request.oid;
  const bool will_retry = resend_at_once(it);
  return BadReply{id, oid, will_retry};
}

std::vector<Expiry> RequestTracker::expire(TimePoint now) {
  std::vector<Expiry> expired;
  std::vector<Entry> retry;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    ++stats_.timeouts;
    // A wait the estimate cut short judges the reply lost, not the device dead.
    if (it->full_wait) {
      ++consecutive_timeouts_;
    } else {
      ++stats_.short_timeouts;
    }
    estimator_.on_timeout();
    const bool will_retry = it->attempts <= options_.retries;
    expired.push_back({it->id, it->request.oid, will_retry});
    if (will_retry) {
      ++stats_.retries;
      retry.push_back(std::move(*it));
    } else {
      ++stats_.gave_up;
    }
    it = in_flight_.erase(it);
  }
  // Retries go first, in their original order.
  queued_.insert(queued_.begin(), std::make_move_iterator(retry.begin()),
                 std::make_move_iterator(retry.end()));
  return expired;
}

std::vector<Failure> RequestTracker::fail_all(ClientError error) {
  std::vector<Failure> failed;
  for (const Entry& e : in_flight_) failed.push_back({e.id, error});
  for (const Entry& e : queued_) failed.push_back({e.id, error});
  in_flight_.clear();
  queued_.clear();
  return failed;
}

void RequestTracker::note_frame_error() {
  ++stats_.frame_errors;
  ++consecutive_frame_errors_;
}

void RequestTracker::reset_link_counters() {
  consecutive_timeouts_ = 0;
  consecutive_frame_errors_ = 0;
  estimator_.reset();
}

std::optional<TimePoint> RequestTracker::next_deadline() const {
  std::optional<TimePoint> earliest;
  for (const Entry& e : in_flight_) {
    if (!earliest || e.deadline < *earliest) earliest = e.deadline;
  }
  return earliest;
}

}  // namespace rct::client
