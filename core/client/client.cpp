#include "core/client/client.h"

#include <utility>

#include "core/client/history_pager.h"
#include "core/value_codec.h"

namespace rct::client {
namespace {

constexpr std::uint32_t kEventTableOid = 0x6F3876BC;  // logger.error_log_time_stamp

}  // namespace

std::string_view client_state_name(ClientState s) {
  switch (s) {
    case ClientState::kDisconnected:
      return "disconnected";
    case ClientState::kConnecting:
      return "connecting";
    case ClientState::kConnected:
      return "connected";
    case ClientState::kBackoff:
      return "backoff";
  }
  return "?";
}

std::string_view link_down_reason_name(LinkDownReason r) {
  switch (r) {
    case LinkDownReason::kResolveFailed:
      return "cannot resolve host";
    case LinkDownReason::kConnectFailed:
      return "cannot connect";
    case LinkDownReason::kConnectTimeout:
      return "connect timed out";
    case LinkDownReason::kClosedByPeer:
      return "closed by peer";
    case LinkDownReason::kReadFailed:
      return "read failed";
    case LinkDownReason::kWriteFailed:
      return "write failed";
    case LinkDownReason::kTooManyTimeouts:
      return "too many timeouts";
    case LinkDownReason::kTooManyFrameErrors:
      return "too many frame errors";
    case LinkDownReason::kSilence:
      return "peer silent";
  }
  return "?";
}

template <typename Handler>
auto Client::guarded(Handler handler) {
  return guard_.bind([this, epoch = epoch_, handler = std::move(handler)](auto&&... args) mutable {
    if (epoch != epoch_) return;
    handler(std::forward<decltype(args)>(args)...);
  });
}

Client::Client(asio::io_context& io, const Registry& registry, ClientOptions options,
               ClientObserver& observer)
    : io_(io),
      registry_(registry),
      options_(std::move(options)),
      observer_(observer),
      resolver_(io),
      socket_(io),
      timer_(io),
      decoder_(options_.max_frame_length),
      tracker_(registry, TrackerOptions{options_.window, options_.request_timeout, options_.retries,
                                        options_.max_queued, options_.request_timeout_floor}),
      silence_(options_.silence_timeout),
      backoff_(options_.backoff),
      // minstd_rand keeps seed mod 2^31−1: equal seeds still give equal jitter.
      rng_(static_cast<std::minstd_rand::result_type>(options_.seed ? *options_.seed
                                                                    : std::random_device{}())) {}

Client::~Client() {
  // stop() runs the pending requests' callbacks (which must not throw) and cancels a timer (which
  // throws only on a system error); neither may escape a destructor.
  try {
    stop();
  } catch (...) {
  }
}

void Client::start() {
  if (state_ != ClientState::kDisconnected) return;
  down_since_.reset();
  backoff_.reset();
  reported_up_ = false;
  reported_down_ = false;
  connect();
}

void Client::stop() {
  if (state_ == ClientState::kDisconnected) return;
  close_link(ClientError::kCancelled);
  timer_.cancel();
  fail(tracker_.fail_all(ClientError::kCancelled));
  set_state(ClientState::kDisconnected);
}

void Client::connect() {
  ++epoch_;
  proven_ = false;
  decoder_.reset();
  tracker_.reset_link_counters();
  set_state(ClientState::kConnecting);
  deadline_ = steady_now() + options_.connect_timeout;
  arm_timer();
  // An IP address needs no resolver (whose asynchronous form runs getaddrinfo on a thread).
  std::error_code not_an_address;
  const asio::ip::address address = asio::ip::make_address(options_.host, not_an_address);
  if (!not_an_address) {
    const Tcp::endpoint endpoint(address, options_.port);
    socket_.async_connect(endpoint, guarded([this, endpoint](const std::error_code& ec) {
                            on_connected(ec, endpoint);
                          }));
    return;
  }
  resolver_.async_resolve(
      options_.host, std::to_string(options_.port),
      guarded([this](const std::error_code& ec, const Tcp::resolver::results_type& endpoints) {
        on_resolved(ec, endpoints);
      }));
}

void Client::on_resolved(const std::error_code& ec, const Tcp::resolver::results_type& endpoints) {
  if (ec) {
    link_lost(LinkDownReason::kResolveFailed, ec);
    return;
  }
  asio::async_connect(socket_, endpoints,
                      guarded([this](const std::error_code& error, const Tcp::endpoint& ep) {
                        on_connected(error, ep);
                      }));
}

void Client::on_connected(const std::error_code& ec, const Tcp::endpoint& endpoint) {
  if (ec) {
    link_lost(LinkDownReason::kConnectFailed, ec);
    return;
  }
  std::error_code ignored;
  socket_.set_option(Tcp::no_delay(true), ignored);  // requests are tiny frames
  peer_ = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  set_state(ClientState::kConnected);
  silence_.start(steady_now());
  start_read();
  pump();
  arm_timer();
}

void Client::start_read() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      guarded([this](const std::error_code& ec, std::size_t size) { on_read(ec, size); }));
}

