// The inverter client against a scripted fake peer on loopback TCP: what it hands up, and how it
// survives faults. Every wait has a deadline; nothing sleeps.
#include "core/client/client.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "tests/integration/client_harness.h"
#include "tests/integration/fake_peer.h"
#include "tests/support/bytes.h"
#include "tests/support/catch.h"
#include "tests/support/oids.h"

using namespace std::chrono_literals;
using rct::Command;
using rct::Frame;
using rct::client::ClientError;
using rct::client::ClientState;
using rct::client::LinkDownReason;
using rct::client::Reading;
using rct::test::ClientHarness;
using rct::test::concat;
using rct::test::corrupt_crc;
using rct::test::device_reply;
using rct::test::FakePeer;
using rct::test::fast_options;
using rct::test::float_bytes;
using rct::test::hex_bytes;
using rct::test::wire;

namespace {

using rct::test::kSoc;
using rct::test::kVoltage;
constexpr std::uint32_t kLoad = 0x1AC87AA0;      // g_sync.p_ac_load_sum_lp, FLOAT
constexpr std::uint32_t kStrategy = 0xF168B748;  // power_mng.soc_strategy, ENUM
using rct::test::kSocLog;
constexpr std::uint32_t kEventLog = 0x6F3876BC;  // logger.error_log_time_stamp, EVENT_TABLE

const std::vector<std::uint8_t> kSocPayload = hex_bytes("3e998623");  // 0.29985150694847107

FakePeer::Reply reply(std::vector<std::uint8_t> bytes) {
  return FakePeer::Reply{std::move(bytes), 0, false};
}

// A peer that answers every READ with the value in `values` (floats) and ignores the rest.
FakePeer::Script answer_floats(std::map<std::uint32_t, float> values) {
  return [values](const Frame& f, std::size_t) {
    auto it = values.find(f.oid);
    if (f.command != Command::kRead || it == values.end()) return FakePeer::Reply{};
    return reply(device_reply(f.oid, float_bytes(it->second)));
  };
}

float value_of(const Reading& r) {
  return std::get<float>(r.value);
}

// The request timestamp of a time-series / event-table query.
std::uint32_t query_time(const Frame& f) {
  REQUIRE(f.payload.size() == 4);
  return (std::uint32_t{f.payload[0]} << 24) | (std::uint32_t{f.payload[1]} << 16) |
         (std::uint32_t{f.payload[2]} << 8) | f.payload[3];
}

}  // namespace

TEST_CASE("the client reads a value over TCP and hands up exactly what the peer sent", "[client]") {
  FakePeer peer([](const Frame& f, std::size_t) {
    if (f.command == Command::kRead && f.oid == kSoc) return reply(device_reply(kSoc, kSocPayload));
    return FakePeer::Reply{};
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK((*r)->oid == kSoc);
  CHECK((*r)->solicited);
  CHECK((*r)->command == Command::kResponse);
  CHECK(value_of(**r) == 0.29985150694847107f);
  CHECK(rct::encode_value(rct::DataType::kFloat, (*r)->value).value() == kSocPayload);
  CHECK(h.observer.link_up == 1);
  CHECK(h.observer.link_down == 0);
  CHECK(h.observer.states ==
        std::vector<ClientState>{ClientState::kConnecting, ClientState::kConnected});
  const auto requests = peer.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0] == Frame{Command::kRead, std::nullopt, kSoc, {}});

  std::optional<rct::Result<Reading, ClientError>> by_name, unknown;
  h.client->read("battery.soc", [&](auto result) { by_name = std::move(result); });
  h.client->read("battery.nonsense", [&](auto result) { unknown = std::move(result); });
  REQUIRE(h.run_until([&] { return by_name && unknown; }));
  REQUIRE(by_name->ok());
  CHECK(value_of(**by_name) == 0.29985150694847107f);
  REQUIRE_FALSE(unknown->ok());
  CHECK(unknown->error() == ClientError::kUnknownOid);
  h.client->stop();
  CHECK(h.client->state() == ClientState::kDisconnected);
}

