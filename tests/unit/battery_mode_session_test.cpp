#include "daemon/battery_mode_session.h"

#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/write_allowlist.h"
#include "core/write_validation.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::BatteryMode;
using rct::daemon::BatteryModeSession;
using rct::daemon::Duration;
using rct::daemon::Effect;
using rct::daemon::Effects;
using rct::daemon::Instant;
using rct::daemon::LogLine;
using rct::daemon::Moment;
using rct::daemon::Publish;
using rct::daemon::ReadOid;
using rct::daemon::ReplyTo;
using rct::daemon::StopReverted;
using rct::daemon::SubmitWrite;
using ModePhase = BatteryModeSession::Phase;

namespace {

const Instant kModeStart = Instant{} + 2000h;
const rct::daemon::WallTime kModeWallStart = rct::daemon::WallTime{} + 490000h;

// A made-up inverter for the pure machine: the settings it was written, a battery and grid power
// that follow from them (a house drawing 400 W more than its PV), and scripted refusals. Reads
// and writes are answered at once, on virtual time.
struct ModeDevice {
  double soc = 0.456;
  double soc_min = 0.07;
  double soc_max = 0.97;
  double strategy = rct::kStrategyInternal;
  double extern_power = 0;
  bool grid_charge_trap = false;       // Internal near soc_min: charges from the grid at 6 kW
  std::set<std::uint32_t> reject;      // writes refused by an interlock
  std::set<std::uint32_t> unverified;  // the next write of these does not read back
  std::set<std::uint32_t> unreadable;
  std::set<std::uint32_t> rate_limited;  // the next write of these is refused as too soon
  std::vector<std::pair<std::uint32_t, double>> written;  // every WRITE that went out, in order

  double battery() const {
    if (strategy == rct::kStrategyExternal) return extern_power;
    if (grid_charge_trap && soc < soc_min + 0.02) return -6000;
    return soc > soc_min ? 400 : 0;
  }
  std::optional<double> read(std::uint32_t oid) const {
    if (unreadable.count(oid) != 0) return std::nullopt;
    if (oid == rct::kOidBatterySoc) return soc;
    if (oid == rct::kOidSocMin) return soc_min;
    if (oid == rct::kOidSocMax) return soc_max;
    if (oid == rct::kOidSocStrategy) return strategy;
    if (oid == rct::kOidBatteryPowerExtern) return extern_power;
    if (oid == rct::daemon::kOidBatteryPower) return battery();
    if (oid == rct::daemon::kOidGridPower) return 400 - battery();
    return std::nullopt;
  }
  rct::Value value(std::uint32_t oid, double v) const {
    if (oid == rct::kOidSocStrategy) return rct::EnumValue{static_cast<std::uint8_t>(v)};
    return static_cast<float>(v);
  }
  rct::client::WriteOutcome write(const rct::client::WriteRequest& r) {
    const double wire = std::get<double>(r.value);
    auto prepared = rct::prepare_write(rct::allow_every_writable(), r.oid, wire, r.unit);
    REQUIRE(prepared);
    rct::client::WriteOutcome o;
    o.oid = r.oid;
    o.write = prepared.value();
    if (rate_limited.erase(r.oid) != 0) {
      o.status = rct::client::WriteStatus::kRejected;
      o.rejection = rct::WriteRejection{rct::RejectReason::kRateLimited, "written too recently"};
      o.message = "written too recently";
      return o;
    }
    if (reject.count(r.oid) != 0) {
      o.status = rct::client::WriteStatus::kRejected;
      o.rejection = rct::WriteRejection{rct::RejectReason::kInterlock, "refused by the test"};
      o.message = "refused by the test";
      return o;
    }
    o.writes_sent = 1;
    written.emplace_back(r.oid, wire);
    if (unverified.erase(r.oid) != 0) {
      o.status = rct::client::WriteStatus::kUnverified;
      o.cause = rct::client::UnverifiedCause::kMismatch;
      o.message = "not taken";
      return o;
    }
    if (r.oid == rct::kOidSocMin) soc_min = wire;
    if (r.oid == rct::kOidSocStrategy) strategy = wire;
    if (r.oid == rct::kOidBatteryPowerExtern) extern_power = wire;
    o.status = rct::client::WriteStatus::kVerified;
    o.readback = prepared->value;
    o.message = "verified";
    return o;
  }
};

struct ModeRun {
  BatteryModeSession session;
  ModeDevice device;
  Duration t{};
  std::vector<Publish> published;
  std::vector<LogLine> lines;
  bool stop_reverted = false;

