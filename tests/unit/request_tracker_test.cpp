#include "core/client/request_tracker.h"

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/hex.h"
#include "core/registry.h"
#include "core/value_codec.h"
#include "tests/support/bytes.h"
#include "tests/support/catch.h"
#include "tests/support/test_registry.h"

using namespace std::chrono_literals;
using rct::Command;
using rct::client::ClientError;
using rct::client::Dispatch;
using rct::client::FrameVerdict;
using rct::client::FrameView;
using rct::client::Request;
using rct::client::RequestId;
using rct::client::RequestKind;
using rct::client::RequestTracker;
using rct::client::TimePoint;
using rct::client::TrackerOptions;
using rct::test::hex_bytes;

namespace {

constexpr std::uint32_t kSoc = 0x959930BF;       // battery.soc, FLOAT
constexpr std::uint32_t kVoltage = 0x65EED11B;   // battery.voltage, FLOAT
constexpr std::uint32_t kStrategy = 0xF168B748;  // power_mng.soc_strategy, ENUM
constexpr std::uint32_t kSocLog = 0x5293B668;    // logger.minutes_soc_log_ts, TIMESERIES
constexpr std::uint32_t kUnregistered = 0x12345678;

// Virtual time: an arbitrary origin on the steady clock's scale, never the real clock.
constexpr TimePoint kT0 = TimePoint{} + 1000h;

TrackerOptions options(std::size_t window = 1, unsigned retries = 2) {
  TrackerOptions o;
  o.window = window;
  o.timeout = 2s;
  o.retries = retries;
  o.max_queued = 16;
  return o;
}

RequestId submit_read(RequestTracker& t, std::uint32_t oid,
                      std::optional<std::uint32_t> address = std::nullopt) {
  auto id = t.submit(Request{RequestKind::kRead, oid, address, {}});
  REQUIRE(id.ok());
  return *id;
}

std::vector<std::uint8_t> float_payload(float v) {
  auto p = rct::encode_value(rct::DataType::kFloat, v);
  REQUIRE(p.ok());
  return *p;
}

std::vector<std::uint8_t> int32_payload(std::int32_t v) {
  auto p = rct::encode_value(rct::DataType::kInt32, v);
  REQUIRE(p.ok());
  return *p;
}

FrameView response(std::uint32_t oid, const std::vector<std::uint8_t>& payload,
                   Command command = Command::kResponse,
                   std::optional<std::uint32_t> address = std::nullopt) {
  return FrameView{command, address, oid, payload};
}

}  // namespace

