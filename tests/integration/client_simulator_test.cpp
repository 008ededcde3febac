// The inverter client against the real simulator under each fault mode. The simulator runs
// embedded on its own thread and io_context (loopback, ephemeral port); the client runs on the
// test thread's io_context (ClientHarness). The rule checked everywhere: every value the client
// hands up, as an answer or as another client's traffic, is one the simulator really sent in an
// intact frame for that OID (SentLog::truth). Every wait has a deadline; nothing sleeps.
#include <algorithm>
#include <bit>
#include <map>
#include <memory>
#include <set>
#include <string_view>

#include "core/client/client.h"
#include "core/hex.h"
#include "core/layout_override.h"
#include "core/value_codec.h"
#include "tests/integration/client_harness.h"
#include "tests/integration/simulator_harness.h"
#include "tests/support/catch.h"
#include "tests/support/test_registry.h"
#include "tools/simulator/simulator.h"

using namespace std::chrono_literals;
using rct::DataType;
using rct::client::ClientError;
using rct::client::ClientState;
using rct::client::FrameVerdict;
using rct::client::LinkDownReason;
using rct::client::Reading;
using rct::sim::FaultKind;
using rct::sim::SentReply;
using rct::test::ClientHarness;
using rct::test::RunningSimulator;

namespace {

using rct::test::oid_of;

// `count` scalar OIDs (fixed-size types, docs/protocol.md §8.11, so that a cut payload can always
// be told apart): first some the faults target (lifetime counters for counter_reset, power
// floats for absurd), then OIDs spread evenly over the registry.
std::vector<std::uint32_t> poll_list(std::size_t count) {
  static constexpr std::string_view kNamed[] = {
      "battery.soc",
      "battery.voltage",
      "g_sync.p_ac_load_sum_lp",
      "g_sync.p_ac_grid_sum_lp",
      "dc_conv.dc_conv_struct[0].p_dc",
      "energy.e_grid_feed_total",
      "energy.e_grid_load_total",
      "energy.e_ac_total",
      "energy.e_load_total",
      "power_mng.soc_strategy",
      "prim_sm.state",
      "battery.temperature",
  };
  std::vector<std::uint32_t> out;
  for (std::string_view name : kNamed) {
    if (out.size() < count) out.push_back(oid_of(name));
  }
  std::vector<std::uint32_t> scalars;
  for (const rct::OidInfo& info : rct::test::test_registry().all()) {
    const bool listed = std::find(out.begin(), out.end(), info.id) != out.end();
    if (rct::is_fixed_size_scalar(info.response_type) && !listed) scalars.push_back(info.id);
  }
  const std::size_t missing = count - out.size();
  for (std::size_t i = 0; i < missing && !scalars.empty(); ++i) {
    out.push_back(scalars[i * scalars.size() / missing]);
  }
  REQUIRE(out.size() == count);
  return out;
}

// Floats compare by bit pattern, so that a NaN the simulator sent matches the NaN handed up.
bool same_value(const rct::Value& a, const rct::Value& b) {
  const float* fa = std::get_if<float>(&a);
  const float* fb = std::get_if<float>(&b);
  if (fa != nullptr && fb != nullptr) {
    return std::bit_cast<std::uint32_t>(*fa) == std::bit_cast<std::uint32_t>(*fb);
  }
  return a == b;
}

// Whether the simulator sent `r.value` for `r.oid` (and address) in an intact frame.
bool sent_intact(const rct::sim::Simulator& sim, const Reading& r) {
  const rct::OidInfo* info = rct::test::test_registry().find(r.oid);
  for (const std::vector<std::uint8_t>& payload : sim.truth(r.oid, r.address)) {
    // As the client decodes: tower 2's module OIDs with their layout (core/layout_override.h).
    const DataType type =
        info != nullptr ? rct::decode_type(*info, payload.size()) : DataType::kUnknown;
    auto v = rct::decode_value(type, payload);
    if (v.ok() && same_value(*v, r.value)) return true;
  }
  return false;
}

// What the simulator sent for `r.oid`, for failure messages: fault, intact, cut, payload.
std::string history(const rct::sim::Simulator& sim, const Reading& r) {
  std::string out = "handed up " + rct::format_oid(r.oid);
  if (auto bytes =
          rct::encode_value(r.info ? r.info->response_type : DataType::kUnknown, r.value)) {
    out += " = " + rct::to_hex(*bytes);
  }
  out += "; sent:";
  for (const SentReply& s : sim.sent()) {
    if (s.oid != r.oid && s.requested_oid != r.oid) continue;
    out += "\n  " + rct::format_oid(s.oid) + " for " + rct::format_oid(s.requested_oid) + " " +
           rct::to_hex(s.payload) + (s.intact ? " intact" : " not-intact") +
           (s.cut_by_request ? " cut" : "") +
           (s.fault ? " fault=" + std::string(rct::sim::fault_name(*s.fault)) : "");
  }
  return out;
}

std::size_t count_sent(const std::vector<SentReply>& sent,
                       const std::function<bool(const SentReply&)>& pred) {
  return static_cast<std::size_t>(std::count_if(sent.begin(), sent.end(), pred));
}

std::size_t faults_sent(const std::vector<SentReply>& sent, FaultKind f) {
  return count_sent(sent, [f](const SentReply& r) { return r.fault == f; });
}

// Replies that went out with a cut payload: the truncate fault, or interrupted by a request.
std::size_t cut_sent(const std::vector<SentReply>& sent) {
  return count_sent(sent, [](const SentReply& r) {
    return r.delivered && (r.cut_by_request || r.fault == FaultKind::kTruncate);
  });
}

struct Poll {
  std::map<std::uint32_t, Reading> values;  // the answer per requested OID
  std::vector<Reading> answers;             // every answer handed up, in order
  std::map<ClientError, int> errors;        // failed attempts by error
  int rounds = 0;
  bool complete = false;
};

// Reads every OID; what failed is read again in the next round, once the link is up again, as a
// daemon's next poll cycle would. Results land in a shared_ptr so that a callback that runs after
// a round gave up writes nowhere dangerous.
Poll poll(ClientHarness& h, const std::vector<std::uint32_t>& oids, int max_rounds = 12) {
  Poll out;
  std::vector<std::uint32_t> remaining = oids;
  while (!remaining.empty() && out.rounds < max_rounds) {
    ++out.rounds;
    if (!h.wait_state(ClientState::kConnected, 10s)) break;
    using Slot = std::optional<rct::Result<Reading, ClientError>>;
    auto results = std::make_shared<std::map<std::uint32_t, Slot>>();
    for (std::uint32_t oid : remaining) {
      (*results)[oid];
      h.client->read(oid, [results, oid](rct::Result<Reading, ClientError> r) {
        (*results)[oid] = std::move(r);
      });
    }
    const bool answered = h.run_until(
        [&] {
          return std::all_of(results->begin(), results->end(),
                             [](const auto& kv) { return kv.second.has_value(); });
        },
        30s);
    CHECK(answered);
    std::vector<std::uint32_t> next;
    for (auto& [oid, slot] : *results) {
      if (slot && slot->ok()) {
        out.answers.push_back(**slot);
        out.values.emplace(oid, **slot);
        continue;
      }
      if (slot) ++out.errors[slot->error()];
      next.push_back(oid);
    }
    remaining = std::move(next);
  }
  out.complete = remaining.empty();
  return out;
}

// The rule of this file, for a poll and everything the observer saw.
void check_only_intact_values(const rct::sim::Simulator& sim, const Poll& p,
                              const rct::test::RecordingObserver& observer) {
  for (const Reading& r : p.answers) {
    INFO("answer for " << rct::format_oid(r.oid));
    INFO(history(sim, r));
    CHECK(r.solicited);
    CHECK(sent_intact(sim, r));
  }
  for (const auto& [oid, r] : p.values) {
    INFO("requested " << rct::format_oid(oid));
    CHECK(r.oid == oid);
  }
  for (const Reading& r : observer.unsolicited) {
    INFO("unsolicited " << rct::format_oid(r.oid));
    INFO(history(sim, r));
    CHECK_FALSE(r.solicited);
    CHECK(sent_intact(sim, r));
  }
}

// A simulator and a client with fast deadlines pointed at it.
struct Rig {
  explicit Rig(rct::sim::SimulatorOptions sim_options = rct::test::simulator_test_options(),
               std::size_t window = 1)
      : sim(rct::test::test_registry(), std::move(sim_options)),
        h(client_options(sim->port(), window)) {}