  explicit ModeRun(rct::daemon::BatteryModeSettings s) : session(std::move(s)) {
    session.set_serial("SN1");
  }
  Moment now() const {
    return Moment{kModeStart + t,
                  kModeWallStart + std::chrono::duration_cast<rct::daemon::WallTime::duration>(t)};
  }
  // Carries out the effects (and those they lead to) like the shell would.
  void perform(Effects effects) {
    std::deque<Effect> queue(effects.begin(), effects.end());
    while (!queue.empty()) {
      Effect e = std::move(queue.front());
      queue.pop_front();
      Effects next;
      if (const auto* r = std::get_if<ReadOid>(&e)) {
        if (auto v = device.read(r->oid)) {
          next = session.on_reading(r->oid, device.value(r->oid, *v), now());
        } else {
          next = session.on_read_failed(r->oid, now());
        }
      } else if (const auto* w = std::get_if<SubmitWrite>(&e)) {
        next = session.on_outcome(w->tag, device.write(w->request), now());
      } else if (const auto* p = std::get_if<Publish>(&e)) {
        published.push_back(*p);
      } else if (const auto* l = std::get_if<LogLine>(&e)) {
        lines.push_back(*l);
      } else if (std::holds_alternative<StopReverted>(e)) {
        stop_reverted = true;
      }
      queue.insert(queue.end(), next.begin(), next.end());
    }
  }
  // Runs the timers until the machine is idle again (at most `limit` of virtual time).
  void settle(Duration limit = 120s) {
    const Duration end = t + limit;
    while (session.phase() != ModePhase::kIdle && t < end) {
      const auto wake = session.next_wakeup();
      REQUIRE(wake);
      t = std::max(t, *wake - kModeStart);
      perform(session.on_tick(now()));
    }
  }
  void command(std::string_view payload) {
    perform(session.on_command(payload, true, now()));
    settle();
  }
  std::string last_answer() const {
    for (auto it = published.rbegin(); it != published.rend(); ++it) {
      if (it->topic == "rct/SN1/battery/mode/set/result") return it->payload;
    }
    return {};
  }
  std::string last_mode() const {
    for (auto it = published.rbegin(); it != published.rend(); ++it) {
      if (it->topic == "rct/SN1/battery/mode") return it->payload;
    }
    return {};
  }
};

rct::daemon::BatteryModeSettings mode_settings() {
  rct::daemon::BatteryModeSettings s;
  s.name = "inv";
  s.base_topic = "rct";
  s.enabled = true;
  s.writes_enabled = true;
  s.dead_man_timeout = 60s;
  s.config.effect_window = 10s;
  s.config.sample_interval = 2s;
  s.config.tolerance = 300;
  return s;
}

bool mode_has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

using Written = std::vector<std::pair<std::uint32_t, double>>;

}  // namespace

TEST_CASE("hold writes the SOC rounded down as the minimum and is verified by its effect",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  CHECK(run.last_mode() == "normal");
  run.command(R"({"mode":"hold","id":"h1"})");
  // Power and strategy are already 0 / Internal: only soc_min, 45 % for a SOC of 45.6 %.
  REQUIRE(run.device.written.size() == 1);
  CHECK(run.device.written[0].first == rct::kOidSocMin);
  CHECK(run.device.written[0].second == Approx(0.45));
  CHECK(run.device.written[0].second <= run.device.soc);
  const std::string answer = run.last_answer();
  CHECK(mode_has(answer, R"("id":"h1","key":"battery_mode","mode":"hold","outcome":"verified")"));
  CHECK(mode_has(answer,
                 R"("effect":{"battery_power":400.0,"grid_power":0.0,"soc":45.6,"window":10.0})"));
  CHECK(run.last_mode() == "hold");
  CHECK(run.session.mode() == BatteryMode::kHold);
  auto record = run.session.take_record();
  REQUIRE(record);
  CHECK(record->hold_soc_min == 45);
  CHECK(record->user_soc_min == 7);

  // normal puts the user's minimum back.
  run.command("normal");
  REQUIRE(run.device.written.size() == 2);
  CHECK(run.device.written[1] == std::pair<std::uint32_t, double>{rct::kOidSocMin, 0.07});
  CHECK(run.last_mode() == "normal");
}