TEST_CASE("a read goes out as a READ frame and the matching response completes it",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  const RequestId id = submit_read(t, kSoc);
  auto d = t.next_dispatch(kT0);
  REQUIRE(d);
  CHECK(d->id == id);
  CHECK(d->attempt == 1);
  CHECK(rct::to_hex(d->wire) == "2b0104959930bf0d65");
  CHECK(t.in_flight() == 1);
  CHECK(t.next_deadline() == kT0 + 2s);

  const auto payload = hex_bytes("3e97b191");
  auto r = t.on_frame(response(kSoc, payload), kT0 + 60ms);
  CHECK(r.verdict == FrameVerdict::kCompleted);
  REQUIRE(r.request);
  CHECK(*r.request == id);
  REQUIRE(r.reading);
  CHECK(r.reading->solicited);
  CHECK(r.reading->oid == kSoc);
  REQUIRE(r.reading->info != nullptr);
  CHECK(r.reading->info->name == "battery.soc");
  CHECK(r.reading->received == kT0 + 60ms);
  CHECK(std::get<float>(r.reading->value) == 0.296276599168777466f);
  CHECK(t.in_flight() == 0);
  CHECK(!t.next_deadline());
  CHECK(t.stats().completed == 1);
  // The reply time lands in the latency histogram: 60 ms is in (50 ms, 100 ms].
  CHECK(t.stats().latency.total == 1);
  CHECK(t.stats().latency.counts[4] == 1);
  CHECK(t.stats().latency.sum_micros == 60'000);
}

TEST_CASE("a long response completes a read as well as a short one", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  auto r = t.on_frame(response(kSoc, float_payload(0.5f), Command::kLongResponse), kT0);
  CHECK(r.verdict == FrameVerdict::kCompleted);
}

TEST_CASE("the window bounds the requests awaiting a reply", "[request_tracker]") {
  SECTION("window 1 sends the next request only after the previous one completed") {
    RequestTracker t(rct::test::test_registry(), options(1));
    submit_read(t, kSoc);
    submit_read(t, kVoltage);
    REQUIRE(t.next_dispatch(kT0));
    CHECK(!t.next_dispatch(kT0));
    CHECK(t.queued() == 1);
    CHECK(t.on_frame(response(kSoc, float_payload(0.5f)), kT0).verdict == FrameVerdict::kCompleted);
    auto d = t.next_dispatch(kT0 + 1s);
    REQUIRE(d);
    CHECK(d->oid == kVoltage);
    CHECK(t.next_deadline() == kT0 + 3s);
  }
  SECTION("window 3 sends three at once and no more") {
    RequestTracker t(rct::test::test_registry(), options(3));
    for (std::uint32_t oid : {kSoc, kVoltage, kStrategy, 0x1AC87AA0u}) submit_read(t, oid);
    CHECK(t.next_dispatch(kT0));
    CHECK(t.next_dispatch(kT0));
    CHECK(t.next_dispatch(kT0));
    CHECK(!t.next_dispatch(kT0));
    CHECK(t.in_flight() == 3);
    CHECK(t.queued() == 1);
  }
}

TEST_CASE("a passed deadline retries a bounded number of times, then fails the request",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options(1, 2));
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  CHECK(t.expire(kT0 + 1999ms).empty());

  auto x = t.expire(kT0 + 2s);
  REQUIRE(x.size() == 1);
  CHECK(x[0].id == id);
  CHECK(x[0].will_retry);
  CHECK(t.in_flight() == 0);
  auto d = t.next_dispatch(kT0 + 2s);
  REQUIRE(d);
  CHECK(d->attempt == 2);

  x = t.expire(kT0 + 4s);
  REQUIRE(x.size() == 1);
  CHECK(x[0].will_retry);
  d = t.next_dispatch(kT0 + 4s);
  REQUIRE(d);
  CHECK(d->attempt == 3);

  x = t.expire(kT0 + 6s);
  REQUIRE(x.size() == 1);
  CHECK_FALSE(x[0].will_retry);
  CHECK(!t.next_dispatch(kT0 + 6s));
  CHECK(t.in_flight() == 0);
  CHECK(t.queued() == 0);
  CHECK(t.consecutive_timeouts() == 3);
  CHECK(t.stats().sent == 3);
  CHECK(t.stats().retries == 2);
  CHECK(t.stats().timeouts == 3);
  CHECK(t.stats().gave_up == 1);
  CHECK(t.stats().latency.total == 0);  // a request given up has no reply time
}

TEST_CASE("a retry goes out before requests queued after it", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options(1, 1));
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  submit_read(t, kVoltage);
  REQUIRE(t.expire(kT0 + 2s).size() == 1);
  auto d = t.next_dispatch(kT0 + 2s);
  REQUIRE(d);
  CHECK(d->oid == kSoc);
}

TEST_CASE("a completed request resets the consecutive-timeout counter", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options(1, 5));
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  REQUIRE(t.expire(kT0 + 2s).size() == 1);
  REQUIRE(t.next_dispatch(kT0 + 2s));
  REQUIRE(t.expire(kT0 + 4s).size() == 1);
  CHECK(t.consecutive_timeouts() == 2);
  REQUIRE(t.next_dispatch(kT0 + 4s));
  CHECK(t.on_frame(response(kSoc, float_payload(0.25f)), kT0 + 5s).verdict ==
        FrameVerdict::kCompleted);
  CHECK(t.consecutive_timeouts() == 0);
  CHECK(t.stats().timeouts == 2);
}

TEST_CASE("a reply with a valid CRC but a truncated payload never completes a request",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options(1, 5));
  const RequestId id = submit_read(t, kSoc);
  unsigned attempt = 1;
  for (const char* cut : {"", "3e", "3e97", "3e97b1", "3e97b19100"}) {
    INFO("payload " << cut);
    auto d = t.next_dispatch(kT0);
    REQUIRE(d);
    CHECK(d->attempt == attempt++);
    auto r = t.on_frame(response(kSoc, hex_bytes(cut)), kT0 + 10ms);
    CHECK(r.verdict == FrameVerdict::kTruncated);
    REQUIRE(r.request);
    CHECK(*r.request == id);
    REQUIRE(r.bad_reply);
    CHECK(r.bad_reply->will_retry);
    CHECK(!r.reading);
    CHECK(t.in_flight() == 0);
    CHECK(t.queued() == 1);
  }
  CHECK(t.stats().truncated == 5);
  CHECK(t.stats().completed == 0);

  // Sent again at once each time; an intact reply then completes it.
  REQUIRE(t.next_dispatch(kT0 + 20ms));
  auto r = t.on_frame(response(kSoc, hex_bytes("3e97b191")), kT0 + 100ms);
  CHECK(r.verdict == FrameVerdict::kCompleted);
  CHECK(*r.request == id);
  CHECK(std::get<float>(r.reading->value) == 0.296276599168777466f);
}

