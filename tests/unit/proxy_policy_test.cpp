#include "daemon/proxy_policy.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/frame_decoder.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::Command;
using rct::daemon::Instant;
using rct::daemon::ProxyEffects;
using rct::daemon::ProxyPolicy;
using rct::daemon::ProxySettings;
using rct::daemon::ProxyVerdict;
using rct::daemon::UpstreamBudget;

namespace {

const Instant kProxyT0{std::chrono::hours(1)};
constexpr std::uint32_t kProxySoc = 0x959930BF;
constexpr std::uint32_t kProxyGrid = 0x91617C58;
const std::vector<std::uint8_t> kProxySocBytes{0x3F, 0x1E, 0xB8, 0x52};  // 0.62f

ProxySettings proxy_test_settings() {
  ProxySettings s;
  s.max_age = 10s;
  s.frames_per_second = 2.0;
  return s;
}

// A history OID (any id will do: the settings say which are) and a query's time, T, as a client
// sends it.
constexpr std::uint32_t kProxyLog = 0x2F0A6B15;
constexpr std::uint32_t kProxyT = 0x67890ABC;
const std::vector<std::uint8_t> kProxyTBytes{0x67, 0x89, 0x0A, 0xBC};

ProxySettings proxy_history_settings() {
  ProxySettings s = proxy_test_settings();
  s.history_oids = {kProxyLog};
  return s;
}

ProxyVerdict proxy_query(ProxyPolicy& p, std::uint64_t client, Instant now, ProxyEffects& out,
                         const std::vector<std::uint8_t>& t = kProxyTBytes) {
  return p.on_frame(client, Command::kWrite, std::nullopt, kProxyLog, 13, now, out, t);
}

// A history answer longer than a RESPONSE holds: T echoed, then 37 samples.
std::vector<std::uint8_t> proxy_history_answer() {
  std::vector<std::uint8_t> a = kProxyTBytes;
  for (std::uint8_t i = 0; i < 37; ++i) {
    for (std::uint8_t b :
         {std::uint8_t{0x67}, std::uint8_t{0x89}, std::uint8_t{0x00}, i, std::uint8_t{0x42},
          std::uint8_t{0x48}, std::uint8_t{0x00}, std::uint8_t{0x00}}) {
      a.push_back(b);
    }
  }
  return a;
}

// The one frame in `wire`, decoded as a client would.
struct ProxyDecoded {
  Command command = Command::kRead;
  std::optional<std::uint32_t> address;
  std::uint32_t oid = 0;
  std::vector<std::uint8_t> payload;
};

ProxyDecoded proxy_decode_one(const std::vector<std::uint8_t>& wire) {
  rct::FrameDecoder d;
  d.feed(wire);
  auto e = d.next();
  REQUIRE(e);
  REQUIRE(e->outcome == rct::DecodeOutcome::kOk);
  ProxyDecoded out{*e->command, e->address, *e->oid, {e->payload.begin(), e->payload.end()}};
  REQUIRE_FALSE(d.next());
  return out;
}

ProxyVerdict proxy_read(ProxyPolicy& p, std::uint64_t client, std::uint32_t oid, Instant now,
                        ProxyEffects& out) {
  return p.on_frame(client, Command::kRead, std::nullopt, oid, 9, now, out);
}

// The inverter's budget as the tests set it: `tokens` requests at once, then none until refilled.
class CountedBudget final : public UpstreamBudget {
 public:
  bool take(Instant now) override {
    asked.push_back(now);
    if (tokens == 0) return false;
    --tokens;
    return true;
  }
  Instant next(Instant now) const override { return tokens > 0 ? now : refill_at; }

  std::size_t tokens = 0;
  Instant refill_at{};
  std::vector<Instant> asked;
};

}  // namespace

