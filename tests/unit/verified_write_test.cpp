// The verified-write state machine on virtual time against a scripted device: no sockets, no
// clock. Every test checks which frames would have gone out, WRITEs above all.
#include "core/client/verified_write.h"

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "core/hex.h"
#include "core/write_allowlist.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::EnumValue;
using rct::InputUnit;
using rct::RejectReason;
using rct::Value;
using rct::client::ClientError;
using rct::client::TimePoint;
using rct::client::UnverifiedCause;
using rct::client::VerifiedWrite;
using rct::client::VerifyOptions;
using rct::client::WriteRequest;
using rct::client::WriteStatus;
using Kind = VerifiedWrite::Step::Kind;

namespace {

constexpr auto kReadTime = 30ms;  // virtual time one READ takes

// A device as the machine sees it: current values, a WRITE that becomes readable after a number
// of read-backs (or never), reads that fail.
struct ScriptedDevice {
  std::map<std::uint32_t, Value> values = {
      {rct::kOidBatteryStatus, Value(std::int32_t{0})},
      {rct::kOidBatteryStatus2, Value(std::int32_t{0})},
      {rct::kOidBatterySoc, Value(0.6f)},
      {rct::kOidSocStrategy, Value(EnumValue{4})},
      {rct::kOidBatteryPowerExtern, Value(0.0f)},
      {rct::kOidSocMin, Value(0.07f)},
      {rct::kOidSocMax, Value(0.97f)},
      {rct::kOidSocMinIsland, Value(0.07f)},
  };
  std::optional<unsigned> applied_after_readbacks = 0;  // nullopt: ignores writes (busy)
  std::set<std::uint32_t> unreadable;                   // READs of these time out
  std::optional<ClientError> write_error;               // the WRITE cannot be sent

  // What happened, in order.
  std::vector<std::uint32_t> reads;
  std::vector<std::vector<std::uint8_t>> writes;
  std::vector<TimePoint> write_times;
  std::optional<Value> pending;
  std::uint32_t pending_oid = 0;
  unsigned readbacks_since_write = 0;

  rct::Result<Value, ClientError> read(std::uint32_t oid) {
    reads.push_back(oid);
    if (unreadable.count(oid) != 0) return ClientError::kTimeout;
    if (pending && oid == pending_oid) {
      ++readbacks_since_write;
      if (applied_after_readbacks && readbacks_since_write > *applied_after_readbacks) {
        values[oid] = *pending;
        pending.reset();
      }
    }
    return values.at(oid);
  }
};

struct Run {
  rct::client::WriteOutcome outcome;
  std::vector<Kind> steps;
  TimePoint end{};
};

Run run(VerifiedWrite& m, ScriptedDevice& device, TimePoint t0, const Value* written_value) {
  Run r;
  TimePoint t = t0;
  VerifiedWrite::Step step = m.start(t);
  for (int guard = 0; guard < 1000 && step.kind != Kind::kDone; ++guard) {
    r.steps.push_back(step.kind);
    switch (step.kind) {
      case Kind::kRead: {
        t += kReadTime;
        auto result = device.read(step.oid);
        step = m.on_read(step.oid, result, t);
        break;
      }
      case Kind::kWrite:
        device.writes.push_back(step.payload);
        device.write_times.push_back(t);
        if (device.write_error) {
          step = m.on_sent(*device.write_error, t);
          break;
        }
        if (written_value != nullptr && device.applied_after_readbacks) {
          device.pending = *written_value;
          device.pending_oid = step.oid;
          device.readbacks_since_write = 0;
        }
        step = m.on_sent({}, t);
        break;
      case Kind::kWait:
        REQUIRE(step.until >= t);
        t = step.until;
        step = m.on_timer(t);
        break;
      case Kind::kDone:
      case Kind::kNone:
        FAIL("unexpected step");
    }
  }
  REQUIRE(step.kind == Kind::kDone);
  REQUIRE(m.done());
  r.outcome = m.outcome();
  r.end = t;
  return r;
}

VerifyOptions fast() {
  VerifyOptions o;
  o.readback_delay = 300ms;
  o.readback_interval = 200ms;
  o.readback_attempts = 3;
  o.resends = 1;
  return o;
}

WriteRequest request(std::uint32_t oid, std::string text, InputUnit unit = InputUnit::kUser) {
  WriteRequest r;
  r.oid = oid;
  r.value = std::move(text);
  r.unit = unit;
  return r;
}

const TimePoint kWriteStart{};

}  // namespace