TEST_CASE("a truncated time-series answer is dropped and the query goes out again at once",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  const std::int32_t when = 1700000000;
  auto id = t.submit(Request{RequestKind::kQuery, kSocLog, std::nullopt, int32_payload(when)});
  REQUIRE(id.ok());
  auto d = t.next_dispatch(kT0);
  REQUIRE(d);
  CHECK(rct::to_hex(d->wire) == "2b02085293b6686553f100b9cb");
  // Echo + one sample + half a sample: 4 + 8 + 4 bytes does not fit 4 + 8k.
  auto r = t.on_frame(response(kSocLog,
                               hex_bytes("6553f100"
                                         "6553ef0c3f000000"
                                         "6553f038"),
                               Command::kLongResponse),
                      kT0);
  CHECK(r.verdict == FrameVerdict::kTruncated);
  REQUIRE(r.request);
  CHECK(*r.request == *id);
  REQUIRE(r.bad_reply);
  CHECK(r.bad_reply->will_retry);
  CHECK(t.in_flight() == 0);
  auto again = t.next_dispatch(kT0);
  REQUIRE(again);
  CHECK(again->id == *id);
  CHECK(again->attempt == 2);
  CHECK(again->wire == d->wire);
}

TEST_CASE("a reply for another OID is handed up as unsolicited, never as the requested value",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  auto r = t.on_frame(response(kVoltage, float_payload(51.5f)), kT0 + 5ms);
  CHECK(r.verdict == FrameVerdict::kUnsolicited);
  CHECK(!r.request);
  REQUIRE(r.reading);
  CHECK_FALSE(r.reading->solicited);
  CHECK(r.reading->oid == kVoltage);
  CHECK(std::get<float>(r.reading->value) == 51.5f);
  CHECK(t.in_flight() == 1);
  CHECK(t.stats().unsolicited == 1);

  r = t.on_frame(response(kSoc, float_payload(0.75f)), kT0 + 6ms);
  CHECK(r.verdict == FrameVerdict::kCompleted);
  CHECK(*r.request == id);
  CHECK(std::get<float>(r.reading->value) == 0.75f);
}

TEST_CASE("another client's truncated reply is dropped, not handed up", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  auto r = t.on_frame(response(kVoltage, hex_bytes("4250")), kT0);
  CHECK(r.verdict == FrameVerdict::kTruncated);
  CHECK(!r.request);
  CHECK(!r.reading);
}

TEST_CASE("frames that are no responses or name unknown OIDs are dropped", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  // The device echoes read requests under load (docs/protocol.md §17.8).
  CHECK(t.on_frame(FrameView{Command::kRead, std::nullopt, kSoc, {}}, kT0).verdict ==
        FrameVerdict::kNotResponse);
  const auto payload = hex_bytes("04");
  CHECK(t.on_frame(FrameView{Command::kWrite, std::nullopt, kStrategy, payload}, kT0).verdict ==
        FrameVerdict::kNotResponse);
  CHECK(t.on_frame(response(kUnregistered, float_payload(1.0f)), kT0).verdict ==
        FrameVerdict::kUnknownOid);
  CHECK(t.in_flight() == 1);
  CHECK(t.stats().not_response == 2);
  CHECK(t.stats().unknown_oid == 1);
}

TEST_CASE("an OID outside the registry read by id completes with its raw bytes",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  submit_read(t, kUnregistered);
  REQUIRE(t.next_dispatch(kT0));
  auto r = t.on_frame(response(kUnregistered, hex_bytes("010203")), kT0);
  CHECK(r.verdict == FrameVerdict::kCompleted);
  REQUIRE(r.reading);
  CHECK(r.reading->info == nullptr);
  CHECK(std::get<rct::RawBytes>(r.reading->value).bytes == hex_bytes("010203"));
}

TEST_CASE("plant replies complete a plant read only from the addressed device",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  const RequestId id = submit_read(t, kSoc, 0x12345678);
  auto d = t.next_dispatch(kT0);
  REQUIRE(d);
  CHECK(rct::to_hex(d->wire) == "2b410812345678959930bfd2cd");
  const auto half = float_payload(0.5f);

  auto r = t.on_frame(response(kSoc, half, Command::kPlantResponse, 0x11111111), kT0);
  CHECK(r.verdict == FrameVerdict::kUnsolicited);
  CHECK(r.reading->address == std::optional<std::uint32_t>(0x11111111));
  r = t.on_frame(response(kSoc, half), kT0);
  CHECK(r.verdict == FrameVerdict::kUnsolicited);
  CHECK(t.in_flight() == 1);

  r = t.on_frame(response(kSoc, half, Command::kPlantResponse, 0x12345678), kT0);
  CHECK(r.verdict == FrameVerdict::kCompleted);
  CHECK(*r.request == id);
  CHECK(r.reading->address == std::optional<std::uint32_t>(0x12345678));
  CHECK(r.reading->command == Command::kPlantResponse);
}