TEST_CASE(
    "charge switches to External at the requested power and goes back to normal at its "
    "target",
    "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.command(R"({"mode":"charge","power":3000,"soc":80,"id":5})");
  CHECK(run.device.written == Written{{rct::kOidSocStrategy, rct::kStrategyExternal},
                                      {rct::kOidBatteryPowerExtern, -3000}});
  CHECK(mode_has(run.last_answer(),
                 R"("id":5,"key":"battery_mode","mode":"charge","outcome":"verified")"));
  CHECK(mode_has(run.last_answer(), R"("battery_power":-3000.0)"));
  CHECK(run.last_mode() == "charge");
  const auto attributes =
      std::find_if(run.published.rbegin(), run.published.rend(),
                   [](const Publish& p) { return p.topic == "rct/SN1/battery/mode/attributes"; });
  REQUIRE(attributes != run.published.rend());
  CHECK(mode_has(attributes->payload, R"("mode":"charge","power":3000.0,"soc":80.0,"since":)"));
  CHECK(attributes->retain);

  // The bridge drives: nothing reverts it until the target.
  run.t += 5min;
  run.perform(run.session.on_tick(run.now()));
  CHECK(run.session.mode() == BatteryMode::kCharge);
  run.device.soc = 0.80;
  const auto wake = run.session.next_wakeup();
  REQUIRE(wake);
  run.t = *wake - kModeStart;
  run.perform(run.session.on_tick(run.now()));
  run.settle();
  CHECK(run.device.written == Written{{rct::kOidSocStrategy, rct::kStrategyExternal},
                                      {rct::kOidBatteryPowerExtern, -3000},
                                      {rct::kOidBatteryPowerExtern, 0},
                                      {rct::kOidSocStrategy, rct::kStrategyInternal}});
  CHECK(mode_has(
      run.last_answer(),
      R"("id":null,"key":"battery_mode","mode":"normal","outcome":"verified","reason":"target_reached")"));
  CHECK(run.last_mode() == "normal");
}

TEST_CASE("a mode whose effect contradicts it is reverted to normal with the figures",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.device.grid_charge_trap = true;
  run.perform(run.session.start(run.now()));
  run.command(R"({"mode":"hold","id":"t"})");
  CHECK(run.device.written == Written{{rct::kOidSocMin, 0.45}, {rct::kOidSocMin, 0.07}});
  const std::string answer = run.last_answer();
  CHECK(mode_has(answer, R"("mode":"hold","outcome":"reverted","reason":"effect")"));
  CHECK(mode_has(answer, R"("effect":{"battery_power":-6000.0,"grid_power":6400.0)"));
  CHECK(mode_has(answer, "charges from the grid"));
  CHECK(mode_has(answer, "reverted to normal"));
  CHECK(run.last_mode() == "normal");
  CHECK(std::any_of(run.lines.begin(), run.lines.end(), [](const LogLine& l) {
    return l.level == rct::LogLevel::kWarn && mode_has(l.text, "reverting to normal");
  }));
}

TEST_CASE("a write not verified in the middle of a mode stops it and reverts what was written",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.device.extern_power = 200;  // left over under Internal
  run.perform(run.session.start(run.now()));
  SECTION("the power is not taken") {
    run.device.extern_power = 0;
    run.device.unverified.insert(rct::kOidBatteryPowerExtern);
    run.command(R"({"mode":"external","power":2000,"id":"x"})");
    CHECK(run.device.written == Written{{rct::kOidSocStrategy, rct::kStrategyExternal},
                                        {rct::kOidBatteryPowerExtern, 2000},
                                        {rct::kOidBatteryPowerExtern, 0},
                                        {rct::kOidSocStrategy, rct::kStrategyInternal}});
    CHECK(mode_has(run.last_answer(),
                   R"("mode":"external","outcome":"unverified","reason":"mismatch")"));
    CHECK(mode_has(run.last_answer(), "reverted to normal"));
    CHECK(run.device.strategy == rct::kStrategyInternal);
  }
  SECTION("the strategy is refused after the power went to 0") {
    run.device.reject.insert(rct::kOidSocStrategy);
    run.command(R"({"mode":"charge","power":2000,"soc":80})");
    CHECK(run.device.written == Written{{rct::kOidBatteryPowerExtern, 0}});
    CHECK(mode_has(run.last_answer(),
                   R"("mode":"charge","outcome":"rejected","reason":"interlock")"));
    CHECK(mode_has(run.last_answer(), "reverted to normal"));
    CHECK(run.last_mode() == "normal");
  }
}