TEST_CASE("a write the device takes at once is verified by the first read-back",
          "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  VerifiedWrite m(request(rct::kOidSocMin, "20"), policy, limiter, fast());
  ScriptedDevice device;
  const Value v(0.2f);
  const Run r = run(m, device, kWriteStart, &v);

  CHECK(r.outcome.status == WriteStatus::kVerified);
  CHECK(r.outcome.writes_sent == 1);
  CHECK(r.outcome.readbacks == 1);
  REQUIRE(r.outcome.readback.has_value());
  CHECK(*r.outcome.readback == Value(0.2f));
  REQUIRE(device.writes.size() == 1);
  CHECK(rct::to_hex(device.writes[0]) == "3e4ccccd");
  // Fresh interlock reads first (soc_max, battery.soc, soc_min), then the WRITE, then one READ.
  CHECK(device.reads == std::vector<std::uint32_t>{rct::kOidSocMax, rct::kOidBatterySoc,
                                                   rct::kOidSocMin, rct::kOidSocMin});
  CHECK(r.outcome.interlock_values.size() == 3);
  CHECK(r.steps == std::vector<Kind>{Kind::kRead, Kind::kRead, Kind::kRead, Kind::kWrite,
                                     Kind::kWait, Kind::kRead});
  // The read-back waited for the delay after the WRITE.
  CHECK(r.end == device.write_times[0] + 300ms + kReadTime);
  CHECK(r.outcome.message.find("power_mng.soc_min = 20 % (0.2") != std::string::npos);
  CHECK(r.outcome.message.find("verified after 1 read-back") != std::string::npos);
  // The rate limiter recorded the WRITE.
  CHECK(limiter.remaining(rct::kOidSocMin, device.write_times[0] + 1s).has_value());
}

TEST_CASE("a value that becomes readable late is verified by a later read-back",
          "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  VerifiedWrite m(request(rct::find_writable_key("grid_charging")->oid, "ON"), policy, limiter,
                  fast());
  ScriptedDevice device;
  device.values[rct::find_writable_key("grid_charging")->oid] = Value(false);
  device.applied_after_readbacks = 2;  // two read-backs still see the old value
  const Value v(true);
  const Run r = run(m, device, kWriteStart, &v);
  CHECK(r.outcome.status == WriteStatus::kVerified);
  CHECK(r.outcome.writes_sent == 1);
  CHECK(r.outcome.readbacks == 3);
  CHECK(r.outcome.interlock_values.empty());
  // delay, then two intervals between the three read-backs
  CHECK(r.end == device.write_times[0] + 300ms + 3 * kReadTime + 2 * 200ms);
}

TEST_CASE("a device that ignores writes leaves the write unverified after one resend",
          "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  VerifiedWrite m(request(rct::kOidSocMax, "90"), policy, limiter, fast());
  ScriptedDevice device;
  device.applied_after_readbacks.reset();  // busy
  const Run r = run(m, device, kWriteStart, nullptr);
  CHECK(r.outcome.status == WriteStatus::kUnverified);
  REQUIRE(r.outcome.cause.has_value());
  CHECK(*r.outcome.cause == UnverifiedCause::kMismatch);
  CHECK(r.outcome.writes_sent == 2);
  CHECK(r.outcome.readbacks == 6);
  CHECK(device.writes.size() == 2);
  CHECK(device.writes[0] == device.writes[1]);
  REQUIRE(r.outcome.readback.has_value());
  CHECK(*r.outcome.readback == Value(0.97f));  // the last value the device reported
  CHECK(r.outcome.message.find("still reports 97 %") != std::string::npos);
  CHECK(r.outcome.message.find("after 2 writes and 6 read-backs") != std::string::npos);
}

