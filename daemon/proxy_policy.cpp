#include "daemon/proxy_policy.h"

#include <algorithm>
#include <chrono>
#include <tuple>
#include <utility>
#include <variant>

#include "core/frame.h"
#include "core/frame_encoder.h"
#include "core/value_codec.h"

namespace rct::daemon {

std::string_view proxy_verdict_name(ProxyVerdict v) {
  switch (v) {
    case ProxyVerdict::kFromCache:
      return "from_cache";
    case ProxyVerdict::kForwarded:
      return "forwarded";
    case ProxyVerdict::kQuery:
      return "query";
    case ProxyVerdict::kRefused:
      return "refused";
    case ProxyVerdict::kToWrites:
      return "to_writes";
    case ProxyVerdict::kDropped:
      return "dropped";
    case ProxyVerdict::kFlood:
      return "flood";
    case ProxyVerdict::kUnknownClient:
      return "unknown_client";
  }
  return "unknown";
}

ProxyPolicy::ProxyPolicy(ProxySettings settings, UpstreamBudget* budget)
    : settings_(std::move(settings)), budget_(budget) {}

void ProxyPolicy::on_connect(ProxyClientId client, Instant now) {
  ProxyClientFigures f;
  f.connected = now;
  clients_[client] = f;
  waiting_count_[client] = 0;
}

namespace {

void add_proxy_counts(ProxyClientFigures& sum, const ProxyClientFigures& f) {
  sum.frames_in += f.frames_in;
  sum.from_cache += f.from_cache;
  sum.forwarded += f.forwarded;
  sum.answered += f.answered;
  sum.queries += f.queries;
  sum.queries_answered += f.queries_answered;
  sum.refused += f.refused;
  sum.writes += f.writes;
  sum.dropped += f.dropped;
  sum.bad_frames += f.bad_frames;
  sum.bytes_in += f.bytes_in;
  sum.bytes_out += f.bytes_out;
}

}  // namespace

void ProxyPolicy::on_disconnect(ProxyClientId client) {
  if (const auto it = clients_.find(client); it != clients_.end()) {
    add_proxy_counts(departed_, it->second);
  }
  clients_.erase(client);
  waiting_count_.erase(client);
  for (auto& [key, list] : waiters_) {
    std::erase_if(list, [client](const Waiter& w) { return w.client == client; });
  }
  std::erase_if(waiters_, [](const auto& kv) { return kv.second.empty(); });
  // Queued queries of the client are not sent; one in flight ends unanswered (on_query_done).
  std::erase_if(queries_, [client](const PendingQuery& q) { return q.client == client; });
}

ProxyVerdict ProxyPolicy::on_frame(ProxyClientId client, Command command,
                                   std::optional<std::uint32_t> address, std::uint32_t oid,
                                   std::size_t wire_size, Instant now, ProxyEffects& out,
                                   std::span<const std::uint8_t> payload) {
  const auto it = clients_.find(client);
  if (it == clients_.end()) return ProxyVerdict::kUnknownClient;
  ProxyClientFigures& f = it->second;
  ++f.frames_in;
  f.bytes_in += wire_size;
  switch (command) {
    case Command::kRead:
    case Command::kPlantRead:
      break;
    case Command::kWrite:
    case Command::kLongWrite:
      if (settings_.history_oids.contains(oid)) {
        return queue_query(client, f, std::nullopt, oid, payload, now, out);
      }
      if (settings_.verified_writes) {
        ++f.writes;
        out.writes.push_back(ProxyWrite{client, oid, {payload.begin(), payload.end()}});
        return ProxyVerdict::kToWrites;
      }
      ++f.refused;
      out.refusal = "writes through the proxy are off";
      return ProxyVerdict::kRefused;
    case Command::kPlantWrite:
    case Command::kPlantLongWrite:
      if (settings_.history_oids.contains(oid) && settings_.plant_address &&
          address == settings_.plant_address) {
        return queue_query(client, f, address, oid, payload, now, out);
      }
      ++f.refused;
      out.refusal = "a PLANT_WRITE is taken only as a history query for this inverter's address";
      return ProxyVerdict::kRefused;
    case Command::kResponse:
    case Command::kLongResponse:
    case Command::kReadPeriodically:
    case Command::kExtension:
    case Command::kPlantResponse:
    case Command::kPlantLongResponse:
    case Command::kPlantReadPeriodically:
      ++f.dropped;
      return ProxyVerdict::kDropped;
  }
  if (command == Command::kPlantRead &&
      (!settings_.plant_address || address != settings_.plant_address)) {
    ++f.dropped;
    return ProxyVerdict::kDropped;
  }
  const Key key{command == Command::kPlantRead ? address : std::nullopt, oid};
  if (const auto c = cache_.find(key);
      c != cache_.end() && now - c->second.received <= settings_.max_age) {
    ++f.from_cache;
    answer(client, key, c->second.payload, out);
    return ProxyVerdict::kFromCache;
  }
  if (!take_waiting_place(client, f)) return ProxyVerdict::kFlood;
  ++f.forwarded;
  waiters_[key].push_back(Waiter{client, now});
  if (!in_flight_.contains(key) && std::find(queue_.begin(), queue_.end(), key) == queue_.end()) {
    queue_.push_back(key);
  }
  pump(now, out);
  return ProxyVerdict::kForwarded;
}

bool ProxyPolicy::take_waiting_place(ProxyClientId client, ProxyClientFigures& f) {
  std::size_t& waiting = waiting_count_[client];
  if (waiting >= kMaxWaitingPerClient) {
    ++f.dropped;
    return false;
  }
  ++waiting;
  return true;
}

void ProxyPolicy::release_waiting_place(ProxyClientId client) {
  if (const auto w = waiting_count_.find(client); w != waiting_count_.end() && w->second > 0) {
    --w->second;
  }
}

ProxyVerdict ProxyPolicy::queue_query(ProxyClientId client, ProxyClientFigures& f,
                                      std::optional<std::uint32_t> address, std::uint32_t oid,
                                      std::span<const std::uint8_t> payload, Instant now,
                                      ProxyEffects& out) {
  // The query's T is an INT32 (docs/protocol.md §9.1); a history WRITE of any other size is no
  // query a device would answer.
  const auto t = decode_value(DataType::kInt32, payload);
  if (!t) {
    ++f.refused;
    out.refusal = "a history query's time is 4 bytes";
    return ProxyVerdict::kRefused;
  }
  if (!take_waiting_place(client, f)) return ProxyVerdict::kFlood;
  ++f.queries;
  const auto timestamp = static_cast<std::uint32_t>(std::get<std::int32_t>(t.value()));
  queries_.push_back(
      PendingQuery{ProxyQuery{next_query_id_++, address, oid, timestamp}, client, now});
  pump(now, out);
  return ProxyVerdict::kQuery;
}

void ProxyPolicy::on_bad_input(ProxyClientId client, std::size_t bytes, bool frame) {
  const auto it = clients_.find(client);
  if (it == clients_.end()) return;
  it->second.bytes_in += bytes;
  if (frame) ++it->second.bad_frames;
}

void ProxyPolicy::on_reading(std::optional<std::uint32_t> address, std::uint32_t oid,
                             std::span<const std::uint8_t> payload, bool cacheable, Instant now,
                             ProxyEffects& out) {
  if (!cacheable) return;
  const Key key{address, oid};
  store(key, payload, now);
  const auto w = waiters_.find(key);
  if (w == waiters_.end()) return;
  for (const Waiter& waiter : w->second) {
    const auto c = clients_.find(waiter.client);
    if (c == clients_.end()) continue;
    ++c->second.answered;
    release_waiting_place(waiter.client);
    answer(waiter.client, key, payload, out);
  }
  waiters_.erase(w);
  // A queued key answered by someone else's request (the daemon's poll) is not sent at all.
  std::erase(queue_, key);
}

void ProxyPolicy::on_forward_done(std::optional<std::uint32_t> address, std::uint32_t oid, bool ok,
                                  Instant now, ProxyEffects& out) {
  const Key key{address, oid};
  in_flight_.erase(key);
  if (const auto w = waiters_.find(key); w != waiters_.end()) {
    if (ok) {
      // They asked after the answer came (a cache too young for them): ask again for them.
      queue_.push_front(key);
    } else {
      for (const Waiter& waiter : w->second) release_waiting_place(waiter.client);
      waiters_.erase(w);
    }
  }
  pump(now, out);
}

void ProxyPolicy::on_query_done(std::uint64_t id,
                                std::optional<std::span<const std::uint8_t>> payload, Instant now,
                                ProxyEffects& out) {
  const auto it = queries_in_flight_.find(id);
  if (it == queries_in_flight_.end()) return;
  const PendingQuery q = it->second;
  queries_in_flight_.erase(it);
  release_waiting_place(q.client);
  if (const auto c = clients_.find(q.client); c != clients_.end()) {
    if (payload) {
      ++c->second.queries_answered;
      answer(q.client, Key{q.query.address, q.query.oid}, *payload, out);
    }
  }
  pump(now, out);
}

void ProxyPolicy::on_tick(Instant now, ProxyEffects& out) {
  pump(now, out);
}

Duration ProxyPolicy::period() const {
  const double fps = settings_.frames_per_second > 0 ? settings_.frames_per_second : 1.0;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(1.0 / fps));
}