TEST_CASE("a standard read is not completed by a plant reply for the same OID",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  auto r = t.on_frame(response(kSoc, float_payload(0.5f), Command::kPlantLongResponse, 7), kT0);
  CHECK(r.verdict == FrameVerdict::kUnsolicited);
  CHECK(t.in_flight() == 1);
}

TEST_CASE("a query is completed only by an answer that echoes its timestamp", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  auto id =
      t.submit(Request{RequestKind::kQuery, kSocLog, std::nullopt, int32_payload(1700000000)});
  REQUIRE(id.ok());
  REQUIRE(t.next_dispatch(kT0));
  // Another client's query of the same series for an earlier T.
  auto r = t.on_frame(response(kSocLog,
                               hex_bytes("6553e000"
                                         "6553df0c3f000000"),
                               Command::kLongResponse),
                      kT0);
  CHECK(r.verdict == FrameVerdict::kUnsolicited);
  CHECK(t.in_flight() == 1);
  r = t.on_frame(response(kSocLog,
                          hex_bytes("6553f100"
                                    "6553ef0c3f000000"
                                    "6553f0383f051eb8"),
                          Command::kLongResponse),
                 kT0);
  CHECK(r.verdict == FrameVerdict::kCompleted);
  CHECK(*r.request == *id);
  const auto& ts = std::get<rct::TimeSeries>(r.reading->value);
  CHECK(ts.query_timestamp == 1700000000u);
  REQUIRE(ts.points.size() == 2);
  CHECK(ts.points[1].timestamp == 1700000000u - 200);
}

TEST_CASE("requests that cannot be sent are refused at submission", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  SECTION("a query needs a time-series or event-table OID") {
    auto id = t.submit(Request{RequestKind::kQuery, kSoc, std::nullopt, int32_payload(1)});
    REQUIRE_FALSE(id.ok());
    CHECK(id.error() == ClientError::kInvalidRequest);
  }
  SECTION("a query carries exactly one INT32") {
    auto id = t.submit(Request{RequestKind::kQuery, kSocLog, std::nullopt, hex_bytes("01")});
    REQUIRE_FALSE(id.ok());
    CHECK(id.error() == ClientError::kInvalidRequest);
  }
  SECTION("a write larger than a long frame carries") {
    auto id = t.submit(
        Request{RequestKind::kWrite, kStrategy, std::nullopt, std::vector<std::uint8_t>(70000, 0)});
    REQUIRE_FALSE(id.ok());
    CHECK(id.error() == ClientError::kInvalidRequest);
  }
  CHECK(t.queued() == 0);
}

TEST_CASE("the queue of waiting requests is bounded", "[request_tracker]") {
  TrackerOptions o = options();
  o.max_queued = 2;
  RequestTracker t(rct::test::test_registry(), o);
  submit_read(t, kSoc);
  submit_read(t, kVoltage);
  auto id = t.submit(Request{RequestKind::kRead, kStrategy, std::nullopt, {}});
  REQUIRE_FALSE(id.ok());
  CHECK(id.error() == ClientError::kQueueFull);
  REQUIRE(t.next_dispatch(kT0));
  CHECK(t.submit(Request{RequestKind::kRead, kStrategy, std::nullopt, {}}).ok());
}

TEST_CASE("a later request for the same OID never overtakes or joins an earlier one",
          "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options(3));
  const RequestId first = submit_read(t, kSoc);
  const RequestId second = submit_read(t, kSoc);
  submit_read(t, kVoltage);
  auto d1 = t.next_dispatch(kT0);
  auto d2 = t.next_dispatch(kT0);
  REQUIRE(d1);
  REQUIRE(d2);
  CHECK(d1->id == first);
  CHECK(d2->oid == kVoltage);
  CHECK(!t.next_dispatch(kT0));  // window has room, but the second soc read must wait
  auto r = t.on_frame(response(kSoc, float_payload(0.5f)), kT0);
  CHECK(*r.request == first);
  auto d3 = t.next_dispatch(kT0);
  REQUIRE(d3);
  CHECK(d3->id == second);
}