TEST_CASE("a LONG_RESPONSE of the largest length arrives whole over TCP", "[client]") {
  // L = 0xFFFF: a 65531-byte string, a fifth of it start and escape tokens, so that the wire
  // carries some 78 KB; written in pieces of 1500 bytes like a bridge's TCP segments.
  constexpr std::uint32_t kDescription = 0xEBC62737;  // android_description, STRING
  std::string text(65531, 'x');
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 10 == 3) text[i] = '+';
    if (i % 10 == 7) text[i] = '-';
  }
  text.back() = 'z';
  const std::vector<std::uint8_t> payload(text.begin(), text.end());
  FakePeer peer([&payload](const Frame& f, std::size_t) {
    if (f.command != Command::kRead || f.oid != kDescription) return FakePeer::Reply{};
    FakePeer::Reply r;
    r.bytes = device_reply(kDescription, payload, Command::kLongResponse);
    r.chunk = 1500;
    return r;
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  const auto r = h.read(kDescription);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK((*r)->command == Command::kLongResponse);
  REQUIRE(std::holds_alternative<std::string>((*r)->value));
  CHECK(std::get<std::string>((*r)->value) == text);
  CHECK(h.observer.frame_errors.empty());
  CHECK(h.observer.dropped.empty());
  h.client->stop();
}

TEST_CASE("a reply split into single bytes after noise and garbage is still found", "[client]") {
  FakePeer peer([](const Frame& f, std::size_t) {
    FakePeer::Reply r;
    r.bytes = concat({hex_bytes("41542b0d"), hex_bytes("2b3ce1"), hex_bytes("ff00fe2d"),
                      device_reply(f.oid, kSocPayload)});
    r.chunk = 1;
    return r;
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK(value_of(**r) == 0.29985150694847107f);
  CHECK(h.observer.unsolicited.empty());
}

TEST_CASE("a truncated reply with a valid CRC is never handed up; the retry gets the value",
          "[client]") {
  std::atomic<int> asked{0};
  FakePeer peer([&](const Frame& f, std::size_t) {
    if (f.oid != kSoc) return FakePeer::Reply{};
    // First answer cut after 2 payload bytes, CRC computed over what was sent
    // (docs/protocol.md §17.2).
    if (asked++ == 0) return reply(device_reply(kSoc, hex_bytes("3e99")));
    return reply(device_reply(kSoc, kSocPayload));
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK(value_of(**r) == 0.29985150694847107f);
  CHECK(asked == 2);
  CHECK(h.client->stats().truncated == 1);
  CHECK(h.observer.unsolicited.empty());
  REQUIRE(h.observer.dropped.size() == 1);
  CHECK(h.observer.dropped[0] == rct::client::FrameVerdict::kTruncated);
}

TEST_CASE("a request that only ever gets truncated replies times out without a value", "[client]") {
  FakePeer peer(
      [](const Frame& f, std::size_t) { return reply(device_reply(f.oid, hex_bytes("3e9986"))); });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE_FALSE(r->ok());
  CHECK(r->error() == ClientError::kTimeout);
  CHECK(peer.requests().size() == 3);  // first try + 2 retries
  CHECK(h.client->stats().truncated == 3);
  CHECK(h.observer.unsolicited.empty());
}

TEST_CASE("a reply for another OID is handed up as unsolicited, not as the requested value",
          "[client]") {
  SECTION("the right reply follows") {
    FakePeer peer([](const Frame& f, std::size_t) {
      return reply(
          concat({device_reply(kVoltage, float_bytes(51.5f)), device_reply(f.oid, kSocPayload)}));
    });
    ClientHarness h(fast_options(peer.port()));
    h.client->start();
    auto r = h.read(kSoc);
    REQUIRE(r);
    REQUIRE(r->ok());
    CHECK((*r)->oid == kSoc);
    CHECK(value_of(**r) == 0.29985150694847107f);
    REQUIRE(h.observer.unsolicited.size() == 1);
    CHECK(h.observer.unsolicited[0].oid == kVoltage);
    CHECK_FALSE(h.observer.unsolicited[0].solicited);
    CHECK(value_of(h.observer.unsolicited[0]) == 51.5f);
  }
  SECTION("only wrong-OID replies arrive") {
    FakePeer peer([](const Frame&, std::size_t) {
      return reply(device_reply(kVoltage, float_bytes(51.5f)));
    });
    ClientHarness h(fast_options(peer.port()));
    h.client->start();
    auto r = h.read(kSoc);
    REQUIRE(r);
    REQUIRE_FALSE(r->ok());
    CHECK(r->error() == ClientError::kTimeout);
    CHECK(h.observer.unsolicited.size() == 3);
    for (const Reading& u : h.observer.unsolicited) CHECK(u.oid == kVoltage);
  }
}

TEST_CASE("a silent peer gets the bounded retries, then the request times out", "[client]") {
  FakePeer peer([](const Frame&, std::size_t) { return FakePeer::Reply{}; });
  auto options = fast_options(peer.port());
  options.retries = 1;
  ClientHarness h(options);
  h.client->start();
  const auto started = std::chrono::steady_clock::now();
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE_FALSE(r->ok());
  CHECK(r->error() == ClientError::kTimeout);
  CHECK(std::chrono::steady_clock::now() - started >= 2 * options.request_timeout);
  CHECK(peer.requests().size() == 2);
  CHECK(h.observer.timeouts == 2);
  CHECK(h.client->state() == ClientState::kConnected);  // missing answers are no link failure
}

TEST_CASE("other clients' traffic is handed up as readings, bad frames are not", "[client]") {
  FakePeer peer(answer_floats({{kSoc, 0.5f}}));
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  REQUIRE(h.read(kSoc)->ok());  // connected and proven
  peer.send_to_all(concat({device_reply(kLoad, float_bytes(1234.5f)),
                           corrupt_crc(wire(Command::kResponse, kVoltage, float_bytes(52.0f))),
                           device_reply(kVoltage, hex_bytes("4250")),    // truncated
                           device_reply(0x12345678, float_bytes(1.0f)),  // not in the registry
                           wire(Command::kRead, kSoc, {})}));            // an echoed READ
  REQUIRE(h.run_until([&] { return h.observer.dropped.size() >= 3; }));
  REQUIRE(h.observer.unsolicited.size() == 1);
  CHECK(h.observer.unsolicited[0].oid == kLoad);
  CHECK(value_of(h.observer.unsolicited[0]) == 1234.5f);
  REQUIRE(h.observer.frame_errors.size() == 1);
  CHECK(h.observer.frame_errors[0] == rct::DecodeOutcome::kCrcMismatch);
  CHECK(h.observer.dropped ==
        std::vector<rct::client::FrameVerdict>{rct::client::FrameVerdict::kTruncated,
                                               rct::client::FrameVerdict::kUnknownOid,
                                               rct::client::FrameVerdict::kNotResponse});
}

TEST_CASE("after the peer drops the link, requests fail and the client reconnects", "[client]") {
  std::atomic<int> reads{0};
  FakePeer peer([&](const Frame& f, std::size_t connection) {
    if (connection == 0 && reads++ == 1) return FakePeer::Reply{{}, 0, true};  // hang up
    return reply(device_reply(f.oid, kSocPayload));
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  REQUIRE(h.read(kSoc)->ok());
  CHECK(h.observer.link_up == 1);

  auto lost = h.read(kSoc);
  REQUIRE(lost);
  REQUIRE_FALSE(lost->ok());
  CHECK(lost->error() == ClientError::kDisconnected);
  CHECK(h.observer.link_down == 1);
  REQUIRE(h.observer.down_reasons.size() == 1);
  CHECK(h.observer.down_reasons[0] == LinkDownReason::kClosedByPeer);

  REQUIRE(h.wait_state(ClientState::kConnected));
  auto again = h.read(kSoc);
  REQUIRE(again);
  REQUIRE(again->ok());
  CHECK(value_of(**again) == 0.29985150694847107f);
  CHECK(peer.connections_accepted() == 2);
  CHECK(h.observer.link_up == 2);
  CHECK(h.observer.link_down == 1);
}

TEST_CASE("connection refused gives one link-down event; the client comes back with the port",
          "[client]") {
  FakePeer peer(answer_floats({{kSoc, 0.25f}}));
  peer.stop_listening();  // night: the endpoint is gone
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  REQUIRE(h.run_until([&] { return h.observer.retry_delays.size() >= 6; }));
  CHECK(h.observer.link_down == 1);
  CHECK(h.observer.link_up == 0);
  REQUIRE(h.observer.down_reasons.size() == 1);
  CHECK(h.observer.down_reasons[0] == LinkDownReason::kConnectFailed);
  // Capped exponential backoff: 20, 40, 80, 80, ... ms.
  CHECK(h.observer.retry_delays[0] == std::chrono::milliseconds(20));
  CHECK(h.observer.retry_delays[1] == std::chrono::milliseconds(40));
  for (auto d : h.observer.retry_delays) CHECK(d <= std::chrono::milliseconds(80));

  // While the link is down, requests are refused at once rather than queued for minutes.
  if (h.client->state() == ClientState::kBackoff) {
    auto r = h.read(kSoc);
    REQUIRE(r);
    REQUIRE_FALSE(r->ok());
    CHECK((r->error() == ClientError::kNotConnected || r->error() == ClientError::kDisconnected));
  }

  peer.listen_again();
  REQUIRE(h.wait_state(ClientState::kConnected));
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK(value_of(**r) == 0.25f);
  CHECK(h.observer.link_down == 1);
  CHECK(h.observer.link_up == 1);
}

TEST_CASE("a host name is resolved; a name that does not resolve fails the request", "[client]") {
  FakePeer peer(answer_floats({{kSoc, 0.125f}}));
  auto options = fast_options(peer.port());
  options.host = "localhost";
  ClientHarness h(options);
  h.client->start();
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK(value_of(**r) == 0.125f);

  options.host = "no-such-host.invalid";
  ClientHarness bad(options);
  bad.client->start();
  auto failed = bad.read(kSoc);
  REQUIRE(failed);
  REQUIRE_FALSE(failed->ok());
  CHECK(failed->error() == ClientError::kDisconnected);
  REQUIRE(bad.observer.down_reasons.size() == 1);
  CHECK((bad.observer.down_reasons[0] == LinkDownReason::kResolveFailed ||
         bad.observer.down_reasons[0] == LinkDownReason::kConnectTimeout));
}

TEST_CASE("a request queued while connecting is sent once connected", "[client]") {
  FakePeer peer(answer_floats({{kSoc, 0.75f}}));
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  REQUIRE(h.client->state() == ClientState::kConnecting);
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK(value_of(**r) == 0.75f);
}

TEST_CASE("too many timeouts in a row close and reopen the connection", "[client]") {
  FakePeer peer([](const Frame& f, std::size_t connection) {
    if (connection == 0 && f.oid != kSoc) return FakePeer::Reply{};  // stuck after one answer
    return reply(device_reply(f.oid, float_bytes(3.0f)));
  });
  auto options = fast_options(peer.port());
  options.retries = 0;
  options.request_timeout = 100ms;
  options.max_consecutive_timeouts = 3;
  ClientHarness h(options);
  h.client->start();
  REQUIRE(h.read(kSoc)->ok());
  for (int i = 0; i < 3; ++i) {
    auto r = h.read(kVoltage);
    REQUIRE(r);
    REQUIRE_FALSE(r->ok());
    CHECK(r->error() == ClientError::kTimeout);
  }
  REQUIRE(h.run_until([&] { return h.observer.link_down == 1; }));
  CHECK(h.observer.down_reasons[0] == LinkDownReason::kTooManyTimeouts);
  REQUIRE(h.wait_state(ClientState::kConnected));
  auto r = h.read(kVoltage);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK(value_of(**r) == 3.0f);
  CHECK(peer.connections_accepted() == 2);
}

TEST_CASE("a peer that accepts and then stays silent is reconnected after the silence timeout",
          "[client]") {
  FakePeer peer([](const Frame&, std::size_t) { return FakePeer::Reply{}; });
  auto options = fast_options(peer.port());
  options.silence_timeout = 200ms;
  ClientHarness h(options);
  h.client->start();
  REQUIRE(h.run_until([&] { return peer.connections_accepted() >= 2; }));
  REQUIRE(h.observer.link_down == 1);
  CHECK(h.observer.down_reasons[0] == LinkDownReason::kSilence);
  CHECK(h.observer.timeouts == 0);
  CHECK(peer.requests().empty());  // nothing was asked, so no timeout rule can have fired
  CHECK(h.observer.link_up == 0);
}

TEST_CASE("too many frame errors close and reopen the connection", "[client]") {
  FakePeer peer([](const Frame& f, std::size_t connection) {
    if (connection == 0) {
      const auto bad = corrupt_crc(wire(Command::kResponse, f.oid, float_bytes(9.0f)));
      return reply(concat({bad, bad, bad, bad, bad}));
    }
    return reply(device_reply(f.oid, float_bytes(9.0f)));
  });
  auto options = fast_options(peer.port());
  options.max_frame_errors = 5;
  ClientHarness h(options);
  h.client->start();
  auto first = h.read(kSoc);
  REQUIRE(first);
  REQUIRE_FALSE(first->ok());
  CHECK(first->error() == ClientError::kDisconnected);
  CHECK(h.observer.down_reasons.at(0) == LinkDownReason::kTooManyFrameErrors);
  CHECK(h.observer.frame_errors.size() == 5);
  REQUIRE(h.wait_state(ClientState::kConnected));
  auto r = h.read(kSoc);
  REQUIRE(r);
  REQUIRE(r->ok());
  CHECK(value_of(**r) == 9.0f);
}

TEST_CASE("with a window of 3, replies in any order reach their own requests", "[client]") {
  std::mutex m;
  std::vector<std::uint32_t> pending;
  FakePeer peer([&](const Frame& f, std::size_t) {
    std::lock_guard lock(m);
    pending.push_back(f.oid);
    if (pending.size() < 3) return FakePeer::Reply{};
    std::vector<std::uint8_t> out;
    for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
      const float v = *it == kSoc ? 0.5f : *it == kVoltage ? 50.0f : 700.0f;
      const auto b = device_reply(*it, float_bytes(v));
      out.insert(out.end(), b.begin(), b.end());
    }
    pending.clear();
    return reply(out);
  });
  auto options = fast_options(peer.port());
  options.window = 3;
  ClientHarness h(options);
  h.client->start();
  std::map<std::uint32_t, float> got;
  for (std::uint32_t oid : {kSoc, kVoltage, kLoad}) {
    h.client->read(oid, [&, oid](rct::Result<Reading, ClientError> r) {
      CHECK(r.ok());
      if (!r.ok()) return;
      CHECK(r->oid == oid);
      got[oid] = value_of(*r);
    });
  }
  REQUIRE(h.run_until([&] { return got.size() == 3; }));
  CHECK(got[kSoc] == 0.5f);
  CHECK(got[kVoltage] == 50.0f);
  CHECK(got[kLoad] == 700.0f);
  CHECK(peer.requests().size() == 3);
}

TEST_CASE("a plant read is completed only by the addressed device's answer", "[client]") {
  constexpr std::uint32_t kFollower = 0x12345678;
  FakePeer peer([](const Frame& f, std::size_t) {
    if (f.command != Command::kPlantRead) return FakePeer::Reply{};
    return reply(
        concat({device_reply(f.oid, float_bytes(0.1f), Command::kPlantResponse, 0x0BADCAFE),
                device_reply(f.oid, float_bytes(0.5f), Command::kPlantResponse, *f.address)}));
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  std::optional<rct::Result<Reading, ClientError>> out;
  h.client->read_plant(kFollower, kSoc, [&](auto r) { out = std::move(r); });
  REQUIRE(h.run_until([&] { return out.has_value(); }));
  REQUIRE(out->ok());
  CHECK((*out)->address == std::optional<std::uint32_t>(kFollower));
  CHECK(value_of(**out) == 0.5f);
  REQUIRE(h.observer.unsolicited.size() == 1);
  CHECK(h.observer.unsolicited[0].address == std::optional<std::uint32_t>(0x0BADCAFE));
  REQUIRE(peer.requests().size() == 1);
  CHECK(peer.requests()[0] == Frame{Command::kPlantRead, kFollower, kSoc, {}});
}

namespace {

// A device history of 5-minute samples; answers T with the newest `page` samples at or before T.
struct SeriesDevice {
  std::vector<rct::TimeSeriesPoint> samples;
  std::size_t page = 8;

  std::vector<std::uint8_t> answer(std::uint32_t t) const {
    rct::TimeSeries ts;
    ts.query_timestamp = t;
    std::vector<rct::TimeSeriesPoint> older;
    for (const auto& p : samples) {
      if (p.timestamp <= t) older.push_back(p);
    }
    const std::size_t n = std::min(page, older.size());
    ts.points.assign(older.end() - static_cast<std::ptrdiff_t>(n), older.end());
    return rct::encode_timeseries(ts);
  }
};

}  // namespace

TEST_CASE("a time-series query pages backwards and returns the range without duplicates",
          "[client]") {
  SeriesDevice dev;
  const std::uint32_t first = 1'700'000'000;
  for (std::uint32_t i = 0; i < 30; ++i) dev.samples.push_back({first + i * 300, 0.01f * i});
  std::mutex m;
  std::map<std::uint32_t, int> cut_once;  // T → answers so far
  FakePeer peer([&](const Frame& f, std::size_t) {
    if (f.command != Command::kWrite || f.oid != kSocLog) return FakePeer::Reply{};
    const std::uint32_t t = query_time(f);
    auto payload = dev.answer(t);
    std::lock_guard lock(m);
    // docs/protocol.md §9.6
    if (cut_once[t]++ == 0 && payload.size() > 12) payload.resize(payload.size() - 3);
    return reply(device_reply(kSocLog, payload, Command::kLongResponse));
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  const std::uint32_t from = first + 5 * 300;
  const std::uint32_t to = first + 29 * 300;
  std::optional<rct::Result<rct::TimeSeries, ClientError>> out;
  h.client->query_timeseries(kSocLog, from, to, [&](auto r) { out = std::move(r); });
  REQUIRE(h.run_until([&] { return out.has_value(); }, 20s));
  REQUIRE(out->ok());
  const rct::TimeSeries& ts = **out;
  REQUIRE(ts.points.size() == 25);
  for (std::size_t i = 0; i < ts.points.size(); ++i) {
    INFO("point " << i);
    CHECK(ts.points[i] == dev.samples[i + 5]);
  }
  // Every T was asked twice (the first answer was cut), newest first, each T an oldest sample.
  std::vector<std::uint32_t> asked;
  for (const Frame& f : peer.requests()) asked.push_back(query_time(f));
  REQUIRE(asked.size() >= 2);
  CHECK(asked[0] == to);
  CHECK(asked[1] == to);
  for (std::size_t i = 2; i < asked.size(); i += 2) {
    CHECK(asked[i] < asked[i - 2]);
    CHECK(asked[i] == asked[i + 1]);
  }
  CHECK(h.client->stats().truncated == asked.size() / 2);
}

TEST_CASE("an event-table query pages backwards through the event log", "[client]") {
  const std::vector<rct::EventEntry> events{
      {0x76, 1'699'000'000, 1'699'000'050, 0, 0},
      {0x5A, 1'699'500'000, 1'699'500'100, 3, 0},
      {0x73, 1'699'500'000, 0x8FC89B10, 0, 5},
      {0x59, 1'699'800'000, 1'699'800'010, 0, 0},
      {0x77, 1'699'900'000, 0, 1, 2},
  };
  FakePeer peer([&](const Frame& f, std::size_t) {
    if (f.command != Command::kWrite || f.oid != kEventLog) return FakePeer::Reply{};
    const std::uint32_t t = query_time(f);
    rct::EventTable table{t, {}};
    for (auto it = events.rbegin(); it != events.rend() && table.entries.size() < 3; ++it) {
      if (it->timestamp <= t) table.entries.push_back(*it);
    }
    return reply(device_reply(kEventLog, rct::encode_event_table(table), Command::kLongResponse));
  });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  std::optional<rct::Result<rct::EventTable, ClientError>> out;
  h.client->query_events(1'600'000'000, 1'700'000'000, [&](auto r) { out = std::move(r); });
  REQUIRE(h.run_until([&] { return out.has_value(); }, 10s));
  REQUIRE(out->ok());
  const auto& entries = (*out)->entries;
  REQUIRE(entries.size() == 5);
  CHECK(entries[0] == events[0]);
  CHECK(entries[4] == events[4]);
  CHECK(std::count(entries.begin(), entries.end(), events[1]) == 1);
  CHECK(std::count(entries.begin(), entries.end(), events[2]) == 1);
  CHECK(peer.requests().size() == 3);
  CHECK((*out)->query_timestamp == 1'700'000'000u);
}

TEST_CASE("a write goes out as a WRITE frame and reports when it was sent", "[client]") {
  FakePeer peer([](const Frame&, std::size_t) { return FakePeer::Reply{}; });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  std::optional<rct::Result<void, ClientError>> out;
  h.client->write(kStrategy, hex_bytes("04"), [&](auto r) { out = r; });
  REQUIRE(h.run_until([&] { return out.has_value(); }));
  CHECK(out->ok());
  REQUIRE(h.run_until([&] { return peer.requests().size() == 1; }));
  CHECK(peer.requests()[0] == Frame{Command::kWrite, std::nullopt, kStrategy, hex_bytes("04")});
}

TEST_CASE("stop cancels outstanding requests and nothing runs after the client is gone",
          "[client]") {
  FakePeer peer([](const Frame&, std::size_t) { return FakePeer::Reply{}; });
  ClientHarness h(fast_options(peer.port()));
  h.client->start();
  std::vector<ClientError> errors;
  REQUIRE(h.wait_state(ClientState::kConnected));
  h.client->read(kSoc, [&](auto r) { errors.push_back(r.error()); });
  h.client->read(kVoltage, [&](auto r) { errors.push_back(r.error()); });
  REQUIRE(h.run_until([&] { return !peer.requests().empty(); }));
  h.client.reset();  // destruction stops the client
  REQUIRE(h.run_until([&] { return errors.size() == 2; }));
  CHECK(errors == std::vector<ClientError>{ClientError::kCancelled, ClientError::kCancelled});
  h.io.run_for(50ms);  // stale socket and timer handlers must find nothing to touch
}

TEST_CASE("under random faults, every reading handed up is one the peer sent intact", "[client]") {
  const std::vector<std::uint32_t> oids{kSoc, kVoltage, kLoad};
  std::mutex m;
  std::map<std::uint32_t, std::set<std::vector<std::uint8_t>>> intact;  // oid → payloads sent whole
  std::mt19937 rng(20240601);
  FakePeer peer([&](const Frame& f, std::size_t) {
    std::lock_guard lock(m);
    std::uniform_real_distribution<float> value(0.0f, 1000.0f);
    auto good = [&](std::uint32_t oid) {
      auto payload = float_bytes(value(rng));
      intact[oid].insert(payload);
      return device_reply(oid, payload);
    };
    FakePeer::Reply r;
    switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
      case 0:  // silence (lost answer)
        break;
      case 1:  // truncated with a valid CRC, then nothing
        r.bytes = device_reply(f.oid, hex_bytes("4480"));
        break;
      case 2:  // a corrupted CRC, then the good answer
        r.bytes = concat(
            {corrupt_crc(wire(Command::kResponse, f.oid, float_bytes(value(rng)))), good(f.oid)});
        break;
      case 3:  // another OID's answer first
        r.bytes = concat({good(oids[(f.oid + 1) % oids.size()]), good(f.oid)});
        break;
      case 4:  // garbage, then the answer in single bytes
        r.bytes = concat({hex_bytes("2b2d2b0012"), good(f.oid)});
        r.chunk = 1;
        break;
      case 5:  // the start of an answer cut off by the next frame (docs/protocol.md §7.2 resync)
        r.bytes = concat({std::vector<std::uint8_t>{0x2B, 0x05, 0x08, 0x95}, good(f.oid)});
        break;
      case 6:  // a cut reply for the OID, then an intact one
        r.bytes = concat({device_reply(f.oid, hex_bytes("42")), good(f.oid)});
        break;
      default:
        r.bytes = good(f.oid);
        break;
    }
    return r;
  });
  auto options = fast_options(peer.port());
  options.request_timeout = 120ms;
  options.window = 2;
  ClientHarness h(options);
  h.client->start();
  std::vector<Reading> solicited;
  int done = 0;
  int failed = 0;
  constexpr int kReads = 90;
  for (int i = 0; i < kReads; ++i) {
    const std::uint32_t oid = oids[static_cast<std::size_t>(i) % oids.size()];
    h.client->read(oid, [&, oid](rct::Result<Reading, ClientError> r) {
      ++done;
      if (!r.ok()) {
        ++failed;
        return;
      }
      CHECK(r->oid == oid);
      solicited.push_back(*r);
    });
  }
  REQUIRE(h.run_until([&] { return done == kReads; }, 60s));
  std::lock_guard lock(m);
  auto sent_intact = [&](const Reading& r) {
    auto bytes = rct::encode_value(rct::DataType::kFloat, r.value);
    return bytes.ok() && intact[r.oid].count(*bytes) == 1;
  };
  for (const Reading& r : solicited) CHECK(sent_intact(r));
  for (const Reading& r : h.observer.unsolicited) CHECK(sent_intact(r));
  CHECK(solicited.size() + static_cast<std::size_t>(failed) == kReads);
  CHECK(solicited.size() >= kReads * 3 / 4);  // retries recover most lost answers
  CHECK(h.client->stats().truncated > 0);
  CHECK(h.client->stats().frame_errors > 0);
}