TEST_CASE("a refused first write changes nothing and is answered as refused",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.device.reject.insert(rct::kOidSocStrategy);
  run.command("discharge_lock");
  CHECK(run.device.written.empty());
  CHECK(mode_has(run.last_answer(),
                 R"("mode":"discharge_lock","outcome":"rejected","reason":"interlock")"));
  CHECK(run.last_mode() == "normal");
}

TEST_CASE("hold is refused when the SOC cannot be read", "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.device.unreadable.insert(rct::kOidBatterySoc);
  run.command("hold");
  CHECK(run.device.written.empty());
  CHECK(mode_has(run.last_answer(), R"("outcome":"rejected","reason":"no_soc")"));
}

TEST_CASE("a charge target at or below the SOC or above soc_max is refused",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.command(R"({"mode":"charge","power":3000,"soc":40})");
  CHECK(mode_has(run.last_answer(), R"("outcome":"rejected","reason":"interlock")"));
  run.command(R"({"mode":"charge","power":3000,"soc":99})");
  CHECK(mode_has(run.last_answer(), "above soc_max"));
  CHECK(run.device.written.empty());
}

TEST_CASE("a second mode command while one runs is refused as busy", "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.perform(run.session.on_command("discharge_lock", true, run.now()));
  REQUIRE(run.session.phase() == ModePhase::kSampling);
  run.perform(run.session.on_command(R"({"mode":"hold","id":2})", true, run.now()));
  CHECK(mode_has(
      run.last_answer(),
      R"("id":2,"key":"battery_mode","mode":"hold","outcome":"rejected","reason":"busy")"));
  run.settle();
  CHECK(mode_has(run.last_answer(), R"("mode":"discharge_lock","outcome":"verified")"));
}

TEST_CASE("a dry run checks every write and writes nothing", "[battery_mode_session]") {
  auto s = mode_settings();
  s.dry_run = true;
  ModeRun run(s);
  run.perform(run.session.start(run.now()));
  // The writer answers dry_run in a dry run; the test device writes, so refuse nothing and look
  // at the requests instead.
  Effects e = run.session.on_command("discharge_lock", true, run.now());
  const auto write = std::find_if(e.begin(), e.end(), [](const Effect& x) {
    return std::holds_alternative<ReadOid>(x) || std::holds_alternative<SubmitWrite>(x);
  });
  REQUIRE(write != e.end());
  // Answer reads from the device, and writes as a dry-running writer would.
  std::deque<Effect> queue(e.begin(), e.end());
  std::string answer;
  while (!queue.empty()) {
    Effect x = std::move(queue.front());
    queue.pop_front();
    Effects next;
    if (const auto* r = std::get_if<ReadOid>(&x)) {
      next = run.session.on_reading(r->oid, run.device.value(r->oid, *run.device.read(r->oid)),
                                    run.now());
    } else if (const auto* w = std::get_if<SubmitWrite>(&x)) {
      CHECK_FALSE(w->request.safety_revert);
      rct::client::WriteOutcome o;
      o.status = rct::client::WriteStatus::kDryRun;
      o.oid = w->request.oid;
      next = run.session.on_outcome(w->tag, o, run.now());
    } else if (const auto* p = std::get_if<Publish>(&x)) {
      if (p->topic == "rct/SN1/battery/mode/set/result") answer = p->payload;
    }
    queue.insert(queue.end(), next.begin(), next.end());
  }
  CHECK(mode_has(answer, R"("mode":"discharge_lock","outcome":"dry_run")"));
  CHECK(run.session.phase() == ModePhase::kIdle);
  CHECK(run.session.mode() == BatteryMode::kNormal);
}

TEST_CASE("external goes back to normal when it is not refreshed within the dead-man timeout",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.command(R"({"mode":"external","power":-1500})");
  CHECK(run.last_mode() == "external");
  // A refresh moves the deadline.
  run.t += 50s;
  run.command(R"({"mode":"external","power":-1500})");
  CHECK(mode_has(run.last_answer(), R"("outcome":"verified")"));
  const auto deadline = run.session.next_wakeup();
  REQUIRE(deadline);
  CHECK(*deadline - run.now().steady > 45s);
  run.t = *deadline - kModeStart;
  run.perform(run.session.on_tick(run.now()));
  run.settle();
  CHECK(mode_has(
      run.last_answer(),
      R"("id":null,"key":"battery_mode","mode":"normal","outcome":"verified","reason":"dead_man")"));
  CHECK(run.device.strategy == rct::kStrategyInternal);
  CHECK(run.device.extern_power == 0);
}