Instant ProxyPolicy::cap_ready() const {
  return budget_at_ - (kBurst - 1) * period();
}

std::optional<Instant> ProxyPolicy::next_wakeup(Instant now) const {
  const bool waiting =
      !queries_.empty() || std::any_of(queue_.begin(), queue_.end(),
                                       [this](const Key& key) { return waiters_.contains(key); });
  if (!waiting || slots_busy() >= kMaxInFlight) return std::nullopt;
  const Instant cap = cap_ready();
  if (budget_ == nullptr) return cap;
  return std::max(cap, budget_->next(std::max(now, cap)));
}

std::optional<ProxyPolicy::Pick> ProxyPolicy::next_in_turn() const {
  // The client after last_served_ in id order (wrapping round) that has something queued; its
  // oldest READ key or query.
  std::optional<Pick> best;
  std::tuple<bool, ProxyClientId, Instant> best_rank{true, 0, Instant{}};
  const auto consider = [&](Pick pick, ProxyClientId owner, Instant asked) {
    const std::tuple<bool, ProxyClientId, Instant> rank{last_served_ && owner <= *last_served_,
                                                        owner, asked};
    if (!best || rank < best_rank) {
      best = pick;
      best_rank = rank;
    }
  };
  for (std::size_t i = 0; i < queue_.size(); ++i) {
    const auto w = waiters_.find(queue_[i]);
    if (w == waiters_.end() || w->second.empty()) continue;
    consider(Pick{false, i}, w->second.front().client, w->second.front().asked);
  }
  for (std::size_t i = 0; i < queries_.size(); ++i) {
    consider(Pick{true, i}, queries_[i].client, queries_[i].asked);
  }
  return best;
}