TEST_CASE("a READ of a value the daemon read moments ago is answered at once with its bytes",
          "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  p.on_reading(std::nullopt, kProxySoc, kProxySocBytes, true, kProxyT0, out);
  CHECK(out.sends.empty());
  CHECK(proxy_read(p, 1, kProxySoc, kProxyT0 + 10s, out) == ProxyVerdict::kFromCache);
  CHECK(out.forwards.empty());
  REQUIRE(out.sends.size() == 1);
  CHECK(out.sends[0].client == 1);
  const ProxyDecoded d = proxy_decode_one(out.sends[0].wire);
  CHECK(d.command == Command::kResponse);
  CHECK_FALSE(d.address);
  CHECK(d.oid == kProxySoc);
  CHECK(d.payload == kProxySocBytes);
  const auto* f = p.figures(1);
  REQUIRE(f != nullptr);
  CHECK(f->frames_in == 1);
  CHECK(f->from_cache == 1);
  CHECK(f->bytes_in == 9);
  CHECK(f->bytes_out == out.sends[0].wire.size());
  CHECK(p.forwards_sent() == 0);
}

TEST_CASE("a value older than max_age is read from the device and only the asker gets it",
          "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  p.on_reading(std::nullopt, kProxySoc, kProxySocBytes, true, kProxyT0, out);
  CHECK(proxy_read(p, 1, kProxySoc, kProxyT0 + 10s + 1ms, out) == ProxyVerdict::kForwarded);
  CHECK(out.sends.empty());
  REQUIRE(out.forwards.size() == 1);
  CHECK(out.forwards[0].oid == kProxySoc);
  CHECK_FALSE(out.forwards[0].address);

  ProxyEffects answer;
  const std::vector<std::uint8_t> fresh{0x3F, 0x20, 0x00, 0x00};
  p.on_reading(std::nullopt, kProxySoc, fresh, true, kProxyT0 + 11s, answer);
  REQUIRE(answer.sends.size() == 1);
  CHECK(answer.sends[0].client == 1);
  CHECK(proxy_decode_one(answer.sends[0].wire).payload == fresh);
  p.on_forward_done(std::nullopt, kProxySoc, true, kProxyT0 + 11s, answer);
  CHECK(answer.forwards.empty());
  CHECK(p.figures(1)->answered == 1);
  CHECK(p.figures(2)->frames_in == 0);
}

TEST_CASE("clients asking for the same value share one forwarded READ", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  for (std::uint64_t c = 1; c <= 5; ++c) p.on_connect(c, kProxyT0);
  ProxyEffects out;
  for (std::uint64_t c = 1; c <= 5; ++c) {
    CHECK(proxy_read(p, c, kProxyGrid, kProxyT0, out) == ProxyVerdict::kForwarded);
  }
  CHECK(out.forwards.size() == 1);
  ProxyEffects answer;
  p.on_reading(std::nullopt, kProxyGrid, kProxySocBytes, true, kProxyT0 + 200ms, answer);
  CHECK(answer.sends.size() == 5);
  CHECK(p.forwards_sent() == 1);
}

TEST_CASE("a failed forward leaves its askers unanswered, like a silent device", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  proxy_read(p, 1, kProxyGrid, kProxyT0, out);
  REQUIRE(out.forwards.size() == 1);
  ProxyEffects after;
  p.on_forward_done(std::nullopt, kProxyGrid, false, kProxyT0 + 6s, after);
  CHECK(after.sends.empty());
  CHECK(after.forwards.empty());
  // A reading coming later fills the cache but answers nobody.
  p.on_reading(std::nullopt, kProxyGrid, kProxySocBytes, true, kProxyT0 + 7s, after);
  CHECK(after.sends.empty());
  CHECK(p.figures(1)->answered == 0);
  CHECK(p.figures(1)->forwarded == 1);
}

TEST_CASE("the daemon's own reading answers a queued READ before it is sent", "[proxy_policy]") {
  ProxySettings s = proxy_test_settings();
  s.frames_per_second = 1.0;
  ProxyPolicy p(s);
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  // Two forwards use the burst; the third waits for the budget.
  proxy_read(p, 1, 0x1000, kProxyT0, out);
  proxy_read(p, 1, 0x1001, kProxyT0, out);
  proxy_read(p, 1, kProxySoc, kProxyT0, out);
  CHECK(out.forwards.size() == 2);
  REQUIRE(p.next_wakeup(kProxyT0));
  CHECK(*p.next_wakeup(kProxyT0) == kProxyT0 + 1s);
  ProxyEffects answer;
  p.on_reading(std::nullopt, kProxySoc, kProxySocBytes, true, kProxyT0 + 500ms, answer);
  CHECK(answer.sends.size() == 1);
  ProxyEffects tick;
  p.on_tick(kProxyT0 + 1s, tick);
  CHECK(tick.forwards.empty());
  CHECK(p.forwards_sent() == 2);
}