void Client::on_read(const std::error_code& ec, std::size_t size) {
  if (ec) {
    link_lost(ec == asio::error::eof ? LinkDownReason::kClosedByPeer : LinkDownReason::kReadFailed,
              ec);
    return;
  }
  const std::span<const std::uint8_t> bytes(read_buffer_.data(), size);
  observer_.on_bytes(Direction::kReceived, bytes);
  decoder_.feed(bytes);
  const TimePoint t = steady_now();
  const std::uint64_t epoch = epoch_;
  while (auto event = decoder_.next()) {
    silence_.heard(t);
    handle(*event, t);
    if (epoch != epoch_) return;  // the link was closed while handling this frame
  }
  pump();
  arm_timer();
  start_read();
}

void Client::handle(const DecodeEvent& event, TimePoint t) {
  if (event.outcome == DecodeOutcome::kOk && event.command && event.oid) {
    const FrameView view{*event.command, event.address, *event.oid, event.payload};
    FrameResult result = tracker_.on_frame(view, t);
    if (!proven_) {
      // The peer speaks the protocol: the link counts as up and backoff starts over.
      proven_ = true;
      backoff_.reset();
      down_since_.reset();
      if (!reported_up_) {
        reported_up_ = true;
        reported_down_ = false;
        observer_.on_link_up(peer_);
      }
    }
    if (result.reading) observer_.on_valid_payload(*result.reading, view.payload);
    switch (result.verdict) {
      case FrameVerdict::kCompleted:
        if (const auto slot = payload_slots_.find(*result.request); slot != payload_slots_.end()) {
          slot->second->assign(view.payload.begin(), view.payload.end());
        }
        finish_read(*result.request, std::move(*result.reading));
        break;
      case FrameVerdict::kUnsolicited:
        observer_.on_unsolicited(*result.reading);
        break;
      case FrameVerdict::kTruncated:
        observer_.on_dropped(result.verdict, view.command, view.oid, view.payload.size());
        if (result.bad_reply) bad_reply(*result.bad_reply);
        break;
      case FrameVerdict::kUnknownOid:
      case FrameVerdict::kNotResponse:
        observer_.on_dropped(result.verdict, view.command, view.oid, view.payload.size());
        break;
    }
    return;
  }
  tracker_.note_frame_error();
  observer_.on_frame_error(event.outcome, event.consumed);
  // The decoder parses the header of a frame whose CRC fails; if it names our reply, the request
  // goes out again with the next pump() rather than after its deadline.
  if (event.outcome == DecodeOutcome::kCrcMismatch && event.command && event.oid) {
    if (auto bad = tracker_.on_damaged_frame(
            DamagedFrame{*event.command, event.address, *event.oid, event.payload}, t)) {
      bad_reply(*bad);
    }
  }
  if (options_.max_frame_errors > 0 &&
      tracker_.consecutive_frame_errors() >= options_.max_frame_errors) {
    link_lost(LinkDownReason::kTooManyFrameErrors, std::make_error_code(std::errc::protocol_error));
  }
}