  static rct::client::ClientOptions client_options(std::uint16_t port, std::size_t window) {
    auto o = rct::test::fast_options(port);
    o.window = window;
    // 25 service times: a loaded machine (sanitizers, parallel builds) does not make answers
    // late, so a timeout seen here was caused by a fault.
    o.request_timeout = 500ms;
    return o;
  }

  RunningSimulator sim;
  ClientHarness h;
};

struct FaultCase {
  FaultKind kind = FaultKind::kGarbage;
  unsigned count = 0;  // scripted: the next `count` replies the fault applies to
};

}  // namespace

TEST_CASE("with no faults a poll of 30 OIDs completes in one round with the simulator's values",
          "[client_simulator]") {
  Rig rig;
  rig.h.client->start();
  const auto oids = poll_list(30);
  const Poll p = poll(rig.h, oids);
  CHECK(p.complete);
  CHECK(p.rounds == 1);
  CHECK(p.values.size() == oids.size());
  check_only_intact_values(*rig.sim, p, rig.h.observer);
  CHECK(rig.h.observer.unsolicited.empty());
  CHECK(rig.h.observer.link_up == 1);
  CHECK(rig.h.observer.link_down == 0);
  CHECK(rig.h.client->stats().timeouts == 0);
  CHECK(rig.h.client->stats().completed == oids.size());
}