TEST_CASE("forwarded READs never exceed the burst plus frames_per_second over any run",
          "[proxy_policy]") {
  ProxySettings s = proxy_test_settings();
  s.frames_per_second = 4.0;
  ProxyPolicy p(s);
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  for (std::uint32_t i = 0; i < 100; ++i) proxy_read(p, 1, 0x2000 + i, kProxyT0, out);
  std::size_t sent = out.forwards.size();
  CHECK(sent == static_cast<std::size_t>(ProxyPolicy::kBurst));
  Instant now = kProxyT0;
  // Every forward is answered at once: only the budget limits them.
  for (int step = 0; step < 200; ++step) {
    ProxyEffects e;
    for (const auto& f : out.forwards) p.on_forward_done(f.address, f.oid, false, now, e);
    out = e;
    const auto wake = p.next_wakeup(now);
    if (!wake) break;
    now = std::max(now, *wake);
    ProxyEffects t;
    p.on_tick(now, t);
    for (const auto& f : t.forwards) out.forwards.push_back(f);
    sent += t.forwards.size() + e.forwards.size();
    const double elapsed = std::chrono::duration<double>(now - kProxyT0).count();
    CHECK(static_cast<double>(sent) <= ProxyPolicy::kBurst + 4.0 * elapsed + 1e-9);
  }
  CHECK(p.forwards_sent() == 100);
}

TEST_CASE("writes are refused and nothing goes upstream", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  for (Command c :
       {Command::kWrite, Command::kLongWrite, Command::kPlantWrite, Command::kPlantLongWrite}) {
    CHECK(p.on_frame(1, c, std::nullopt, kProxySoc, 13, kProxyT0, out) == ProxyVerdict::kRefused);
  }
  CHECK(out.sends.empty());
  CHECK(out.forwards.empty());
  CHECK(p.figures(1)->refused == 4);
}

TEST_CASE("READ_PERIODICALLY, responses and plant frames for other devices are dropped",
          "[proxy_policy]") {
  ProxySettings s = proxy_test_settings();
  s.plant_address = 0x12345678;
  ProxyPolicy p(s);
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  for (Command c : {Command::kReadPeriodically, Command::kPlantReadPeriodically, Command::kResponse,
                    Command::kLongResponse, Command::kPlantResponse}) {
    CHECK(p.on_frame(1, c, std::nullopt, kProxySoc, 9, kProxyT0, out) == ProxyVerdict::kDropped);
  }
  CHECK(p.on_frame(1, Command::kPlantRead, 0x0BADBEEFu, kProxySoc, 13, kProxyT0, out) ==
        ProxyVerdict::kDropped);
  CHECK(out.sends.empty());
  CHECK(out.forwards.empty());
  CHECK(p.on_frame(1, Command::kPlantRead, 0x12345678u, kProxySoc, 13, kProxyT0, out) ==
        ProxyVerdict::kForwarded);
  REQUIRE(out.forwards.size() == 1);
  CHECK(out.forwards[0].address == std::optional<std::uint32_t>(0x12345678));
  ProxyEffects answer;
  p.on_reading(0x12345678u, kProxySoc, kProxySocBytes, true, kProxyT0, answer);
  REQUIRE(answer.sends.size() == 1);
  const ProxyDecoded d = proxy_decode_one(answer.sends[0].wire);
  CHECK(d.command == Command::kPlantResponse);
  CHECK(d.address == std::optional<std::uint32_t>(0x12345678));
  CHECK(p.figures(1)->dropped == 6);
}

TEST_CASE("without a plant address every plant READ is dropped", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  CHECK(p.on_frame(1, Command::kPlantRead, 0u, kProxySoc, 13, kProxyT0, out) ==
        ProxyVerdict::kDropped);
  CHECK(out.forwards.empty());
}