TEST_CASE("a charge is handed back before the daemon stops; a hold is kept",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.command(R"({"mode":"charge","power":2000,"soc":90})");
  REQUIRE(run.session.needs_stop_revert());
  run.device.written.clear();
  run.perform(run.session.revert_before_stop(true, run.now()));
  CHECK(run.stop_reverted);
  CHECK(run.device.written ==
        Written{{rct::kOidBatteryPowerExtern, 0}, {rct::kOidSocStrategy, rct::kStrategyInternal}});
  CHECK(mode_has(run.last_answer(), R"("mode":"charge","outcome":"reverted","reason":"stopping")"));

  ModeRun hold(mode_settings());
  hold.perform(hold.session.start(hold.now()));
  hold.command("hold");
  CHECK_FALSE(hold.session.needs_stop_revert());
  hold.perform(hold.session.revert_before_stop(true, hold.now()));
  CHECK(hold.stop_reverted);
}

TEST_CASE(
    "after a restart the mode is what the device shows with what the state file "
    "remembers",
    "[battery_mode_session]") {
  rct::daemon::BatteryModeRecord remembered;
  remembered.hold_soc_min = 45;
  remembered.user_soc_min = 10;
  remembered.mode = "hold";
  remembered.since = "2026-12-01T10:00:00.000Z";

  ModeRun hold(mode_settings());
  hold.device.soc_min = 0.45;
  hold.session.restore(remembered);
  hold.perform(hold.session.start(hold.now()));
  CHECK(hold.last_mode() == "hold");
  CHECK(mode_has(hold.published.back().payload, R"("since":"2026-12-01T10:00:00.000Z")"));

  // The inverter restarted meanwhile (soc_min back to 7 %): normal, and hold is forgotten.
  ModeRun reset(mode_settings());
  reset.session.restore(remembered);
  reset.perform(reset.session.start(reset.now()));
  CHECK(reset.last_mode() == "normal");
  auto record = reset.session.take_record();
  REQUIRE(record);
  CHECK_FALSE(record->hold_soc_min);
  CHECK(record->user_soc_min == 10);

  rct::daemon::BatteryModeRecord charging;
  charging.charge_target = 80;
  charging.charge_power = 3000;
  charging.mode = "charge";
  charging.commanded = true;
  ModeRun charge(mode_settings());
  charge.device.strategy = rct::kStrategyExternal;
  charge.device.extern_power = -3000;
  charge.session.restore(charging);
  charge.perform(charge.session.start(charge.now()));
  CHECK(charge.last_mode() == "charge");
  CHECK(charge.session.needs_stop_revert());  // ours: handed back before a stop

  // External set by someone else's settings writes: shown, but left to them and the dead-man
  // timer of the settings.
  ModeRun foreign(mode_settings());
  foreign.device.strategy = rct::kStrategyExternal;
  foreign.device.extern_power = 2500;
  foreign.perform(foreign.session.start(foreign.now()));
  CHECK(foreign.last_mode() == "external");
  CHECK_FALSE(foreign.session.needs_stop_revert());
  CHECK_FALSE(foreign.session.next_wakeup());

  ModeRun other(mode_settings());
  other.device.strategy = 1;  // Constant, set by the vendor app
  other.perform(other.session.start(other.now()));
  CHECK(other.last_mode() == "other");
}

TEST_CASE("mode commands are refused while writes or battery modes are off",
          "[battery_mode_session]") {
  auto off = mode_settings();
  off.enabled = false;
  off.writes_enabled = false;
  ModeRun run(off);
  run.command("hold");
  CHECK(mode_has(run.last_answer(), R"("outcome":"rejected","reason":"writes_disabled")"));
  auto not_allowed = mode_settings();
  not_allowed.enabled = false;
  ModeRun run2(not_allowed);
  run2.command("hold");
  CHECK(mode_has(run2.last_answer(), R"("outcome":"rejected","reason":"not_allowlisted")"));
  CHECK(run2.device.written.empty());
}