TEST_CASE("under each scripted reply fault a poll completes and hands up only intact values",
          "[client_simulator]") {
  const FaultCase c = GENERATE(values<FaultCase>({
      {FaultKind::kGarbage, 4},
      {FaultKind::kCorruptCrc, 3},
      {FaultKind::kDrop, 3},
      {FaultKind::kWrongOid, 3},
      {FaultKind::kTruncate, 3},
      {FaultKind::kStall, 2},
      {FaultKind::kDisconnect, 3},
      {FaultKind::kCounterReset, 2},
      {FaultKind::kAbsurdValue, 2},
      {FaultKind::kSplit, 4},
  }));
  INFO("fault " << rct::sim::fault_name(c.kind) << " x" << c.count);
  Rig rig;
  RunningSimulator::apply(rig.sim->set_stall_duration(800ms));  // longer than a request timeout
  RunningSimulator::apply(rig.sim->script_fault(c.kind, c.count));
  rig.h.client->start();
  const auto oids = poll_list(30);
  const Poll p = poll(rig.h, oids);
  CHECK(p.complete);
  check_only_intact_values(*rig.sim, p, rig.h.observer);

  const auto sent = rig.sim->sent();
  CHECK(faults_sent(sent, c.kind) == c.count);
  const auto& observer = rig.h.observer;
  const auto& stats = rig.h.client->stats();
  // The link goes down only when the simulator closes it.
  if (c.kind != FaultKind::kDisconnect) {
    CHECK(observer.link_down == 0);
    CHECK(observer.link_up == 1);
  }
  switch (c.kind) {
    case FaultKind::kGarbage:
    case FaultKind::kSplit:
      // Both leave the frame itself intact: nothing is lost, nothing retried.
      CHECK(p.rounds == 1);
      CHECK(stats.timeouts == 0);
      CHECK(stats.completed == oids.size());
      if (c.kind == FaultKind::kSplit) CHECK(observer.frame_errors.empty());
      break;
    case FaultKind::kCorruptCrc:
      CHECK(stats.frame_errors >= c.count);
      CHECK(std::count(observer.frame_errors.begin(), observer.frame_errors.end(),
                       rct::DecodeOutcome::kCrcMismatch) >= static_cast<long>(c.count));
      // Each broken reply named our request in its header: asked again at once, not waited on.
      CHECK(stats.resent + stats.gave_up >= c.count);
      CHECK(stats.bad_replies >= c.count);
      CHECK(stats.timeouts == 0);
      CHECK(observer.bad_replies.size() == stats.bad_replies);
      break;
    case FaultKind::kDrop:
    case FaultKind::kStall:
      // Each lost reply is one deadline; the request is sent again or, after its retries, fails
      // and is read again in the next round.
      CHECK(stats.timeouts >= c.count);
      CHECK(stats.retries + stats.gave_up >= c.count);
      break;
    case FaultKind::kWrongOid:
      // Each wrong frame was handed up as what it is (another OID's value), never as the answer.
      for (const SentReply& r : sent) {
        if (r.fault != FaultKind::kWrongOid) continue;
        INFO("wrong frame " << rct::format_oid(r.oid) << " for "
                            << rct::format_oid(r.requested_oid));
        CHECK(r.oid != r.requested_oid);
        const bool handed_up_as_itself =
            std::any_of(observer.unsolicited.begin(), observer.unsolicited.end(),
                        [&](const Reading& u) { return u.oid == r.oid; });
        CHECK(handed_up_as_itself);
      }
      CHECK(stats.timeouts >= c.count);
      break;
    case FaultKind::kTruncate: {
      // Every cut reply was dropped by the size check; all cut replies reached this client.
      const std::size_t cut = cut_sent(sent);
      CHECK(cut >= c.count);
      rig.h.run_until([&] { return stats.truncated >= cut; }, 2s);
      CHECK(stats.truncated == cut);
      CHECK(std::count(observer.dropped.begin(), observer.dropped.end(),
                       FrameVerdict::kTruncated) == static_cast<long>(cut));
      // Each was our reply: asked again at once, not waited on.
      CHECK(stats.bad_replies == cut);
      CHECK(stats.resent + stats.gave_up == cut);
      CHECK(stats.timeouts == 0);
      break;
    }
    case FaultKind::kDisconnect:
      // Each close is one down transition; each reconnect that got an answer one up.
      CHECK(observer.link_down == static_cast<int>(c.count));
      CHECK(observer.link_up == static_cast<int>(c.count) + 1);
      CHECK(std::all_of(observer.down_reasons.begin(), observer.down_reasons.end(),
                        [](LinkDownReason r) { return r == LinkDownReason::kClosedByPeer; }));
      CHECK(p.rounds > 1);
      break;
    case FaultKind::kCounterReset:
    case FaultKind::kAbsurdValue:
      // The frame is intact and the device did send that value: the client hands it up (the
      // daemon's value policy judges plausibility). It must be exactly what was sent.
      for (const SentReply& r : sent) {
        if (r.fault != c.kind) continue;
        INFO("faulty value for " << rct::format_oid(r.oid));
        auto it = p.values.find(r.oid);
        REQUIRE(it != p.values.end());
        const rct::OidInfo* info = rct::test::test_registry().find(r.oid);
        REQUIRE(info != nullptr);
        auto v = rct::decode_value(info->response_type, r.payload);
        REQUIRE(v.ok());
        CHECK(same_value(*v, it->second.value));
      }
      CHECK(p.rounds == 1);
      break;
    case FaultKind::kNight:
      FAIL("night is not a reply fault");
      break;
  }
}