TEST_CASE("a history answer never answers a READ of the same OID", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  proxy_read(p, 1, 0x1000, kProxyT0, out);
  ProxyEffects answer;
  p.on_reading(std::nullopt, 0x1000, std::vector<std::uint8_t>(12, 0), false, kProxyT0, answer);
  CHECK(answer.sends.empty());
  CHECK(p.cached() == 0);
}

TEST_CASE("one client cannot have more than its share of READs waiting", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  for (std::size_t i = 0; i < ProxyPolicy::kMaxWaitingPerClient; ++i) {
    CHECK(proxy_read(p, 1, 0x3000, kProxyT0, out) == ProxyVerdict::kForwarded);
  }
  CHECK(proxy_read(p, 1, 0x3000, kProxyT0, out) == ProxyVerdict::kFlood);
  CHECK(proxy_read(p, 2, 0x3000, kProxyT0, out) == ProxyVerdict::kForwarded);
  ProxyEffects answer;
  p.on_reading(std::nullopt, 0x3000, kProxySocBytes, true, kProxyT0, answer);
  CHECK(answer.sends.size() == ProxyPolicy::kMaxWaitingPerClient + 1);
  // Answered READs free the share again.
  CHECK(proxy_read(p, 1, 0x3001, kProxyT0, out) == ProxyVerdict::kForwarded);
}

TEST_CASE("a client that leaves is not answered, and a late frame of it is ignored",
          "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  proxy_read(p, 1, kProxyGrid, kProxyT0, out);
  proxy_read(p, 2, kProxyGrid, kProxyT0, out);
  p.on_disconnect(1);
  CHECK(p.clients() == 1);
  CHECK(p.figures(1) == nullptr);
  ProxyEffects answer;
  p.on_reading(std::nullopt, kProxyGrid, kProxySocBytes, true, kProxyT0, answer);
  REQUIRE(answer.sends.size() == 1);
  CHECK(answer.sends[0].client == 2);
  CHECK(proxy_read(p, 1, kProxyGrid, kProxyT0, out) == ProxyVerdict::kUnknownClient);
}

TEST_CASE("an asker that came after the answer, with max_age 0, gets a READ of its own",
          "[proxy_policy]") {
  ProxySettings s = proxy_test_settings();
  s.max_age = 0s;
  ProxyPolicy p(s);
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  proxy_read(p, 1, kProxyGrid, kProxyT0, out);
  REQUIRE(out.forwards.size() == 1);
  ProxyEffects a;
  p.on_reading(std::nullopt, kProxyGrid, kProxySocBytes, true, kProxyT0 + 1s, a);
  CHECK(a.sends.size() == 1);
  ProxyEffects b;
  CHECK(proxy_read(p, 1, kProxyGrid, kProxyT0 + 2s, b) == ProxyVerdict::kForwarded);
  CHECK(b.forwards.empty());  // the first forward is still in flight
  ProxyEffects c;
  p.on_forward_done(std::nullopt, kProxyGrid, true, kProxyT0 + 2s, c);
  CHECK(c.forwards.size() == 1);
}

TEST_CASE("the cache keeps at most kMaxCached values, dropping the oldest", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  for (std::uint32_t i = 0; i <= ProxyPolicy::kMaxCached; ++i) {
    p.on_reading(std::nullopt, 0x4000 + i, kProxySocBytes, true,
                 kProxyT0 + std::chrono::milliseconds(i), out);
  }
  CHECK(p.cached() == ProxyPolicy::kMaxCached);
  CHECK(proxy_read(p, 1, 0x4000, kProxyT0 + 2s, out) == ProxyVerdict::kForwarded);
  CHECK(proxy_read(p, 1, 0x4001, kProxyT0 + 2s, out) == ProxyVerdict::kFromCache);
}