TEST_CASE("a write leaves the tracker once dispatched and expects no reply", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  auto id = t.submit(Request{RequestKind::kWrite, kStrategy, std::nullopt, hex_bytes("04")});
  REQUIRE(id.ok());
  submit_read(t, kStrategy);
  auto d = t.next_dispatch(kT0);
  REQUIRE(d);
  CHECK(d->kind == RequestKind::kWrite);
  CHECK(rct::to_hex(d->wire) == "2b0205f168b74804d0e6");
  CHECK(t.in_flight() == 0);
  auto read = t.next_dispatch(kT0);  // the read-back follows the write
  REQUIRE(read);
  CHECK(read->kind == RequestKind::kRead);
  CHECK(read->oid == kStrategy);
}

TEST_CASE("fail_all ends queued and in-flight requests with the given error", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  const RequestId a = submit_read(t, kSoc);
  const RequestId b = submit_read(t, kVoltage);
  REQUIRE(t.next_dispatch(kT0));
  auto failed = t.fail_all(ClientError::kDisconnected);
  REQUIRE(failed.size() == 2);
  CHECK(failed[0].id == a);
  CHECK(failed[1].id == b);
  CHECK(failed[0].error == ClientError::kDisconnected);
  CHECK(t.in_flight() == 0);
  CHECK(t.queued() == 0);
  CHECK(!t.next_deadline());
  // A late reply is now somebody else's: handed up, completing nothing.
  CHECK(t.on_frame(response(kSoc, float_payload(0.5f)), kT0).verdict == FrameVerdict::kUnsolicited);
}

TEST_CASE("frame errors count until the next good frame", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options());
  t.note_frame_error();
  t.note_frame_error();
  t.note_frame_error();
  CHECK(t.consecutive_frame_errors() == 3);
  t.on_frame(response(kVoltage, float_payload(50.0f)), kT0);
  CHECK(t.consecutive_frame_errors() == 0);
  t.note_frame_error();
  t.reset_link_counters();
  CHECK(t.consecutive_frame_errors() == 0);
  CHECK(t.stats().frame_errors == 4);
}

TEST_CASE("the earliest deadline among requests in flight is reported", "[request_tracker]") {
  RequestTracker t(rct::test::test_registry(), options(2));
  submit_read(t, kSoc);
  submit_read(t, kVoltage);
  REQUIRE(t.next_dispatch(kT0));
  REQUIRE(t.next_dispatch(kT0 + 500ms));
  CHECK(t.next_deadline() == kT0 + 2s);
  auto x = t.expire(kT0 + 2s);
  REQUIRE(x.size() == 1);
  CHECK(x[0].oid == kSoc);
  CHECK(t.next_deadline() == kT0 + 2500ms);
}

namespace {

using rct::client::DamagedFrame;

// A tracker whose waits follow the link: ceiling 2 s, floor 500 ms.
TrackerOptions link_options(unsigned retries = 2) {
  TrackerOptions o = options(1, retries);
  o.timeout_floor = 500ms;
  return o;
}

// Reads `oid` once, answered `reply_time` after `at`: one sample for the estimate.
void answered_read(RequestTracker& t, std::uint32_t oid, TimePoint at,
                   rct::client::Duration reply_time) {
  const RequestId id = submit_read(t, oid);
  auto d = t.next_dispatch(at);
  REQUIRE(d);
  REQUIRE(d->id == id);
  auto r = t.on_frame(response(oid, float_payload(0.5f)), at + reply_time);
  REQUIRE(r.verdict == FrameVerdict::kCompleted);
}

// Steady 200 ms replies until the estimate rests on the floor.
void settle_on_floor(RequestTracker& t) {
  for (int i = 0; i < 10; ++i) answered_read(t, kVoltage, kT0 + i * 1s, 200ms);
  REQUIRE(t.estimator().timeout() == 500ms);
}

}  // namespace

TEST_CASE("a read's deadline follows the reply times once a reply was timed",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options());
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  CHECK(t.next_deadline() == kT0 + 2s);  // nothing timed yet: the ceiling
  REQUIRE(t.on_frame(response(kSoc, float_payload(0.5f)), kT0 + 200ms).verdict ==
          FrameVerdict::kCompleted);
  CHECK(t.estimator().smoothed() == rct::client::Duration(200ms));

  submit_read(t, kVoltage);
  REQUIRE(t.next_dispatch(kT0 + 1s));
  CHECK(t.next_deadline() == kT0 + 1s + 600ms);  // 200 ms + 4 × 100 ms

  TrackerOptions ceiling_only = options();
  RequestTracker old(rct::test::test_registry(), ceiling_only);
  answered_read(old, kSoc, kT0, 200ms);
  submit_read(old, kVoltage);
  REQUIRE(old.next_dispatch(kT0 + 1s));
  CHECK(old.next_deadline() == kT0 + 3s);  // no floor set: every wait is the ceiling
}

