// Verified writes (core/client/verified_writer.h) against the embedded simulator over loopback
// TCP: the simulator applies a write only after its write delay, can drop replies, ignore writes
// (busy) and reboot. What the client put on the wire is checked in the simulator's record of
// received frames. Every wait has a deadline; nothing sleeps.
#include <chrono>
#include <optional>
#include <string>

#include "core/client/client.h"
#include "core/client/verified_writer.h"
#include "core/hex.h"
#include "core/value_codec.h"
#include "core/write_allowlist.h"
#include "daemon/dead_man_timer.h"
#include "tests/integration/client_harness.h"
#include "tests/integration/simulator_harness.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::Command;
using rct::EnumValue;
using rct::InputUnit;
using rct::RejectReason;
using rct::Value;
using rct::client::UnverifiedCause;
using rct::client::VerifiedWriter;
using rct::client::WriteOutcome;
using rct::client::WriteRequest;
using rct::client::WriteStatus;
using rct::sim::FaultKind;
using rct::test::ClientHarness;
using rct::test::RunningSimulator;

namespace {

rct::client::WriterOptions writer_options() {
  rct::client::WriterOptions o;
  o.verify.readback_delay = 100ms;
  o.verify.readback_interval = 100ms;
  o.verify.readback_attempts = 5;
  o.verify.resends = 1;
  o.min_interval = 10s;
  return o;
}

// Simulator, client and writer; the client runs on the test thread (ClientHarness::run_until).
struct Rig {
  explicit Rig(rct::sim::SimulatorOptions sim_options = rct::test::simulator_test_options(),
               unsigned client_retries = 2, rct::WritePolicy policy = rct::allow_every_writable(),
               rct::client::WriterOptions options = writer_options())
      : sim(rct::test::test_registry(), std::move(sim_options)),
        h(client_options(sim->port(), client_retries)),
        writer(h.io, *h.client, std::move(policy), options) {
    h.client->start();
  }

  static rct::client::ClientOptions client_options(std::uint16_t port, unsigned retries) {
    auto o = rct::test::fast_options(port);
    o.request_timeout = 500ms;  // 25 service times: a timeout here was caused by a fault
    o.retries = retries;
    return o;
  }

  WriteOutcome write(WriteRequest request) {
    std::optional<WriteOutcome> out;
    writer.submit(std::move(request), [&](const WriteOutcome& o) { out = o; });
    REQUIRE(h.run_until([&] { return out.has_value(); }, 20s));
    return *out;
  }
  WriteOutcome write(std::uint32_t oid, std::string text, InputUnit unit = InputUnit::kUser) {
    WriteRequest r;
    r.oid = oid;
    r.value = std::move(text);
    r.unit = unit;
    return write(std::move(r));
  }

  Value read(std::uint32_t oid) {
    auto r = h.read(oid);
    REQUIRE(r.has_value());
    REQUIRE(r->ok());
    return (*r)->value;
  }

  // WRITE frames the simulator received for `oid` (any OID for 0).
  std::size_t writes_received(std::uint32_t oid = 0) {
    return sim->received().frames(Command::kWrite, oid).size();
  }

  RunningSimulator sim;
  ClientHarness h;
  VerifiedWriter writer;
};

std::uint32_t oid_of_key(std::string_view key) {
  const rct::WritableEntry* e = rct::find_writable_key(key);
  REQUIRE(e != nullptr);
  return e->oid;
}

}  // namespace

TEST_CASE("a verified write reads back the new value once the simulator has applied it",
          "[verified_write_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.write_delay = 400ms;  // the first read-backs (after 100 ms, 200 ms ...) see 7 %
  Rig rig(options);
  const auto started = std::chrono::steady_clock::now();
  const WriteOutcome o = rig.write(rct::kOidSocMin, "20");
  INFO(o.message);
  REQUIRE(o.status == WriteStatus::kVerified);
  CHECK(o.writes_sent == 1);
  CHECK(o.readbacks >= 2);
  CHECK(std::chrono::steady_clock::now() - started >= 400ms);
  REQUIRE(o.readback.has_value());
  CHECK(*o.readback == Value(0.2f));
  // Interlocks were read fresh from the device.
  CHECK(o.interlock_values.count(rct::kOidSocMax) == 1);
  CHECK(o.interlock_values.count(rct::kOidBatterySoc) == 1);
  // Exactly one WRITE with the expected payload went out.
  const auto writes = rig.sim->received().frames(Command::kWrite);
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].oid == rct::kOidSocMin);
  CHECK(rct::to_hex(writes[0].payload) == "3e4ccccd");
  CHECK(rig.read(rct::kOidSocMin) == Value(0.2f));
}