TEST_CASE("a forward waits for a request of the inverter's budget, which it is charged to",
          "[proxy_policy]") {
  CountedBudget budget;
  ProxyPolicy p(proxy_test_settings(), &budget);
  p.on_connect(1, kProxyT0);
  budget.refill_at = kProxyT0 + 300ms;
  ProxyEffects out;
  CHECK(proxy_read(p, 1, kProxySoc, kProxyT0, out) == ProxyVerdict::kForwarded);
  CHECK(out.forwards.empty());  // the daemon's polling holds the budget
  CHECK(budget.asked.size() == 1);
  // Woken when the budget has a request again, not before.
  REQUIRE(p.next_wakeup(kProxyT0));
  CHECK(*p.next_wakeup(kProxyT0) == kProxyT0 + 300ms);
  budget.tokens = 1;
  ProxyEffects tick;
  p.on_tick(kProxyT0 + 300ms, tick);
  REQUIRE(tick.forwards.size() == 1);
  CHECK(tick.forwards[0].oid == kProxySoc);
  CHECK(budget.tokens == 0);  // charged
  CHECK(p.forwards_sent() == 1);
}

TEST_CASE("clients take turns: a hundred READs of one delay another's READ by one forward",
          "[proxy_policy]") {
  CountedBudget budget;
  ProxySettings s = proxy_test_settings();
  s.frames_per_second = 1000.0;
  ProxyPolicy p(s, &budget);
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  p.on_connect(3, kProxyT0);
  ProxyEffects out;
  for (std::uint32_t i = 0; i < 100; ++i) proxy_read(p, 1, 0x3000 + i, kProxyT0, out);
  proxy_read(p, 2, 0x4000, kProxyT0, out);
  proxy_read(p, 3, 0x5000, kProxyT0, out);
  proxy_read(p, 3, 0x5001, kProxyT0, out);
  REQUIRE(out.forwards.empty());
  // One request at a time, each answered before the next.
  std::vector<std::uint32_t> order;
  Instant now = kProxyT0;
  for (int i = 0; i < 8; ++i) {
    now += 10ms;
    budget.tokens = 1;
    ProxyEffects tick;
    p.on_tick(now, tick);
    REQUIRE(tick.forwards.size() == 1);
    order.push_back(tick.forwards[0].oid);
    ProxyEffects done;
    p.on_reading(std::nullopt, tick.forwards[0].oid, kProxySocBytes, true, now, done);
    p.on_forward_done(std::nullopt, tick.forwards[0].oid, true, now, done);
  }
  CHECK(order ==
        std::vector<std::uint32_t>{0x3000, 0x4000, 0x5000, 0x3001, 0x5001, 0x3002, 0x3003, 0x3004});
}

TEST_CASE("keys whose every asker left are not forwarded, and do not hold a turn",
          "[proxy_policy]") {
  CountedBudget budget;
  ProxyPolicy p(proxy_test_settings(), &budget);
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  for (std::uint32_t i = 0; i < 50; ++i) proxy_read(p, 1, 0x3000 + i, kProxyT0, out);
  proxy_read(p, 2, kProxySoc, kProxyT0, out);
  p.on_disconnect(1);
  budget.tokens = 5;
  ProxyEffects tick;
  p.on_tick(kProxyT0 + 1s, tick);
  REQUIRE(tick.forwards.size() == 1);
  CHECK(tick.forwards[0].oid == kProxySoc);
  CHECK(budget.tokens == 4);
  CHECK_FALSE(p.next_wakeup(kProxyT0 + 1s));  // nothing else waits
}

TEST_CASE("the totals keep the counts of clients that left", "[proxy_policy]") {
  ProxyPolicy p(proxy_test_settings());
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  p.on_reading(std::nullopt, kProxySoc, kProxySocBytes, true, kProxyT0, out);
  proxy_read(p, 1, kProxySoc, kProxyT0, out);
  proxy_read(p, 2, kProxySoc, kProxyT0, out);
  CHECK(p.on_frame(2, Command::kWrite, std::nullopt, kProxySoc, 13, kProxyT0, out) ==
        ProxyVerdict::kRefused);
  p.on_disconnect(1);
  const auto t = p.totals();
  CHECK(t.frames_in == 3);
  CHECK(t.from_cache == 2);
  CHECK(t.refused == 1);
  CHECK(t.bytes_in == 9 + 9 + 13);
  CHECK(t.bytes_out == p.figures(2)->bytes_out * 2);
  p.on_disconnect(2);
  CHECK(p.totals().frames_in == 3);
}