TEST_CASE("a lost reply costs the estimate, and the last attempt waits the full ceiling",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  settle_on_floor(t);
  const TimePoint t1 = kT0 + 1h;
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(t1));
  CHECK(t.next_deadline() == t1 + 500ms);
  CHECK(t.expire(t1 + 499ms).empty());
  auto x = t.expire(t1 + 500ms);
  REQUIRE(x.size() == 1);
  CHECK(x[0].will_retry);
  CHECK(t.consecutive_timeouts() == 0);  // a short wait judges the reply lost, not the device
  CHECK(t.stats().short_timeouts == 1);

  // Attempt 2: the wait that passed doubled the estimate.
  auto d = t.next_dispatch(t1 + 500ms);
  REQUIRE(d);
  CHECK(d->attempt == 2);
  CHECK(t.next_deadline() == t1 + 1500ms);
  REQUIRE(t.expire(t1 + 1500ms).size() == 1);

  // Attempt 3 is the last: the full ceiling, and its timeout counts.
  d = t.next_dispatch(t1 + 1500ms);
  REQUIRE(d);
  CHECK(d->attempt == 3);
  CHECK(t.next_deadline() == t1 + 3500ms);
  x = t.expire(t1 + 3500ms);
  REQUIRE(x.size() == 1);
  CHECK(x[0].id == id);
  CHECK_FALSE(x[0].will_retry);
  CHECK(t.consecutive_timeouts() == 1);
  CHECK(t.stats().timeouts == 3);
  CHECK(t.stats().short_timeouts == 2);
  CHECK(t.stats().gave_up == 1);
}

TEST_CASE("a stalling device lets the full ceiling pass every time before it is judged dead",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  settle_on_floor(t);
  TimePoint now = kT0 + 1h;
  unsigned full_waits = 0;
  // Nothing answers any more. Count the ceiling-long waits until ten count as timeouts in a row.
  while (t.consecutive_timeouts() < 10) {
    if (t.in_flight() == 0 && t.queued() == 0) submit_read(t, kSoc);
    auto d = t.next_dispatch(now);
    REQUIRE(d);
    const TimePoint deadline = *t.next_deadline();
    if (deadline - now == 2s) ++full_waits;
    now = deadline;
    REQUIRE(t.expire(now).size() == 1);
    REQUIRE(t.consecutive_timeouts() == full_waits);
  }
  CHECK(full_waits == 10);
  CHECK(t.stats().gave_up >= 4);
  // The doubling brought even the first attempts up to the ceiling.
  CHECK(t.estimator().timeout() == 2s);
}

TEST_CASE("Karn's rule: the reply to a re-sent request is no sample", "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  REQUIRE(t.expire(kT0 + 2s).size() == 1);
  REQUIRE(t.next_dispatch(kT0 + 2s));
  // The late reply to the first send, or the reply to the second: nobody can tell.
  REQUIRE(t.on_frame(response(kSoc, float_payload(0.5f)), kT0 + 2050ms).verdict ==
          FrameVerdict::kCompleted);
  CHECK(!t.estimator().smoothed());
  CHECK(t.estimator().timeout() == 2s);

  // A request sent once is a sample.
  answered_read(t, kVoltage, kT0 + 3s, 300ms);
  CHECK(t.estimator().smoothed() == rct::client::Duration(300ms));
}

TEST_CASE("history queries and a new connection wait the full ceiling", "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options());
  settle_on_floor(t);
  auto id =
      t.submit(Request{RequestKind::kQuery, kSocLog, std::nullopt, int32_payload(1700000000)});
  REQUIRE(id.ok());
  REQUIRE(t.next_dispatch(kT0 + 1h));
  CHECK(t.next_deadline() == kT0 + 1h + 2s);
  t.fail_all(ClientError::kDisconnected);

  t.reset_link_counters();
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0 + 2h));
  CHECK(t.next_deadline() == kT0 + 2h + 2s);
}