void Client::bad_reply(const BadReply& bad) {
  observer_.on_bad_reply(bad.oid, bad.will_retry);
  if (!bad.will_retry) finish_read(bad.id, ClientError::kTimeout);
}

void Client::pump() {
  if (state_ != ClientState::kConnected) return;
  const TimePoint t = steady_now();
  bool queued = false;
  while (auto d = tracker_.next_dispatch(t)) {
    std::optional<RequestId> write_id;
    if (d->kind == RequestKind::kWrite) write_id = d->id;
    send_queue_.push_back({std::move(d->wire), write_id});
    queued = true;
  }
  if (queued) {
    start_write();
    arm_timer();
  }
}

void Client::start_write() {
  if (writing_ || send_queue_.empty() || state_ != ClientState::kConnected) return;
  writing_ = true;
  // The handler owns the bytes, so closing the link may clear the queue at any time.
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(std::move(send_queue_.front().bytes));
  writing_id_ = send_queue_.front().write_id;
  send_queue_.pop_front();
  observer_.on_bytes(Direction::kSent, *bytes);
  asio::async_write(
      socket_, asio::buffer(*bytes),
      guarded([this, bytes](const std::error_code& ec, std::size_t) { on_written(ec); }));
}

void Client::on_written(const std::error_code& ec) {
  if (ec) {
    link_lost(LinkDownReason::kWriteFailed, ec);
    return;
  }
  writing_ = false;
  if (writing_id_) finish_write(*writing_id_, Result<void, ClientError>{});
  writing_id_.reset();
  start_write();
}

void Client::on_timer() {
  const TimePoint t = steady_now();
  switch (state_) {
    case ClientState::kDisconnected:
      return;
    case ClientState::kConnecting:
      if (t >= deadline_) {
        link_lost(LinkDownReason::kConnectTimeout, std::make_error_code(std::errc::timed_out));
        return;
      }
      break;
    case ClientState::kConnected: {
      for (const Expiry& x : tracker_.expire(t)) {
        observer_.on_timeout(x.oid, x.will_retry);
        if (!x.will_retry) finish_read(x.id, ClientError::kTimeout);
      }
      if (options_.max_consecutive_timeouts > 0 &&
          tracker_.consecutive_timeouts() >= options_.max_consecutive_timeouts) {
        link_lost(LinkDownReason::kTooManyTimeouts, std::make_error_code(std::errc::timed_out));
        return;
      }
      if (silence_.expired(t)) {
        link_lost(LinkDownReason::kSilence, std::make_error_code(std::errc::timed_out));
        return;
      }
      pump();
      break;
    }
    case ClientState::kBackoff:
      if (t >= deadline_) {
        connect();
        return;
      }
      break;
  }
  arm_timer();
}

void Client::arm_timer() {
  std::optional<TimePoint> at;
  switch (state_) {
    case ClientState::kDisconnected:
      break;
    case ClientState::kConnecting:
    case ClientState::kBackoff:
      at = deadline_;
      break;
    case ClientState::kConnected: {
      at = tracker_.next_deadline();
      const std::optional<TimePoint> silent_at = silence_.deadline();
      if (silent_at && (!at || *silent_at < *at)) at = silent_at;
      break;
    }
  }
  if (!at) {
    timer_.cancel();  // cannot fail for a timer (the service never sets an error)
    return;
  }
  timer_.expires_at(*at);
  // A wait that was already due when re-armed still runs; on_timer() checks the clock, so a
  // stale wake-up only re-arms.
  timer_.async_wait(guard_.bind([this](const std::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    on_timer();
  }));
}