TEST_CASE("with verified writes a WRITE goes to the write path with its payload, a PLANT_WRITE not",
          "[proxy_policy]") {
  ProxySettings s = proxy_test_settings();
  s.verified_writes = true;
  ProxyPolicy p(s);
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  const std::vector<std::uint8_t> half{0x3F, 0x00, 0x00, 0x00};
  CHECK(p.on_frame(1, Command::kWrite, std::nullopt, 0x1D2994EA, 13, kProxyT0, out, half) ==
        ProxyVerdict::kToWrites);
  REQUIRE(out.writes.size() == 1);
  CHECK(out.writes[0].client == 1);
  CHECK(out.writes[0].oid == 0x1D2994EA);
  CHECK(out.writes[0].payload == half);
  CHECK(p.on_frame(1, Command::kPlantWrite, 0x12345678u, 0x1D2994EA, 17, kProxyT0, out, half) ==
        ProxyVerdict::kRefused);
  CHECK(out.writes.size() == 1);
  CHECK(out.forwards.empty());
  CHECK(out.sends.empty());
  CHECK(p.figures(1)->writes == 1);
  CHECK(p.figures(1)->refused == 1);
  CHECK(p.totals().writes == 1);
}

TEST_CASE("a history query goes upstream as a query and the device's answer goes to its asker only",
          "[proxy_policy]") {
  ProxyPolicy p(proxy_history_settings());
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  CHECK(proxy_query(p, 1, kProxyT0, out) == ProxyVerdict::kQuery);
  CHECK(out.forwards.empty());
  REQUIRE(out.queries.size() == 1);
  CHECK(out.queries[0].oid == kProxyLog);
  CHECK(out.queries[0].timestamp == kProxyT);
  CHECK_FALSE(out.queries[0].address);
  CHECK(p.figures(1)->queries == 1);

  // The same answer seen as a reading (it is one, for everybody on the link) answers nobody and
  // is not cached: only the client's tracker knows which request it answered.
  const std::vector<std::uint8_t> answer = proxy_history_answer();
  ProxyEffects seen;
  p.on_reading(std::nullopt, kProxyLog, answer, false, kProxyT0, seen);
  CHECK(seen.sends.empty());
  CHECK(p.cached() == 0);

  ProxyEffects done;
  p.on_query_done(out.queries[0].id, std::span<const std::uint8_t>(answer), kProxyT0 + 1s, done);
  REQUIRE(done.sends.size() == 1);
  CHECK(done.sends[0].client == 1);
  const ProxyDecoded d = proxy_decode_one(done.sends[0].wire);
  CHECK(d.command == Command::kLongResponse);
  CHECK(d.oid == kProxyLog);
  CHECK(d.payload == answer);
  CHECK(p.figures(1)->queries_answered == 1);
  CHECK(p.figures(2)->frames_in == 0);
  // Ended: a second report of it changes nothing.
  ProxyEffects again;
  p.on_query_done(out.queries[0].id, std::span<const std::uint8_t>(answer), kProxyT0 + 1s, again);
  CHECK(again.sends.empty());
  CHECK(p.totals().queries_answered == 1);
}

TEST_CASE("a history WRITE without a 4-byte time, or for another plant address, is refused",
          "[proxy_policy]") {
  ProxySettings s = proxy_history_settings();
  s.plant_address = 0x12345678;
  ProxyPolicy p(s);
  p.on_connect(1, kProxyT0);
  ProxyEffects out;
  CHECK(proxy_query(p, 1, kProxyT0, out, {0x67, 0x89, 0x0A}) == ProxyVerdict::kRefused);
  CHECK(out.refusal == "a history query's time is 4 bytes");
  CHECK(proxy_query(p, 1, kProxyT0, out, {0x67, 0x89, 0x0A, 0xBC, 0x00}) == ProxyVerdict::kRefused);
  CHECK(p.on_frame(1, Command::kPlantWrite, 0x0BADBEEFu, kProxyLog, 17, kProxyT0, out,
                   kProxyTBytes) == ProxyVerdict::kRefused);
  CHECK(out.queries.empty());
  CHECK(p.figures(1)->refused == 3);
  // For this inverter's plant address it is a plant query, answered as a plant response.
  CHECK(p.on_frame(1, Command::kPlantWrite, 0x12345678u, kProxyLog, 17, kProxyT0, out,
                   kProxyTBytes) == ProxyVerdict::kQuery);
  REQUIRE(out.queries.size() == 1);
  CHECK(out.queries[0].address == std::optional<std::uint32_t>(0x12345678));
  ProxyEffects done;
  const std::vector<std::uint8_t> answer = proxy_history_answer();
  p.on_query_done(out.queries[0].id, std::span<const std::uint8_t>(answer), kProxyT0, done);
  REQUIRE(done.sends.size() == 1);
  const ProxyDecoded d = proxy_decode_one(done.sends[0].wire);
  CHECK(d.command == Command::kPlantLongResponse);
  CHECK(d.address == std::optional<std::uint32_t>(0x12345678));
}