TEST_CASE("our reply cut short is asked for again at once, as an attempt",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  auto r = t.on_frame(response(kSoc, hex_bytes("3e97")), kT0 + 200ms);
  CHECK(r.verdict == FrameVerdict::kTruncated);
  REQUIRE(r.request);
  CHECK(*r.request == id);
  REQUIRE(r.bad_reply);
  CHECK(r.bad_reply->will_retry);
  CHECK(!r.reading);
  // No deadline to wait for: the request is next on the wire, before anything queued later.
  submit_read(t, kVoltage);
  CHECK(!t.next_deadline());
  auto d = t.next_dispatch(kT0 + 200ms);
  REQUIRE(d);
  CHECK(d->id == id);
  CHECK(d->attempt == 2);
  CHECK(t.stats().resent == 1);
  CHECK(t.stats().bad_replies == 1);
  CHECK(t.stats().retries == 0);
  CHECK(t.stats().timeouts == 0);
  r = t.on_frame(response(kSoc, hex_bytes("3e97b191")), kT0 + 400ms);
  CHECK(r.verdict == FrameVerdict::kCompleted);
  CHECK(!t.estimator().smoothed());  // answered on the second send: no sample
}

TEST_CASE("our reply with a CRC error is asked for again at once", "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  const auto payload = hex_bytes("3e97b191");
  auto bad = t.on_damaged_frame(DamagedFrame{Command::kResponse, std::nullopt, kSoc, payload}, kT0);
  REQUIRE(bad);
  CHECK(bad->id == id);
  CHECK(bad->oid == kSoc);
  CHECK(bad->will_retry);
  CHECK(t.in_flight() == 0);
  auto d = t.next_dispatch(kT0 + 200ms);
  REQUIRE(d);
  CHECK(d->id == id);
  CHECK(d->attempt == 2);
  CHECK(t.stats().resent == 1);

  // A long response for a plant read from its device counts the same way.
  const RequestId plant = submit_read(t, kVoltage, 0x1234);
  REQUIRE(t.on_frame(response(kSoc, payload), kT0 + 300ms).verdict == FrameVerdict::kCompleted);
  REQUIRE(t.next_dispatch(kT0 + 300ms));
  bad =
      t.on_damaged_frame(DamagedFrame{Command::kPlantLongResponse, 0x1234, kVoltage, payload}, kT0);
  REQUIRE(bad);
  CHECK(bad->id == plant);
}

TEST_CASE(
    "with a second request of ours in flight a reply known bad waits for its deadline: our own "
    "request may have cut it",
    "[request_tracker][link]") {
  TrackerOptions o = link_options(2);
  o.window = 2;
  RequestTracker t(rct::test::test_registry(), o);
  const RequestId first = submit_read(t, kSoc);
  submit_read(t, kVoltage);
  REQUIRE(t.next_dispatch(kT0));
  REQUIRE(t.next_dispatch(kT0 + 10ms));
  REQUIRE(t.in_flight() == 2);
  auto r = t.on_frame(response(kSoc, hex_bytes("3e97")), kT0 + 200ms);
  CHECK(r.verdict == FrameVerdict::kTruncated);
  REQUIRE(r.request);
  CHECK(*r.request == first);
  CHECK(!r.bad_reply);
  const auto payload = hex_bytes("3e97b191");
  CHECK(!t.on_damaged_frame(DamagedFrame{Command::kResponse, std::nullopt, kVoltage, payload},
                            kT0 + 300ms));
  CHECK(t.in_flight() == 2);
  CHECK(t.stats().resent == 0);
  CHECK(t.next_deadline());
  CHECK(!t.next_dispatch(kT0 + 300ms));
}

TEST_CASE("another client's cut or broken frame never sends our request again",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  const auto payload = hex_bytes("3e97b191");
  // Cut, with a valid CRC, for another OID.
  auto r = t.on_frame(response(kVoltage, hex_bytes("42")), kT0 + 100ms);
  CHECK(r.verdict == FrameVerdict::kTruncated);
  CHECK(!r.request);
  // Broken, for another OID; for our OID from another plant device or as a plain reply to a
  // plant read; an echoed READ of our OID with a broken CRC.
  CHECK(
      !t.on_damaged_frame(DamagedFrame{Command::kResponse, std::nullopt, kVoltage, payload}, kT0));
  CHECK(!t.on_damaged_frame(DamagedFrame{Command::kPlantResponse, 0x99, kSoc, payload}, kT0));
  CHECK(!t.on_damaged_frame(DamagedFrame{Command::kRead, std::nullopt, kSoc, {}}, kT0));
  CHECK(t.in_flight() == 1);
  CHECK(!t.next_dispatch(kT0 + 100ms));
  CHECK(t.stats().resent == 0);
  CHECK(t.stats().bad_replies == 0);
  // Our request still waits for its own reply.
  CHECK(t.on_frame(response(kSoc, payload), kT0 + 200ms).verdict == FrameVerdict::kCompleted);
}