TEST_CASE(
    "on a link losing replies to drops, cuts and CRC errors, waits follow the link and "
    "polls complete with only intact values",
    "[client_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.seed = 11;
  for (FaultKind f : {FaultKind::kDrop, FaultKind::kTruncate, FaultKind::kCorruptCrc}) {
    options.faults.probability[static_cast<std::size_t>(f)] = 0.05;
  }
  RunningSimulator sim(rct::test::test_registry(), options);
  auto client_options = rct::test::fast_options(sim->port());
  // A ceiling of 250 service times and a floor of 5: the estimate has room to cut waits short.
  client_options.request_timeout = 5s;
  client_options.request_timeout_floor = 100ms;
  ClientHarness h(client_options);
  h.client->start();
  const auto oids = poll_list(30);
  for (int cycle = 0; cycle < 3; ++cycle) {
    INFO("cycle " << cycle);
    const Poll p = poll(h, oids, 20);
    CHECK(p.complete);
    CHECK(p.values.size() == oids.size());
    check_only_intact_values(*sim, p, h.observer);
  }
  const auto sent = sim->sent();
  const auto& stats = h.client->stats();
  INFO("sent " << stats.sent << ", timeouts " << stats.timeouts << " (short "
               << stats.short_timeouts << "), bad replies " << stats.bad_replies << ", resent "
               << stats.resent << ", gave up " << stats.gave_up);
  REQUIRE(faults_sent(sent, FaultKind::kDrop) > 0);
  REQUIRE(faults_sent(sent, FaultKind::kTruncate) > 0);
  REQUIRE(faults_sent(sent, FaultKind::kCorruptCrc) > 0);
  // A dropped reply is waited for, but not the whole ceiling; a cut or broken one is asked for
  // again at once. Only replies that were damaged count as bad.
  CHECK(stats.short_timeouts > 0);
  CHECK(stats.resent > 0);
  CHECK(stats.bad_replies <= faults_sent(sent, FaultKind::kCorruptCrc) + cut_sent(sent));
  CHECK(h.observer.bad_replies.size() == stats.bad_replies);
  CHECK(h.observer.link_down == 0);
  CHECK(h.client->estimator().smoothed().has_value());
  CHECK(h.client->estimator().timeout() < client_options.request_timeout);
}