TEST_CASE("a failed query answers nothing; a leaver's queries are never sent or answered",
          "[proxy_policy]") {
  CountedBudget budget;
  ProxyPolicy p(proxy_history_settings(), &budget);
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  budget.tokens = 1;
  proxy_query(p, 1, kProxyT0, out);
  proxy_query(p, 2, kProxyT0, out);
  proxy_query(p, 2, kProxyT0, out);
  REQUIRE(out.queries.size() == 1);  // one token
  ProxyEffects failed;
  p.on_query_done(out.queries[0].id, std::nullopt, kProxyT0 + 1s, failed);
  CHECK(failed.sends.empty());
  CHECK(p.figures(1)->queries_answered == 0);

  budget.tokens = 1;
  ProxyEffects tick;
  p.on_tick(kProxyT0 + 2s, tick);
  REQUIRE(tick.queries.size() == 1);  // client 2's first
  p.on_disconnect(2);
  ProxyEffects late;
  const std::vector<std::uint8_t> answer = proxy_history_answer();
  p.on_query_done(tick.queries[0].id, std::span<const std::uint8_t>(answer), kProxyT0 + 3s, late);
  CHECK(late.sends.empty());
  budget.tokens = 10;
  ProxyEffects rest;
  p.on_tick(kProxyT0 + 10s, rest);
  CHECK(rest.queries.empty());  // client 2's second left with it
  CHECK_FALSE(p.next_wakeup(kProxyT0 + 10s));
}

TEST_CASE("queries take turns with READs, take the inverter's budget and share the slots",
          "[proxy_policy]") {
  CountedBudget budget;
  ProxySettings s = proxy_history_settings();
  s.frames_per_second = 1000.0;
  ProxyPolicy p(s, &budget);
  p.on_connect(1, kProxyT0);
  p.on_connect(2, kProxyT0);
  ProxyEffects out;
  for (int i = 0; i < 6; ++i) proxy_query(p, 1, kProxyT0, out);
  proxy_read(p, 2, 0x4000, kProxyT0, out);
  proxy_read(p, 2, 0x4001, kProxyT0, out);
  REQUIRE(out.queries.empty());
  REQUIRE(out.forwards.empty());

  // Tokens for everything: the slots bound it, and the turns alternate between the clients.
  budget.tokens = 100;
  std::vector<rct::daemon::ProxyQuery> queries;
  std::vector<std::uint32_t> order;  // 0: a query
  Instant now = kProxyT0;
  for (int i = 0; i < 10; ++i) {
    now += 10ms;
    ProxyEffects tick;
    p.on_tick(now, tick);
    for (const auto& q : tick.queries) {
      queries.push_back(q);
      order.push_back(0);
    }
    for (const auto& f : tick.forwards) order.push_back(f.oid);
  }
  CHECK(order == std::vector<std::uint32_t>{0, 0x4000, 0, 0x4001});
  CHECK(budget.tokens == 100 - ProxyPolicy::kMaxInFlight);
  CHECK(p.forwards_sent() == ProxyPolicy::kMaxInFlight);
  CHECK_FALSE(p.next_wakeup(now));  // every slot busy

  // One query ends: its slot goes to the next query (client 2 has nothing left queued).
  REQUIRE(queries.size() == 2);
  ProxyEffects done;
  p.on_query_done(queries[0].id, std::nullopt, now + 1s, done);
  CHECK(done.queries.size() == 1);
  CHECK(done.forwards.empty());
}