TEST_CASE("read-backs are retried when the simulator drops their replies",
          "[verified_write_simulator]") {
  Rig rig(rct::test::simulator_test_options(), /*client_retries=*/0);
  const std::uint32_t grid = oid_of_key("grid_charging");
  // No interlock reads for a switch: the next two replies are the first two read-backs.
  RunningSimulator::apply(rig.sim->script_fault(FaultKind::kDrop, 2));
  const WriteOutcome o = rig.write(grid, "ON");
  INFO(o.message);
  REQUIRE(o.status == WriteStatus::kVerified);
  CHECK(o.writes_sent == 1);
  CHECK(o.readbacks == 3);
  CHECK(rig.h.observer.timeouts == 2);
  CHECK(*o.readback == Value(true));
  std::size_t dropped = 0;
  for (const auto& r : rig.sim->sent()) {
    if (r.fault == FaultKind::kDrop && r.requested_oid == grid) ++dropped;
  }
  CHECK(dropped == 2);
}

TEST_CASE("a busy simulator leaves the write unverified after one resend, with the old value",
          "[verified_write_simulator]") {
  auto options = rct::test::simulator_test_options();
  options.busy = true;
  Rig rig(options);
  const std::uint32_t target = oid_of_key("soc_target");
  const WriteOutcome o = rig.write(target, "60");
  INFO(o.message);
  CHECK(o.status == WriteStatus::kUnverified);
  REQUIRE(o.cause.has_value());
  CHECK(*o.cause == UnverifiedCause::kMismatch);
  CHECK(o.writes_sent == 2);
  CHECK(o.readbacks == 10);
  REQUIRE(o.readback.has_value());
  CHECK(*o.readback == Value(0.5f));  // the device default
  CHECK(rig.writes_received(target) == 2);
}

TEST_CASE("a write the busy simulator ignores once is verified after the resend",
          "[verified_write_simulator]") {
  Rig rig;
  RunningSimulator::apply(rig.sim->script_busy(1));
  const WriteOutcome o = rig.write(rct::kOidSocMax, "90");
  INFO(o.message);
  REQUIRE(o.status == WriteStatus::kVerified);
  CHECK(o.writes_sent == 2);
  // Five of the first WRITE, then usually one of the second (a stalled machine may need more).
  CHECK(o.readbacks >= 6);
  CHECK(rig.writes_received(rct::kOidSocMax) == 2);
}

TEST_CASE("no rejection puts a WRITE on the wire, and static ones send nothing at all",
          "[verified_write_simulator]") {
  Rig rig;
  // Static refusals: the simulator receives no frame.
  struct Row {
    int line;
    std::uint32_t oid;
    const char* text;
    RejectReason reason;
  };
  const Row rows[] = {
      {__LINE__, rct::kOidComService, "5", RejectReason::kNotAllowlisted},
      {__LINE__, 0x959930BF, "1", RejectReason::kNotAllowlisted},  // battery.soc: read-only
      {__LINE__, rct::kOidSocMin, "101", RejectReason::kOutOfRange},
      {__LINE__, rct::kOidSocMin, "12.5", RejectReason::kBadStep},
      {__LINE__, rct::kOidSocStrategy, "Turbo", RejectReason::kBadEnum},
      {__LINE__, rct::kOidSocMin, "lots", RejectReason::kUnparseable},
  };
  for (const Row& row : rows) {
    INFO("verified_write_simulator_test.cpp:" << row.line);
    const WriteOutcome o = rig.write(row.oid, row.text);
    CHECK(o.status == WriteStatus::kRejected);
    REQUIRE(o.rejection.has_value());
    CHECK(o.rejection->reason == row.reason);
  }
  CHECK(rig.sim->received().size() == 0);

  // An interlock refusal reads (fresh values) but writes nothing.
  const WriteOutcome interlock = rig.write(rct::kOidBatteryPowerExtern, "1000");
  CHECK(interlock.status == WriteStatus::kRejected);
  CHECK(interlock.rejection->reason == RejectReason::kInterlock);
  CHECK(rig.sim->received().frames(Command::kRead, rct::kOidSocStrategy).size() == 1);
  CHECK(rig.writes_received() == 0);

  // A rate-limited second write sends nothing either.
  REQUIRE(rig.write(rct::kOidSocMax, "90").status == WriteStatus::kVerified);
  const auto frames_before = rig.sim->received().size();
  const WriteOutcome limited = rig.write(rct::kOidSocMax, "91");
  CHECK(limited.status == WriteStatus::kRejected);
  CHECK(limited.rejection->reason == RejectReason::kRateLimited);
  CHECK(rig.sim->received().size() == frames_before);
  CHECK(rig.writes_received() == 1);

  // Writes disabled by policy.
  rig.writer.set_policy(rct::WritePolicy{});
  const WriteOutcome disabled = rig.write(rct::kOidSocMin, "20");
  CHECK(disabled.rejection->reason == RejectReason::kWritesDisabled);
  CHECK(rig.sim->received().size() == frames_before);
}