TEST_CASE("a connection closed every N frames is reopened until the poll completes",
          "[client_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.faults.disconnect_after_frames = 7;
  Rig rig(options);
  rig.h.client->start();
  const auto oids = poll_list(30);
  const Poll p = poll(rig.h, oids, 20);
  CHECK(p.complete);
  check_only_intact_values(*rig.sim, p, rig.h.observer);
  const auto& o = rig.h.observer;
  CHECK(o.link_down >= 4);  // 30 answers, 7 frames per connection
  // One report per transition: downs and ups alternate.
  CHECK(o.link_up >= o.link_down);
  CHECK(o.link_up <= o.link_down + 1);
  CHECK(std::all_of(o.down_reasons.begin(), o.down_reasons.end(),
                    [](LinkDownReason r) { return r == LinkDownReason::kClosedByPeer; }));
}

TEST_CASE("at night the link is reported down once, retried quietly, and up again in the morning",
          "[client_simulator]") {
  Rig rig;
  auto& h = rig.h;
  h.client->start();
  const auto oids = poll_list(10);
  const Poll before = poll(h, oids);
  REQUIRE(before.complete);
  CHECK(h.observer.link_up == 1);

  RunningSimulator::apply(rig.sim->set_night(true));
  // Refused attempts go on with backoff; only the first loss is a link-down report.
  REQUIRE(h.run_until([&] { return h.observer.retry_delays.size() >= 5; }, 5s));
  CHECK(h.observer.link_down == 1);
  REQUIRE(h.observer.down_reasons.size() == 1);
  CHECK(h.observer.down_reasons[0] == LinkDownReason::kClosedByPeer);
  CHECK(h.observer.link_up == 1);
  CHECK(rig.sim->client_count() == 0);
  // A read in the dark is an error, never a value.
  std::optional<rct::Result<Reading, ClientError>> dark;
  h.client->read(oids.front(), [&](rct::Result<Reading, ClientError> r) { dark = std::move(r); });
  REQUIRE(h.run_until([&] { return dark.has_value(); }, 5s));
  CHECK_FALSE(dark->ok());

  RunningSimulator::apply(rig.sim->set_night(false));
  const Poll after = poll(h, oids);
  CHECK(after.complete);
  CHECK(h.observer.link_up == 2);
  CHECK(h.observer.link_down == 1);
  check_only_intact_values(*rig.sim, before, h.observer);
  check_only_intact_values(*rig.sim, after, h.observer);
}