void ProxyPolicy::pump(Instant now, ProxyEffects& out) {
  const Duration p = period();
  while (slots_busy() < kMaxInFlight) {
    // Keys everybody who asked for has left are not sent.
    std::erase_if(queue_, [this](const Key& key) { return !waiters_.contains(key); });
    const std::optional<Pick> pick = next_in_turn();
    if (!pick || now < cap_ready()) return;
    if (budget_ != nullptr && !budget_->take(now)) return;
    if (pick->query) {
      const auto at = queries_.begin() + static_cast<std::ptrdiff_t>(pick->index);
      PendingQuery q = *at;
      queries_.erase(at);
      last_served_ = q.client;
      out.queries.push_back(q.query);
      queries_in_flight_.emplace(q.query.id, q);
    } else {
      const Key key = queue_[pick->index];
      last_served_ = waiters_.at(key).front().client;
      queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(pick->index));
      in_flight_.insert(key);
      out.forwards.push_back(ProxyForward{key.first, key.second});
    }
    budget_at_ = std::max(budget_at_, now) + p;
    ++forwards_sent_;
  }
}

void ProxyPolicy::store(const Key& key, std::span<const std::uint8_t> payload, Instant now) {
  auto it = cache_.find(key);
  if (it == cache_.end()) {
    if (cache_.size() >= kMaxCached) {
      cache_.erase(std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
        return a.second.received < b.second.received;
      }));
    }
    it = cache_.emplace(key, Entry{}).first;
  }
  it->second.payload.assign(payload.begin(), payload.end());
  it->second.received = now;
}

void ProxyPolicy::answer(ProxyClientId client, const Key& key,
                         std::span<const std::uint8_t> payload, ProxyEffects& out) {
  Frame frame;
  frame.address = key.first;
  frame.command =
      command_for_payload(key.first ? Command::kPlantResponse : Command::kResponse, payload.size());
  frame.oid = key.second;
  frame.payload.assign(payload.begin(), payload.end());
  auto wire = encode_frame(frame);
  if (!wire) return;  // a validated payload always fits a long response
  if (const auto c = clients_.find(client); c != clients_.end()) {
    c->second.bytes_out += wire.value().size();
  }
  out.sends.push_back(ProxySend{client, std::move(wire.value())});
}

ProxyClientFigures ProxyPolicy::totals() const {
  ProxyClientFigures sum = departed_;
  for (const auto& [id, f] : clients_) add_proxy_counts(sum, f);
  return sum;
}

const ProxyClientFigures* ProxyPolicy::figures(ProxyClientId client) const {
  const auto it = clients_.find(client);
  return it == clients_.end() ? nullptr : &it->second;
}

}  // namespace rct::daemon
