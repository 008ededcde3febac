#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/command.h"
#include "daemon/instant.h"

namespace rct::daemon {

// Which connection of the proxy a frame came from; never reused while the proxy runs.
using ProxyClientId = std::uint64_t;

struct ProxySettings {
  Duration max_age = std::chrono::seconds(15);  // oldest cached value answered at once
  // At most this many forwarded READs per second, all clients together; each one also takes a
  // request of the inverter's budget (UpstreamBudget).
  double frames_per_second = 2.0;
  // The inverter's plant address when the session talks to a slave through its master: PLANT_READs
  // for this address are forwarded, those for any other address dropped. nullopt: every plant
  // frame is dropped.
  std::optional<std::uint32_t> plant_address;
  // WRITE and LONG_WRITE go to the write path (ProxyWrite) instead of being refused.
  bool verified_writes = false;
  // The time-series and event-table OIDs: a WRITE of a 4-byte timestamp to one of them is a
  // history query (docs/protocol.md §9–10), forwarded as such (ProxyQuery).
  std::set<std::uint32_t> history_oids;
};

// The inverter's one request budget (frames_per_second of its [[inverter]]), which forwarded
// READs share with the daemon's own polling: the session's scheduler (Scheduler::take_guest).
class UpstreamBudget {
 public:
  virtual ~UpstreamBudget() = default;
  // One forward may go out at `now`; the budget is charged for it.
  virtual bool take(Instant now) = 0;
  // When take may say yes next (≤ now: at once).
  virtual Instant next(Instant now) const = 0;
};

// What became of one frame from a proxy client (docs/proxy.md "What each frame gets").
enum class ProxyVerdict {
  kFromCache,      // READ answered at once from a validated value younger than max_age
  kForwarded,      // READ waiting for the device's answer (queued, sent, or joined one in flight)
  kQuery,          // WRITE of a timestamp to a history OID: queued as a query for this client
  kRefused,        // WRITE: nothing sent, nothing answered
  kToWrites,       // WRITE handed to the write path (verified_writes): checked, sent, read back
  kDropped,        // READ_PERIODICALLY, responses, a plant address not ours
  kFlood,          // READ beyond what one client may have waiting: dropped
  kUnknownClient,  // not connected (a late frame after on_disconnect)
};
std::string_view proxy_verdict_name(ProxyVerdict v);

// What one client did, since it connected.
struct ProxyClientFigures {
  Instant connected{};
  std::uint64_t frames_in = 0;   // good-CRC frames received
  std::uint64_t from_cache = 0;  // READs answered from the cache
  std::uint64_t forwarded = 0;   // READs that waited for the device
  std::uint64_t answered = 0;    // of them, answered (the rest failed, timed out or were cut)
  std::uint64_t queries = 0;     // history queries forwarded for this client
  std::uint64_t queries_answered = 0;
  std::uint64_t refused = 0;     // WRITEs refused
  std::uint64_t writes = 0;      // WRITEs handed to the write path (its verdict is its own)
  std::uint64_t dropped = 0;     // frames dropped by kind or address, flood included
  std::uint64_t bad_frames = 0;  // CRC mismatches, bad commands (EXTENSION), cut frames
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
};

// A RESPONSE for one client: the complete escaped frame.
struct ProxySend {
  ProxyClientId client = 0;
  std::vector<std::uint8_t> wire;
};

// A READ the shell sends over the session's one client connection; its outcome comes back as
// on_reading (the value, from whichever request or reply brought it) and on_forward_done.
struct ProxyForward {
  std::optional<std::uint32_t> address;  // PLANT_READ
  std::uint32_t oid = 0;
};

// A client's WRITE for the write path, which decides (docs/proxy.md §2): the allowlist,
// interlocks, rate limit, read-back and audit of an MQTT command. The client gets no answer, as
// from the device.
struct ProxyWrite {
  ProxyClientId client = 0;
  std::uint32_t oid = 0;
  std::vector<std::uint8_t> payload;
};

// A client's history query the shell sends over the session's client connection
// (Client::query_payload); the answer's payload, or the failure, comes back as on_query_done.
struct ProxyQuery {
  std::uint64_t id = 0;
  std::optional<std::uint32_t> address;  // PLANT_WRITE
  std::uint32_t oid = 0;
  std::uint32_t timestamp = 0;
};

struct ProxyEffects {
  // Why, when on_frame's verdict is kRefused (for the log).
  std::string_view refusal;
  std::vector<ProxySend> sends;
  std::vector<ProxyForward> forwards;
  std::vector<ProxyQuery> queries;
  std::vector<ProxyWrite> writes;
};

// The decisions of one inverter's local proxy (docs/proxy.md). Pure: frames come in parsed, time
// as `now`; the shell (daemon/app/proxy_server.h) owns the sockets and the upstream client.
//
// States of one key (plant address, OID):
//   idle      — no client waits for it. A READ with a fresh cache entry is answered at once;
//               otherwise the client waits and the key is queued.
//   queued    — clients wait; the forward waits for the proxy's cap (frames_per_second, a
//               burst of kBurst), a request of the inverter's budget (UpstreamBudget: the
//               daemon's own due reads keep at least every other request) and a free slot
//               (kMaxInFlight). Clients take turns: the next forward is the oldest queued key of
//               the next client in turn, so a client with a hundred READs waiting delays
//               another's one READ by at most one forward. A reading of the key arriving
//               meanwhile (the daemon's own poll) answers them and the forward is never sent.
//   in flight — the READ went upstream; later askers of the key wait for the same answer.
//               on_reading answers every waiter; on_forward_done ends the flight, and a failure
//               leaves the waiters unanswered, as a silent device would.
// A history query (a WRITE of a timestamp to a history OID) belongs to the client that sent it:
// queued in its turn under the same cap, budget and slots as the READs, sent as a query of the
// session's client, and its answer (on_query_done, matched to that request by the client's
// tracker, never a reading someone else asked for) goes to that client only, never to the cache.
// The cache holds the payload bytes of validated frames only (CRC, OID, size checked by the
// client's tracker), at most kMaxCached keys; an answer is the same payload re-framed.
class ProxyPolicy {
 public:
  static constexpr std::size_t kMaxCached = 1024;
  static constexpr std::size_t kMaxWaitingPerClient = 128;
  static constexpr std::size_t kMaxInFlight = 4;
  static constexpr int kBurst = 2;