TEST_CASE("a client refused for the connection limit reports one link-down and gets in later",
          "[client_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.max_clients = 1;
  Rig rig(options);
  // Another tool holds the only slot: the bridge accepts and closes every further connection.
  asio::io_context other_io;
  auto holder = std::make_unique<asio::ip::tcp::socket>(other_io);
  holder->connect({asio::ip::make_address("127.0.0.1"), rig.sim->port()});
  REQUIRE(rig.h.run_until([&] { return rig.sim->client_count() == 1; }, 5s));

  auto& h = rig.h;
  h.client->start();
  REQUIRE(h.run_until([&] { return h.observer.retry_delays.size() >= 5; }, 5s));
  CHECK(h.observer.link_down == 1);
  CHECK(h.observer.link_up == 0);

  holder.reset();  // the other tool leaves
  const Poll p = poll(h, poll_list(10));
  CHECK(p.complete);
  CHECK(h.observer.link_up == 1);
  CHECK(h.observer.link_down == 1);
  check_only_intact_values(*rig.sim, p, h.observer);
}

TEST_CASE("with a window above 1 replies cut by the next request are never handed up",
          "[client_simulator]") {
  const std::size_t window = GENERATE(2, 4, 8);
  INFO("window " << window);
  Rig rig(rct::test::simulator_test_options(), window);
  rig.h.client->start();
  const auto oids = poll_list(30);
  const Poll p = poll(rig.h, oids, 30);
  CHECK(p.complete);
  check_only_intact_values(*rig.sim, p, rig.h.observer);
  const auto sent = rig.sim->sent();
  const std::size_t cut = cut_sent(sent);
  CHECK(cut > 0);  // the model did cut replies: the check above was not vacuous
  const auto& stats = rig.h.client->stats();
  rig.h.run_until([&] { return stats.truncated >= cut; }, 2s);
  CHECK(stats.truncated == cut);
  CHECK(rig.h.observer.link_down == 0);
}

TEST_CASE("with a window above 1 and no truncation model a poll completes in one round",
          "[client_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.truncation = false;
  Rig rig(options, 4);
  rig.h.client->start();
  const auto oids = poll_list(30);
  const Poll p = poll(rig.h, oids);
  CHECK(p.complete);
  CHECK(p.rounds == 1);
  check_only_intact_values(*rig.sim, p, rig.h.observer);
  CHECK(cut_sent(rig.sim->sent()) == 0);
  CHECK(rig.h.client->stats().timeouts == 0);
}

TEST_CASE("under random faults of every kind repeated polls hand up only intact values",
          "[client_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.seed = 7;
  options.faults.stall_duration = 300ms;
  for (FaultKind f : rct::sim::kAllFaults) {
    if (f != FaultKind::kNight) options.faults.probability[static_cast<std::size_t>(f)] = 0.04;
  }
  Rig rig(options, 2);
  rig.h.client->start();
  const auto oids = poll_list(30);
  for (int cycle = 0; cycle < 3; ++cycle) {
    INFO("cycle " << cycle);
    const Poll p = poll(rig.h, oids, 20);
    CHECK(p.complete);
    check_only_intact_values(*rig.sim, p, rig.h.observer);
  }
  const auto sent = rig.sim->sent();
  CHECK(count_sent(sent, [](const SentReply& r) { return r.fault.has_value(); }) > 0);
}