TEST_CASE(
    "a strategy change is refused while the battery calibrates, allowed at bat_status 1032 and "
    "2048; Internal is always allowed",
    "[verified_write_simulator]") {
  // Current firmware reports 1032 in normal operation (docs/protocol.md §14.2).
  rct::sim::SimulatorOptions options = rct::test::simulator_test_options();
  options.bat_status = 1032;
  options.calibration = rct::sim::Calibration::kDischarge;
  rct::client::WriterOptions quick = writer_options();
  quick.min_interval = 0s;  // three strategy writes in a row
  Rig rig(options, 2, rct::allow_every_writable(), quick);
  REQUIRE(rig.read(rct::kOidBatteryStatus) == Value(std::int32_t{1032}));
  REQUIRE(rig.read(rct::kOidBatteryStatus2) == Value(std::int32_t{1024}));

  const WriteOutcome external = rig.write(rct::kOidSocStrategy, "External");
  INFO(external.message);
  CHECK(external.status == WriteStatus::kRejected);
  CHECK(external.rejection->reason == RejectReason::kInterlock);
  CHECK(external.message ==
        "power_mng.soc_strategy: refused while the battery is calibrating (discharge phase): "
        "battery.status2 bit 10 (1024) is set");
  CHECK(rig.writes_received(rct::kOidSocStrategy) == 0);

  const WriteOutcome internal = rig.write(rct::kOidSocStrategy, "Internal");
  CHECK(internal.status == WriteStatus::kVerified);
  CHECK(rig.writes_received(rct::kOidSocStrategy) == 1);

  // The calibration over, balancing (2048): External goes through.
  RunningSimulator::apply(rig.sim->set_calibration(rct::sim::Calibration::kNone));
  RunningSimulator::apply(rig.sim->set_bat_status(2048));
  const WriteOutcome later = rig.write(rct::kOidSocStrategy, "Constant");
  INFO(later.message);
  CHECK(later.status == WriteStatus::kVerified);
}

TEST_CASE("the dead-man revert writes bring the simulator back to Internal with 0 W",
          "[verified_write_simulator]") {
  Rig rig;
  rct::daemon::DeadManTimer dead_man({/*timeout=*/60s, /*retry_interval=*/10s});
  const rct::daemon::DeadManTimer::TimePoint t0{};  // the dead-man runs on virtual time here

  const WriteOutcome external = rig.write(rct::kOidSocStrategy, "External");
  REQUIRE(external.status == WriteStatus::kVerified);
  dead_man.on_write(rct::kOidSocStrategy, external.write->value, t0);
  const WriteOutcome power = rig.write(rct::kOidBatteryPowerExtern, "-1500");
  REQUIRE(power.status == WriteStatus::kVerified);
  dead_man.on_write(rct::kOidBatteryPowerExtern, power.write->value, t0 + 1s);

  // No refresh: the timer asks for the revert. Both are safety writes: not rate-limited, even
  // though battery_power_extern was written a moment ago.
  const auto reverts = dead_man.poll(t0 + 61s);
  REQUIRE(reverts.size() == 2);
  bool all_verified = true;
  for (const auto& w : reverts) {
    WriteRequest r;
    r.oid = w.oid;
    r.value = w.value;
    r.unit = InputUnit::kWire;
    r.safety_revert = true;
    const WriteOutcome o = rig.write(r);
    INFO(o.message);
    CHECK(o.status == WriteStatus::kVerified);
    all_verified = all_verified && o.status == WriteStatus::kVerified;
  }
  dead_man.on_revert_result(all_verified, t0 + 62s);
  CHECK(dead_man.state() == rct::daemon::DeadManTimer::State::kIdle);
  CHECK(rig.read(rct::kOidSocStrategy) == Value(EnumValue{4}));
  CHECK(rig.read(rct::kOidBatteryPowerExtern) == Value(0.0f));
}