  // `budget` (not owned; nullptr: none but the proxy's cap) must outlive the policy.
  explicit ProxyPolicy(ProxySettings settings, UpstreamBudget* budget = nullptr);

  void on_connect(ProxyClientId client, Instant now);
  // Forgets the client; keys only it waited for stay queued or in flight (the answer fills the
  // cache for the next asker).
  void on_disconnect(ProxyClientId client);
  std::size_t clients() const { return clients_.size(); }

  // One good-CRC frame from `client`, `wire_size` bytes on the wire; `payload` is needed for
  // WRITEs only.
  ProxyVerdict on_frame(ProxyClientId client, Command command, std::optional<std::uint32_t> address,
                        std::uint32_t oid, std::size_t wire_size, Instant now, ProxyEffects& out,
                        std::span<const std::uint8_t> payload = {});
  // Bytes from `client` that held no good frame (a bad CRC, EXTENSION, a cut frame, text).
  void on_bad_input(ProxyClientId client, std::size_t bytes, bool frame);

  // A validated reading from the device, whoever asked for it. `cacheable` false for history
  // answers (a READ of the OID never gets a query's answer).
  void on_reading(std::optional<std::uint32_t> address, std::uint32_t oid,
                  std::span<const std::uint8_t> payload, bool cacheable, Instant now,
                  ProxyEffects& out);
  // The forwarded READ of the key ended (`ok` false: failed or timed out).
  void on_forward_done(std::optional<std::uint32_t> address, std::uint32_t oid, bool ok,
                       Instant now, ProxyEffects& out);
  // The query `id` ended: the answer's payload as the device sent it, or nullopt (failed or timed
  // out: the client gets nothing, as from a silent device).
  void on_query_done(std::uint64_t id, std::optional<std::span<const std::uint8_t>> payload,
                     Instant now, ProxyEffects& out);
  // Releases forwards the budget allows by `now`.
  void on_tick(Instant now, ProxyEffects& out);
  // When on_tick has something to release; nullopt when nothing is queued or all slots are busy.
  std::optional<Instant> next_wakeup(Instant now) const;

  const ProxyClientFigures* figures(ProxyClientId client) const;
  // Every client's counts added up, those that have left included (`connected` unset).
  ProxyClientFigures totals() const;
  std::size_t cached() const { return cache_.size(); }
  std::uint64_t forwards_sent() const { return forwards_sent_; }

 private:
  using Key = std::pair<std::optional<std::uint32_t>, std::uint32_t>;
  struct Entry {
    std::vector<std::uint8_t> payload;
    Instant received{};
  };
  struct Waiter {
    ProxyClientId client = 0;
    Instant asked{};
  };
  struct PendingQuery {
    ProxyQuery query;
    ProxyClientId client = 0;
    Instant asked{};
  };
  // The next request to send: a READ key (index into queue_) or a query (index into queries_).
  struct Pick {
    bool query = false;
    std::size_t index = 0;
  };

  void answer(ProxyClientId client, const Key& key, std::span<const std::uint8_t> payload,
              ProxyEffects& out);
  void pump(Instant now, ProxyEffects& out);
  void store(const Key& key, std::span<const std::uint8_t> payload, Instant now);
  Duration period() const;
  Instant cap_ready() const;  // when the proxy's own cap allows the next forward
  // The next forward: the oldest READ key or query of the next client in turn; nullopt when
  // nothing is queued.
  std::optional<Pick> next_in_turn() const;
  std::size_t slots_busy() const { return in_flight_.size() + queries_in_flight_.size(); }
  // Counts a request of `client` as waiting; false (and counted as dropped) when it has
  // kMaxWaitingPerClient waiting already.
  bool take_waiting_place(ProxyClientId client, ProxyClientFigures& f);
  // An answered or failed request of `client` no longer waits (a client that left: nothing).
  void release_waiting_place(ProxyClientId client);
  ProxyVerdict queue_query(ProxyClientId client, ProxyClientFigures& f,
                           std::optional<std::uint32_t> address, std::uint32_t oid,
                           std::span<const std::uint8_t> payload, Instant now, ProxyEffects& out);

  ProxySettings settings_;
  std::map<ProxyClientId, ProxyClientFigures> clients_;
  ProxyClientFigures departed_;  // the counts of clients that left, added up
  std::map<ProxyClientId, std::size_t> waiting_count_;
  std::map<Key, Entry> cache_;
  std::map<Key, std::vector<Waiter>> waiters_;
  std::deque<Key> queue_;  // keys waiting for the budget, oldest first
  std::set<Key> in_flight_;
  std::deque<PendingQuery> queries_;  // waiting for the budget, oldest first
  std::map<std::uint64_t, PendingQuery> queries_in_flight_;
  std::uint64_t next_query_id_ = 1;
  Instant budget_at_{};  // theoretical arrival time of the next forward (GCRA)
  UpstreamBudget* budget_ = nullptr;
  std::optional<ProxyClientId> last_served_;  // whose key went last (the turns)
  std::uint64_t forwards_sent_ = 0;
};

}  // namespace rct::daemon