TEST_CASE("strings, battery modules and paged time series come through split and garbage faults",
          "[client_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.faults.probability[static_cast<std::size_t>(FaultKind::kSplit)] = 0.3;
  options.faults.probability[static_cast<std::size_t>(FaultKind::kGarbage)] = 0.3;
  options.page_size = 8;
  Rig rig(options);
  auto& h = rig.h;
  h.client->start();
  const std::vector<std::uint32_t> oids = {oid_of("inverter_sn"), oid_of("android_description"),
                                           oid_of("svnversion"), oid_of("battery.cells[0]"),
                                           oid_of("battery.cells_stat[0]")};
  const Poll p = poll(h, oids);
  REQUIRE(p.complete);
  CHECK(p.rounds == 1);
  check_only_intact_values(*rig.sim, p, h.observer);
  CHECK(std::get<std::string>(p.values.at(oid_of("android_description")).value) == "PS 6.0 BA3L");

  // Three pages of 8 samples back from the device's now (5-minute samples, docs/protocol.md §9.3).
  const auto to = static_cast<std::uint32_t>(rig.sim->device_now());
  const std::uint32_t from = to - 3 * 8 * 300 + 1;
  std::optional<rct::Result<rct::TimeSeries, ClientError>> series;
  h.client->query_timeseries(
      oid_of("logger.minutes_soc_log_ts"), from, to,
      [&](rct::Result<rct::TimeSeries, ClientError> r) { series = std::move(r); });
  REQUIRE(h.run_until([&] { return series.has_value(); }, 10s));
  REQUIRE(series->ok());
  const auto& points = (*series)->points;
  CHECK(points.size() >= 16);
  for (const rct::TimeSeriesPoint& pt : points) {
    CHECK(pt.timestamp >= from);
    CHECK(pt.timestamp <= to);
    CHECK(pt.value >= 0.0f);
    CHECK(pt.value <= 1.0f);
  }
  CHECK(std::is_sorted(points.begin(), points.end(),
                       [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; }));
}

TEST_CASE("query_payload hands on the bytes of the answer to its own query, and only a query's",
          "[client_simulator]") {
  Rig rig;
  auto& h = rig.h;
  h.client->start();
  const auto t = static_cast<std::uint32_t>(rig.sim->device_now()) - 600;
  std::optional<rct::Result<std::vector<std::uint8_t>, ClientError>> bytes;
  h.client->query_payload(
      oid_of("logger.minutes_soc_log_ts"), t, std::nullopt,
      [&](rct::Result<std::vector<std::uint8_t>, ClientError> r) { bytes = std::move(r); });
  std::optional<rct::Result<std::vector<std::uint8_t>, ClientError>> refused;
  h.client->query_payload(
      oid_of("battery.soc"), t, std::nullopt,
      [&](rct::Result<std::vector<std::uint8_t>, ClientError> r) { refused = std::move(r); });
  REQUIRE(h.run_until([&] { return bytes.has_value() && refused.has_value(); }, 10s));
  REQUIRE(bytes->ok());
  const std::vector<std::uint8_t>& payload = bytes->value();
  // T echoed first, then what the simulator sent, byte for byte.
  REQUIRE(payload.size() > 4);
  const auto echoed = rct::decode_value(rct::DataType::kTimeSeries, payload);
  REQUIRE(echoed);
  CHECK(std::get<rct::TimeSeries>(*echoed).query_timestamp == t);
  bool sent = false;
  for (const auto& r : rig.sim->sent()) {
    sent =
        sent || (r.oid == oid_of("logger.minutes_soc_log_ts") && r.intact && r.payload == payload);
  }
  CHECK(sent);
  REQUIRE_FALSE(refused->ok());
  CHECK(refused->error() == ClientError::kInvalidRequest);
}