TEST_CASE("safety reverts go out when writes were disabled or set to dry run since, and only they",
          "[verified_write_simulator]") {
  Rig rig;
  REQUIRE(rig.write(rct::kOidSocStrategy, "External").status == WriteStatus::kVerified);
  REQUIRE(rig.write(rct::kOidBatteryPowerExtern, "-1500").status == WriteStatus::kVerified);

  // The operator turns writes off and dry run on (a reload) while the External session runs.
  rig.writer.set_policy(rct::WritePolicy{});
  auto options = writer_options();
  options.verify.dry_run = true;
  rig.writer.set_options(options);
  const WriteOutcome user = rig.write(rct::kOidBatteryPowerExtern, "-1000");
  CHECK(user.rejection->reason == RejectReason::kWritesDisabled);

  const auto revert = [&](std::uint32_t oid, double wire) {
    WriteRequest r;
    r.oid = oid;
    r.value = wire;
    r.unit = InputUnit::kWire;
    r.safety_revert = true;
    return rig.write(std::move(r));
  };
  const WriteOutcome power = revert(rct::kOidBatteryPowerExtern, 0.0);
  INFO(power.message);
  CHECK(power.status == WriteStatus::kVerified);
  const WriteOutcome strategy = revert(rct::kOidSocStrategy, rct::kStrategyInternal);
  INFO(strategy.message);
  CHECK(strategy.status == WriteStatus::kVerified);
  CHECK(rig.writes_received() == 4);
  // The revert policy holds the dead-man's two OIDs and nothing else.
  const WriteOutcome other = revert(rct::kOidSocMin, 0.2);
  CHECK(other.status == WriteStatus::kRejected);
  CHECK(other.rejection->reason == RejectReason::kNotAllowlisted);
  CHECK(rig.writes_received() == 4);
}

TEST_CASE("new writer options apply to the next write: dry run and rate limit",
          "[verified_write_simulator]") {
  Rig rig;
  auto options = writer_options();
  options.verify.dry_run = true;
  rig.writer.set_options(options);
  CHECK(rig.write(rct::kOidSocMax, "90").status == WriteStatus::kDryRun);
  CHECK(rig.writes_received() == 0);

  options.verify.dry_run = false;
  options.min_interval = 1h;
  rig.writer.set_options(options);
  REQUIRE(rig.write(rct::kOidSocMax, "90").status == WriteStatus::kVerified);
  const WriteOutcome limited = rig.write(rct::kOidSocMax, "91");
  CHECK(limited.rejection->reason == RejectReason::kRateLimited);
  options.min_interval = 0s;
  rig.writer.set_options(options);
  CHECK(rig.write(rct::kOidSocMax, "91").status == WriteStatus::kVerified);
  CHECK(rig.writes_received() == 2);
}

TEST_CASE("a verified write is volatile: the simulator's reboot reverts it",
          "[verified_write_simulator]") {
  Rig rig;
  REQUIRE(rig.write(rct::kOidSocMax, "90").status == WriteStatus::kVerified);
  CHECK(rig.read(rct::kOidSocMax) == Value(0.9f));
  RunningSimulator::apply(rig.sim->reboot());
  // The client notices the closed connection, reconnects, and reads the default again.
  REQUIRE(rig.h.run_until(
      [&] {
        auto r = rig.h.read(rct::kOidSocMax);
        return r && r->ok() && (*r)->value == Value(0.97f);
      },
      10s));
  CHECK(rig.h.observer.link_down >= 1);
}

TEST_CASE("writes are queued and run one after another in submission order",
          "[verified_write_simulator]") {
  Rig rig;
  std::vector<std::string> done;
  for (const char* key : {"soc_max", "soc_target", "grid_charging"}) {
    WriteRequest r;
    r.oid = oid_of_key(key);
    r.value = std::string(key == std::string("grid_charging") ? "ON" : "88");
    rig.writer.submit(r, [&done, key](const WriteOutcome& o) {
      if (o.status == WriteStatus::kVerified) done.push_back(key);
    });
  }
  CHECK(rig.writer.pending() == 3);
  REQUIRE(rig.h.run_until([&] { return done.size() == 3; }, 20s));
  CHECK(done == std::vector<std::string>{"soc_max", "soc_target", "grid_charging"});
  CHECK(rig.writer.pending() == 0);
  // One WRITE each, in the same order.
  const auto writes = rig.sim->received().frames(Command::kWrite);
  REQUIRE(writes.size() == 3);
  CHECK(writes[0].oid == rct::kOidSocMax);
  CHECK(writes[1].oid == oid_of_key("soc_target"));
  CHECK(writes[2].oid == oid_of_key("grid_charging"));
}