void Client::link_lost(LinkDownReason reason, const std::error_code& ec) {
  if (state_ != ClientState::kConnecting && state_ != ClientState::kConnected) return;
  close_link(ClientError::kDisconnected);
  fail(tracker_.fail_all(ClientError::kDisconnected));
  const TimePoint t = steady_now();
  if (!down_since_) down_since_ = t;
  if (!reported_down_) {
    reported_down_ = true;
    reported_up_ = false;
    observer_.on_link_down(reason, ec);
  }
  const Duration delay = backoff_.next(t - *down_since_, rng_);
  observer_.on_retry(reason, ec, delay);
  deadline_ = t + delay;
  set_state(ClientState::kBackoff);
  arm_timer();
}

void Client::close_link(ClientError error) {
  ++epoch_;
  std::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  decoder_.reset();
  if (writing_id_) finish_write(*writing_id_, error);
  writing_id_.reset();
  for (const Outgoing& o : send_queue_) {
    if (o.write_id) finish_write(*o.write_id, error);
  }
  send_queue_.clear();
  writing_ = false;
  proven_ = false;
}

void Client::fail(const std::vector<Failure>& failures) {
  for (const Failure& f : failures) {
    if (read_callbacks_.count(f.id) != 0) {
      finish_read(f.id, f.error);
    } else {
      finish_write(f.id, f.error);
    }
  }
}

void Client::finish_read(RequestId id, Result<Reading, ClientError> result) {
  payload_slots_.erase(id);
  auto it = read_callbacks_.find(id);
  if (it == read_callbacks_.end()) return;
  ReadCallback cb = std::move(it->second);
  read_callbacks_.erase(it);
  if (!cb) return;
  asio::post(io_,
             [cb = std::move(cb), result = std::move(result)]() mutable { cb(std::move(result)); });
}

void Client::finish_write(RequestId id, Result<void, ClientError> result) {
  auto it = write_callbacks_.find(id);
  if (it == write_callbacks_.end()) return;
  WriteCallback cb = std::move(it->second);
  write_callbacks_.erase(it);
  if (!cb) return;
  asio::post(io_, [cb = std::move(cb), result]() { cb(result); });
}

void Client::set_state(ClientState state) {
  if (state_ == state) return;
  state_ = state;
  observer_.on_state(state);
}

std::optional<RequestId> Client::submit(Request request, ReadCallback read_cb,
                                        WriteCallback write_cb) {
  const bool is_write = request.kind == RequestKind::kWrite;
  auto refuse = [&](ClientError error) {
    if (is_write && write_cb) {
      asio::post(io_, [cb = std::move(write_cb), error] { cb(error); });
    } else if (!is_write && read_cb) {
      asio::post(io_, [cb = std::move(read_cb), error] { cb(error); });
    }
  };
  if (state_ != ClientState::kConnecting && state_ != ClientState::kConnected) {
    refuse(ClientError::kNotConnected);
    return std::nullopt;
  }
  auto id = tracker_.submit(std::move(request));
  if (!id) {
    refuse(id.error());
    return std::nullopt;
  }
  if (is_write) {
    write_callbacks_.emplace(*id, std::move(write_cb));
  } else {
    read_callbacks_.emplace(*id, std::move(read_cb));
  }
  pump();
  return *id;
}

void Client::read(std::uint32_t oid, ReadCallback callback) {
  submit(Request{RequestKind::kRead, oid, std::nullopt, {}}, std::move(callback), {});
}

void Client::read(std::string_view name, ReadCallback callback) {
  const OidInfo* info = registry_.find(name);
  if (info == nullptr) {
    if (callback) {
      asio::post(io_, [cb = std::move(callback)] { cb(ClientError::kUnknownOid); });
    }
    return;
  }
  read(info->id, std::move(callback));
}

void Client::read_plant(std::uint32_t address, std::uint32_t oid, ReadCallback callback) {
  submit(Request{RequestKind::kRead, oid, address, {}}, std::move(callback), {});
}