TEST_CASE("plant reads through the simulator return the follower's values", "[client_simulator]") {
  Rig rig;
  rig.h.client->start();
  const std::uint32_t soc = oid_of("battery.soc");
  std::optional<rct::Result<Reading, ClientError>> r;
  rig.h.client->read_plant(rct::sim::kDefaultPlantAddress, soc,
                           [&](rct::Result<Reading, ClientError> x) { r = std::move(x); });
  REQUIRE(rig.h.run_until([&] { return r.has_value(); }, 5s));
  REQUIRE(r->ok());
  CHECK((*r)->address == rct::sim::kDefaultPlantAddress);
  CHECK((*r)->command == rct::Command::kPlantResponse);
  CHECK(sent_intact(*rig.sim, **r));
  CHECK(rig.sim->truth(soc).empty());  // answered by the follower, not by this device
}

TEST_CASE("two clients on the simulator: each sees the other's answers as unsolicited readings",
          "[client_simulator]") {
  // Without the truncation model: when both ask at once, which request cuts which reply depends
  // on timing (tested above); here every reply is whole, so both copies arrive.
  auto options = rct::test::simulator_test_options();
  options.truncation = false;
  Rig rig(options);
  auto& a = rig.h;
  rct::test::RecordingObserver b_observer;
  rct::client::Client b(a.io, rct::test::test_registry(), Rig::client_options(rig.sim->port(), 1),
                        b_observer);
  a.client->start();
  b.start();
  REQUIRE(a.run_until([&] {
    return rig.sim->client_count() == 2 && b.state() == ClientState::kConnected &&
           a.client->state() == ClientState::kConnected;
  }));

  const auto oids = poll_list(12);
  const Poll p = poll(a, oids);
  REQUIRE(p.complete);
  // B asked for nothing, yet saw every answer A got.
  auto b_saw_all = [&] {
    return std::all_of(oids.begin(), oids.end(), [&](std::uint32_t oid) {
      return std::any_of(b_observer.unsolicited.begin(), b_observer.unsolicited.end(),
                         [&](const Reading& r) { return r.oid == oid; });
    });
  };
  CHECK(a.run_until(b_saw_all, 2s));
  CHECK(b.stats().completed == 0);
  CHECK(b_observer.link_up == 1);  // another client's traffic proves the link as well
  for (const Reading& r : b_observer.unsolicited) {
    INFO(rct::format_oid(r.oid));
    CHECK_FALSE(r.solicited);
    CHECK(sent_intact(*rig.sim, r));
  }
  check_only_intact_values(*rig.sim, p, a.observer);
  CHECK(a.observer.unsolicited.empty());

  // The other way round, and both asking for the same OID at once: each gets an answer, and the
  // second copy is a free reading, never an error.
  const std::uint32_t soc = oid_of("battery.soc");
  std::optional<rct::Result<Reading, ClientError>> ra, rb;
  a.client->read(soc, [&](rct::Result<Reading, ClientError> r) { ra = std::move(r); });
  b.read(soc, [&](rct::Result<Reading, ClientError> r) { rb = std::move(r); });
  REQUIRE(a.run_until([&] { return ra.has_value() && rb.has_value(); }));
  REQUIRE(ra->ok());
  REQUIRE(rb->ok());
  CHECK(sent_intact(*rig.sim, **ra));
  CHECK(sent_intact(*rig.sim, **rb));
  CHECK(a.run_until(
      [&] {
        return std::any_of(a.observer.unsolicited.begin(), a.observer.unsolicited.end(),
                           [&](const Reading& r) { return r.oid == soc; });
      },
      2s));
  for (const Reading& r : a.observer.unsolicited) CHECK(sent_intact(*rig.sim, r));
  b.stop();
}