TEST_CASE("a mode's write refused as too soon is tried again after min_interval",
          "[battery_mode_session]") {
  auto s = mode_settings();
  s.min_interval = 10s;
  ModeRun run(s);
  run.perform(run.session.start(run.now()));
  run.device.rate_limited.insert(rct::kOidSocMin);
  run.perform(run.session.on_command("hold", true, run.now()));
  CHECK(run.device.written.empty());
  const auto retry = run.session.next_wakeup();
  REQUIRE(retry);
  CHECK(*retry == run.now().steady + 10s);
  run.settle();
  CHECK(run.device.written == Written{{rct::kOidSocMin, 0.45}});
  CHECK(mode_has(run.last_answer(), R"("mode":"hold","outcome":"verified")"));
  CHECK(std::any_of(run.lines.begin(), run.lines.end(),
                    [](const LogLine& l) { return mode_has(l.text, "trying again in 10 s"); }));
}

TEST_CASE("hold above 80 % SOC writes its minimum there, bounded by soc_max",
          "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.device.soc = 0.935;
  run.perform(run.session.start(run.now()));
  run.command("hold");
  CHECK(run.device.written == Written{{rct::kOidSocMin, 0.93}});
  CHECK(mode_has(run.last_answer(), R"("mode":"hold","outcome":"verified")"));

  ModeRun full(mode_settings());
  full.device.soc = 0.995;
  full.perform(full.session.start(full.now()));
  full.command("hold");
  CHECK(full.device.written == Written{{rct::kOidSocMin, 0.97}});  // soc_max
}

TEST_CASE(
    "a mode command with an MQTT v5 response topic is answered there at the end of its "
    "effect window, and the busy refusal of another goes to that one's own",
    "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  const std::string correlation("hold\0\xfe", 6);
  run.perform(run.session.on_command(R"({"mode":"hold","id":"r1"})", true, run.now(),
                                     ReplyTo{"nodered/answers", correlation}));
  // The effect window is still open: no answer anywhere yet.
  CHECK(run.last_answer().empty());
  run.perform(run.session.on_command("normal", true, run.now(), ReplyTo{"other/answers", "n"}));
  run.settle();
  std::vector<Publish> replies;
  for (const Publish& p : run.published) {
    if (p.topic == "nodered/answers" || p.topic == "other/answers") replies.push_back(p);
  }
  REQUIRE(replies.size() == 2);
  CHECK(replies[0].topic == "other/answers");
  CHECK(replies[0].correlation_data == "n");
  CHECK(mode_has(replies[0].payload, R"("reason":"busy")"));
  CHECK(replies[1].topic == "nodered/answers");
  CHECK(replies[1].correlation_data == correlation);
  CHECK(replies[1].qos == 1);
  CHECK_FALSE(replies[1].retain);
  CHECK(replies[1].payload == run.last_answer());
  CHECK(mode_has(replies[1].payload,
                 R"("id":"r1","key":"battery_mode","mode":"hold","outcome":"verified")"));

  // The bridge's own answers (a charge reaching its target) go to no response topic.
  run.perform(run.session.on_command(R"({"mode":"charge","power":2000,"soc":50})", true, run.now(),
                                     ReplyTo{"nodered/answers", "c"}));
  run.settle();
  run.device.soc = 0.50;
  const auto wake = run.session.next_wakeup();
  REQUIRE(wake);
  run.t = *wake - kModeStart;
  run.perform(run.session.on_tick(run.now()));
  run.settle();
  CHECK(mode_has(run.last_answer(), R"("reason":"target_reached")"));
  const auto to_node_red =
      std::count_if(run.published.begin(), run.published.end(),
                    [](const Publish& p) { return p.topic == "nodered/answers"; });
  CHECK(to_node_red == 2);  // hold and the charge command itself, not the target
}

TEST_CASE(
    "normal below the lowest soc_min still hands the battery back: 0 W and Internal, soc_min "
    "left as it is",
    "[battery_mode_session]") {
  ModeRun run(mode_settings());
  run.perform(run.session.start(run.now()));
  run.command(R"({"mode":"external","power":1000})");
  REQUIRE(run.session.mode() == BatteryMode::kExternal);
  run.device.soc = 0.03;  // discharged below the lowest soc_min the allowlist has (5 %)
  run.device.written.clear();
  run.command("normal");
  CHECK(run.device.written ==
        Written{{rct::kOidBatteryPowerExtern, 0}, {rct::kOidSocStrategy, rct::kStrategyInternal}});
  CHECK(run.device.soc_min == Approx(0.07));
  CHECK(mode_has(run.last_answer(), R"("mode":"normal","outcome":"verified")"));
  CHECK(std::any_of(run.lines.begin(), run.lines.end(), [](const LogLine& l) {
    return l.level == rct::LogLevel::kWarn && mode_has(l.text, "soc_min unchanged");
  }));
}