void Client::query(std::uint32_t oid, std::uint32_t timestamp, ReadCallback callback) {
  // T goes out as INT32, the request type of every history OID (docs/protocol.md §8.10).
  auto payload = encode_value(DataType::kInt32, static_cast<std::int32_t>(timestamp));
  if (!payload) {
    if (callback) {
      asio::post(io_, [cb = std::move(callback)] { cb(ClientError::kInvalidRequest); });
    }
    return;
  }
  submit(Request{RequestKind::kQuery, oid, std::nullopt, std::move(*payload)}, std::move(callback),
         {});
}

void Client::query_payload(std::uint32_t oid, std::uint32_t timestamp,
                           std::optional<std::uint32_t> address, PayloadCallback callback) {
  auto t = encode_value(DataType::kInt32, static_cast<std::int32_t>(timestamp));
  if (!t) {
    if (callback) {
      asio::post(io_, [cb = std::move(callback)] { cb(ClientError::kInvalidRequest); });
    }
    return;
  }
  auto slot = std::make_shared<std::vector<std::uint8_t>>();
  auto done = [slot, cb = std::move(callback)](const Result<Reading, ClientError>& r) {
    if (!cb) return;
    if (!r) {
      cb(r.error());
    } else {
      cb(std::move(*slot));
    }
  };
  const auto id =
      submit(Request{RequestKind::kQuery, oid, address, std::move(*t)}, std::move(done), {});
  if (id) payload_slots_.emplace(*id, std::move(slot));
}

void Client::write(std::uint32_t oid, std::vector<std::uint8_t> payload, WriteCallback callback,
                   std::optional<std::uint32_t> address) {
  submit(Request{RequestKind::kWrite, oid, address, std::move(payload)}, {}, std::move(callback));
}

namespace {

// Drives one pager through successive query() calls. The pager lives in a shared_ptr owned by
// the pending callback; `alive` (the client's LifetimeGuard token) stops the chain when the
// client is gone, and the callback still gets kCancelled.
template <typename Pager, typename Table, typename Callback>
void page(Client& client, std::weak_ptr<const int> alive, std::uint32_t oid,
          std::shared_ptr<Pager> pager, Callback callback) {
  client.query(oid, pager->next_query(),
               [&client, alive, oid, pager,
                callback = std::move(callback)](Result<Reading, ClientError> r) mutable {
                 if (!r) {
                   callback(r.error());
                   return;
                 }
                 const Table* table = std::get_if<Table>(&r->value);
                 if (table == nullptr) {
                   callback(ClientError::kInvalidRequest);
                   return;
                 }
                 if (!pager->add_page(*table)) {
                   callback(pager->result());
                   return;
                 }
                 if (alive.expired()) {
                   callback(ClientError::kCancelled);
                   return;
                 }
                 page<Pager, Table>(client, alive, oid, pager, std::move(callback));
               });
}

}  // namespace

void Client::query_timeseries(std::uint32_t oid, std::uint32_t from, std::uint32_t to,
                              TimeSeriesCallback callback) {
  const OidInfo* info = registry_.find(oid);
  auto pager = std::make_shared<TimeSeriesPager>(from, to, options_.max_history_pages);
  if (info == nullptr || info->response_type != DataType::kTimeSeries || pager->done()) {
    const bool valid = info != nullptr && info->response_type == DataType::kTimeSeries;
    asio::post(io_, [cb = std::move(callback), pager, valid] {
      if (valid) {
        cb(pager->result());
      } else {
        cb(ClientError::kInvalidRequest);
      }
    });
    return;
  }
  page<TimeSeriesPager, TimeSeries>(*this, guard_.token(), oid, std::move(pager),
                                    std::move(callback));
}

void Client::query_events(std::uint32_t from, std::uint32_t to, EventTableCallback callback) {
  auto pager = std::make_shared<EventTablePager>(from, to, options_.max_history_pages);
  if (pager->done()) {
    asio::post(io_, [cb = std::move(callback), pager] { cb(pager->result()); });
    return;
  }
  page<EventTablePager, EventTable>(*this, guard_.token(), kEventTableOid, std::move(pager),
                                    std::move(callback));
}

}  // namespace rct::client