TEST_CASE("a broken answer to another client's query of the same series is not ours",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options());
  auto id =
      t.submit(Request{RequestKind::kQuery, kSocLog, std::nullopt, int32_payload(1700000000)});
  REQUIRE(id.ok());
  REQUIRE(t.next_dispatch(kT0));
  const auto other = hex_bytes(
      "6553e000"
      "6553df0c3f000000");
  CHECK(
      !t.on_damaged_frame(DamagedFrame{Command::kLongResponse, std::nullopt, kSocLog, other}, kT0));
  const auto cut_other = hex_bytes(
      "6553e000"
      "6553df0c3f00");
  CHECK(t.on_frame(response(kSocLog, cut_other, Command::kLongResponse), kT0).verdict ==
        FrameVerdict::kTruncated);
  CHECK(t.in_flight() == 1);
  const auto ours = hex_bytes(
      "6553f100"
      "6553ef0c3f000000");
  // Ours, once that client has been quiet for over a minute (before, a shared link: see below).
  auto bad = t.on_damaged_frame(DamagedFrame{Command::kLongResponse, std::nullopt, kSocLog, ours},
                                kT0 + 61s);
  REQUIRE(bad);
  CHECK(bad->id == *id);
}

TEST_CASE("replies known bad stay within the retry bound", "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0));
  auto r = t.on_frame(response(kSoc, hex_bytes("3e")), kT0 + 200ms);
  REQUIRE(r.bad_reply);
  CHECK(r.bad_reply->will_retry);
  REQUIRE(t.next_dispatch(kT0 + 200ms));
  auto bad = t.on_damaged_frame(DamagedFrame{Command::kResponse, std::nullopt, kSoc, {}}, kT0);
  REQUIRE(bad);
  CHECK(bad->will_retry);
  auto d = t.next_dispatch(kT0 + 400ms);
  REQUIRE(d);
  CHECK(d->attempt == 3);
  r = t.on_frame(response(kSoc, hex_bytes("3e97b1")), kT0 + 600ms);
  CHECK(r.verdict == FrameVerdict::kTruncated);
  REQUIRE(r.request);
  CHECK(*r.request == id);
  REQUIRE(r.bad_reply);
  CHECK_FALSE(r.bad_reply->will_retry);  // three sends, three bad replies: the request has failed
  CHECK(!t.next_dispatch(kT0 + 600ms));
  CHECK(t.in_flight() == 0);
  CHECK(t.queued() == 0);
  CHECK(t.stats().sent == 3);
  CHECK(t.stats().resent == 2);
  CHECK(t.stats().bad_replies == 3);
  CHECK(t.stats().gave_up == 1);
  CHECK(t.consecutive_timeouts() == 0);  // the device answered every time
}

TEST_CASE("on a link shared with another client a bad reply waits for its deadline",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  // Another client's answer: the link is shared, and a cut is most likely its request's doing.
  REQUIRE(t.on_frame(response(kVoltage, float_payload(51.0f)), kT0).verdict ==
          FrameVerdict::kUnsolicited);
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0 + 10ms));
  auto r = t.on_frame(response(kSoc, hex_bytes("3e97")), kT0 + 100ms);
  CHECK(r.verdict == FrameVerdict::kTruncated);
  REQUIRE(r.request);
  CHECK(*r.request == id);
  CHECK(!r.bad_reply);
  CHECK(!t.on_damaged_frame(DamagedFrame{Command::kResponse, std::nullopt, kSoc, {}}, kT0 + 150ms));
  CHECK(t.in_flight() == 1);
  CHECK(!t.next_dispatch(kT0 + 150ms));
  CHECK(t.stats().resent == 0);
  // The deadline sends it again (nothing timed yet: the ceiling).
  REQUIRE(t.expire(kT0 + 2010ms).size() == 1);
  auto d = t.next_dispatch(kT0 + 2010ms);
  REQUIRE(d);
  CHECK(d->attempt == 2);
}

TEST_CASE("a client heard more than a minute ago no longer holds a re-request back",
          "[request_tracker][link]") {
  RequestTracker t(rct::test::test_registry(), link_options(2));
  REQUIRE(t.on_frame(response(kVoltage, float_payload(51.0f)), kT0).verdict ==
          FrameVerdict::kUnsolicited);
  const RequestId id = submit_read(t, kSoc);
  REQUIRE(t.next_dispatch(kT0 + 61s));
  auto r = t.on_frame(response(kSoc, hex_bytes("3e")), kT0 + 61s + 200ms);
  REQUIRE(r.bad_reply);
  CHECK(r.bad_reply->will_retry);
  auto d = t.next_dispatch(kT0 + 61s + 200ms);
  REQUIRE(d);
  CHECK(d->id == id);
  CHECK(d->attempt == 2);
}