TEST_CASE("unanswered read-backs leave the write unverified without a value", "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  auto options = fast();
  options.resends = 0;
  const std::uint32_t oid = rct::find_writable_key("soc_target")->oid;
  VerifiedWrite m(request(oid, "55"), policy, limiter, options);
  ScriptedDevice device;
  device.values[oid] = Value(0.5f);
  device.unreadable.insert(oid);
  const Value v(0.55f);
  const Run r = run(m, device, kWriteStart, &v);
  CHECK(r.outcome.status == WriteStatus::kUnverified);
  CHECK(*r.outcome.cause == UnverifiedCause::kNoAnswer);
  CHECK(r.outcome.writes_sent == 1);
  CHECK(r.outcome.readbacks == 3);
  CHECK_FALSE(r.outcome.readback.has_value());
  CHECK(r.outcome.message.find("no read-back answered (timeout)") != std::string::npos);
}

TEST_CASE("a WRITE the client cannot send ends unverified as not sent", "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  VerifiedWrite m(request(rct::kOidBatteryPowerExtern, "0"), policy, limiter, fast());
  ScriptedDevice device;
  device.write_error = ClientError::kNotConnected;
  const Run r = run(m, device, kWriteStart, nullptr);
  CHECK(r.outcome.status == WriteStatus::kUnverified);
  CHECK(*r.outcome.cause == UnverifiedCause::kNotSent);
  CHECK(r.outcome.writes_sent == 0);
  CHECK(device.reads.empty());  // 0 W needs no interlock read, and no read-back follows
  CHECK(r.outcome.message.find("not sent (not connected)") != std::string::npos);
}

TEST_CASE("every refusal finishes before a WRITE is handed out", "[verified_write]") {
  rct::WriteRateLimiter limiter(10s);
  const rct::WritePolicy every = rct::allow_every_writable();
  const rct::WritePolicy disabled;
  struct Row {
    int line;
    const rct::WritePolicy* policy;
    std::uint32_t oid;
    const char* text;
    RejectReason reason;
    std::size_t reads;  // interlock reads made before the refusal
  };
  const Row rows[] = {
      {__LINE__, &every, rct::kOidComService, "5", RejectReason::kNotAllowlisted, 0},
      {__LINE__, &disabled, rct::kOidSocMin, "20", RejectReason::kWritesDisabled, 0},
      {__LINE__, &every, rct::kOidSocMin, "101", RejectReason::kOutOfRange, 0},
      {__LINE__, &every, rct::kOidSocMin, "20.5", RejectReason::kBadStep, 0},
      {__LINE__, &every, rct::kOidSocStrategy, "Turbo", RejectReason::kBadEnum, 0},
      {__LINE__, &every, rct::kOidSocMin, "x", RejectReason::kUnparseable, 0},
      {__LINE__, &every, rct::kOidBatteryPowerExtern, "1000", RejectReason::kInterlock, 3},
      {__LINE__, &every, rct::kOidSocMin, "70", RejectReason::kInterlock, 3},
  };
  for (const Row& row : rows) {
    INFO("verified_write_test.cpp:" << row.line);
    VerifiedWrite m(request(row.oid, row.text), *row.policy, limiter, fast());
    ScriptedDevice device;
    const Run r = run(m, device, kWriteStart, nullptr);
    CHECK(r.outcome.status == WriteStatus::kRejected);
    REQUIRE(r.outcome.rejection.has_value());
    CHECK(r.outcome.rejection->reason == row.reason);
    CHECK(r.outcome.message == r.outcome.rejection->message);
    CHECK(device.writes.empty());
    CHECK(device.reads.size() == row.reads);
    CHECK(r.outcome.writes_sent == 0);
  }
  // Nothing was recorded by the limiter either.
  CHECK_FALSE(limiter.remaining(rct::kOidSocMin, kWriteStart).has_value());
}

TEST_CASE("an interlock value that cannot be read refuses the write and names the error",
          "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  VerifiedWrite m(request(rct::kOidSocStrategy, "External"), policy, limiter, fast());
  ScriptedDevice device;
  device.unreadable.insert(rct::kOidBatteryStatus);
  const Run r = run(m, device, kWriteStart, nullptr);
  CHECK(r.outcome.status == WriteStatus::kRejected);
  CHECK(r.outcome.rejection->reason == RejectReason::kInterlock);
  CHECK(r.outcome.message.find("battery.bat_status could not be read") != std::string::npos);
  CHECK(r.outcome.message.find("timeout") != std::string::npos);
  CHECK(device.writes.empty());
}

