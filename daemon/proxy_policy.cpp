#include "daemon/proxy_policy.h"

#include <algorithm>
#include <chrono>

#include "core/frame.h"
#include "core/frame_encoder.h"

namespace rct::daemon {

std::string_view proxy_verdict_name(ProxyVerdict v) {
  switch (v) {
    case ProxyVerdict::kFromCache:
      return "from_cache";
    case ProxyVerdict::kForwarded:
      return "forwarded";
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
    : settings_(settings), budget_(budget) {}

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
      if (settings_.verified_writes) {
        ++f.writes;
        out.writes.push_back(ProxyWrite{client, oid, {payload.begin(), payload.end()}});
        return ProxyVerdict::kToWrites;
      }
      ++f.refused;
      return ProxyVerdict::kRefused;
    case Command::kPlantWrite:
    case Command::kPlantLongWrite:
      ++f.refused;
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
  std::size_t& waiting = waiting_count_[client];
  if (waiting >= kMaxWaitingPerClient) {
    ++f.dropped;
    return ProxyVerdict::kFlood;
  }
  ++waiting;
  ++f.forwarded;
  waiters_[key].push_back(Waiter{client, now});
  if (!in_flight_.contains(key) && std::find(queue_.begin(), queue_.end(), key) == queue_.end()) {
    queue_.push_back(key);
  }
  pump(now, out);
  return ProxyVerdict::kForwarded;
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
    --waiting_count_[waiter.client];
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
      for (const Waiter& waiter : w->second) {
        if (const auto c = waiting_count_.find(waiter.client); c != waiting_count_.end()) {
          --c->second;
        }
      }
      waiters_.erase(w);
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
  const bool waiting = std::any_of(queue_.begin(), queue_.end(),
                                   [this](const Key& key) { return waiters_.contains(key); });
  if (!waiting || in_flight_.size() >= kMaxInFlight) return std::nullopt;
  const Instant cap = cap_ready();
  if (budget_ == nullptr) return cap;
  return std::max(cap, budget_->next(std::max(now, cap)));
}

std::size_t ProxyPolicy::next_in_turn() const {
  // The client after last_served_ in id order (wrapping round) that has a key queued; its
  // oldest key.
  std::size_t best = queue_.size();
  std::pair<bool, ProxyClientId> best_rank{true, 0};
  for (std::size_t i = 0; i < queue_.size(); ++i) {
    const auto w = waiters_.find(queue_[i]);
    if (w == waiters_.end() || w->second.empty()) continue;
    const ProxyClientId owner = w->second.front().client;
    const std::pair<bool, ProxyClientId> rank{last_served_ && owner <= *last_served_, owner};
    if (best == queue_.size() || rank < best_rank) {
      best = i;
      best_rank = rank;
    }
  }
  return best;
}

void ProxyPolicy::pump(Instant now, ProxyEffects& out) {
  const Duration p = period();
  while (in_flight_.size() < kMaxInFlight) {
    // Keys everybody who asked for has left are not sent.
    std::erase_if(queue_, [this](const Key& key) { return !waiters_.contains(key); });
    if (queue_.empty() || now < cap_ready()) return;
    if (budget_ != nullptr && !budget_->take(now)) return;
    const std::size_t index = next_in_turn();
    const Key key = queue_[index];
    last_served_ = waiters_.at(key).front().client;
    queue_.erase(queue_.begin() + static_cast<std::ptrdiff_t>(index));
    in_flight_.insert(key);
    budget_at_ = std::max(budget_at_, now) + p;
    ++forwards_sent_;
    out.forwards.push_back(ProxyForward{key.first, key.second});
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