TEST_CASE(
    "a second write to the same OID within the interval is rate limited unless it is a "
    "safety revert",
    "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  ScriptedDevice device;
  device.values[rct::kOidSocStrategy] = Value(EnumValue{2});
  const Value zero(0.0f);
  {
    VerifiedWrite first(request(rct::kOidBatteryPowerExtern, "-1000"), policy, limiter, fast());
    const Value v(-1000.0f);
    CHECK(run(first, device, kWriteStart, &v).outcome.status == WriteStatus::kVerified);
  }
  {
    VerifiedWrite again(request(rct::kOidBatteryPowerExtern, "-500"), policy, limiter, fast());
    const Run r = run(again, device, kWriteStart + 5s, nullptr);
    CHECK(r.outcome.status == WriteStatus::kRejected);
    CHECK(r.outcome.rejection->reason == RejectReason::kRateLimited);
    CHECK(device.writes.size() == 1);
  }
  {
    WriteRequest revert;
    revert.oid = rct::kOidBatteryPowerExtern;
    revert.value = 0.0;
    revert.unit = InputUnit::kWire;
    revert.safety_revert = true;
    VerifiedWrite m(revert, policy, limiter, fast());
    const Run r = run(m, device, kWriteStart + 6s, &zero);
    CHECK(r.outcome.status == WriteStatus::kVerified);
    CHECK(device.writes.size() == 2);
    CHECK(rct::to_hex(device.writes[1]) == "00000000");
  }
}

TEST_CASE("a dry run reads the interlock values and writes nothing", "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  auto options = fast();
  options.dry_run = true;
  VerifiedWrite m(request(rct::kOidSocStrategy, "2", InputUnit::kWire), policy, limiter, options);
  ScriptedDevice device;
  const Run r = run(m, device, kWriteStart, nullptr);
  CHECK(r.outcome.status == WriteStatus::kDryRun);
  CHECK(device.writes.empty());
  CHECK(device.reads == std::vector<std::uint32_t>{rct::kOidBatteryStatus, rct::kOidBatteryStatus2,
                                                   rct::kOidBatteryPowerExtern});
  REQUIRE(r.outcome.write.has_value());
  CHECK(rct::to_hex(r.outcome.write->payload) == "02");
  CHECK(r.outcome.message.find("External (2)") != std::string::npos);
  CHECK(r.outcome.message.find("nothing written") != std::string::npos);
  CHECK_FALSE(limiter.remaining(rct::kOidSocStrategy, kWriteStart).has_value());
}

TEST_CASE("events that do not fit the state are ignored and an early timer waits on",
          "[verified_write]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  rct::WriteRateLimiter limiter(10s);
  VerifiedWrite m(request(rct::kOidSocMax, "90"), policy, limiter, fast());
  CHECK(m.on_timer(kWriteStart).kind == Kind::kNone);
  CHECK(m.on_sent({}, kWriteStart).kind == Kind::kNone);
  auto step = m.start(kWriteStart);
  REQUIRE(step.kind == Kind::kRead);
  CHECK(m.start(kWriteStart).kind == Kind::kNone);
  CHECK(m.on_read(rct::kOidBatterySoc, Value(0.5f), kWriteStart).kind == Kind::kNone);  // not asked
  step = m.on_read(rct::kOidSocMin, Value(0.07f), kWriteStart);
  REQUIRE(step.kind == Kind::kRead);
  CHECK(step.oid == rct::kOidSocMinIsland);
  step = m.on_read(rct::kOidSocMinIsland, Value(0.07f), kWriteStart);
  REQUIRE(step.kind == Kind::kWrite);
  step = m.on_sent({}, kWriteStart);
  REQUIRE(step.kind == Kind::kWait);
  const TimePoint due = step.until;
  auto early = m.on_timer(due - 1ms);
  CHECK(early.kind == Kind::kWait);
  CHECK(early.until == due);
  CHECK(m.on_read(rct::kOidSocMax, Value(0.9f), due).kind == Kind::kNone);  // no READ asked yet
  step = m.on_timer(due);
  REQUIRE(step.kind == Kind::kRead);
  step = m.on_read(rct::kOidSocMax, Value(0.9f), due + 10ms);
  CHECK(step.kind == Kind::kDone);
  CHECK(m.outcome().status == WriteStatus::kVerified);
  CHECK(rct::client::write_status_name(m.outcome().status) == "verified");
}
