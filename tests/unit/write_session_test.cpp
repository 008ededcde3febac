#include "daemon/write_session.h"

#include <algorithm>
#include <string>
#include <vector>

#include "core/write_allowlist.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::DeadManTimer;
using rct::daemon::Duration;
using rct::daemon::Effect;
using rct::daemon::Effects;
using rct::daemon::Instant;
using rct::daemon::LogLine;
using rct::daemon::Moment;
using rct::daemon::Publish;
using rct::daemon::StopReverted;
using rct::daemon::SubmitWrite;
using rct::daemon::WriteSession;
using Round = WriteSession::Round;

namespace {

const Instant kStart = Instant{} + 1000h;
const rct::daemon::WallTime kWallStart = rct::daemon::WallTime{} + 480000h;

Moment at(Duration since_start) {
  return Moment{
      kStart + since_start,
      kWallStart + std::chrono::duration_cast<rct::daemon::WallTime::duration>(since_start)};
}

rct::daemon::WriteSettings settings(bool enabled = true) {
  rct::daemon::WriteSettings s;
  s.name = "inv";
  s.base_topic = "rct";
  s.writes.enabled = enabled;
  s.writes.dead_man_timeout = 60s;
  return s;
}

template <class T>
std::vector<T> all_of(const Effects& effects) {
  std::vector<T> out;
  for (const Effect& e : effects) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

rct::client::WriteOutcome outcome(std::uint32_t oid, double wire, bool verified) {
  auto prepared = rct::prepare_write(rct::allow_every_writable(), oid, wire, rct::InputUnit::kWire);
  REQUIRE(prepared);
  rct::client::WriteOutcome o;
  o.status = verified ? rct::client::WriteStatus::kVerified : rct::client::WriteStatus::kUnverified;
  if (!verified) o.cause = rct::client::UnverifiedCause::kMismatch;
  o.oid = oid;
  o.write = prepared.value();
  o.writes_sent = 1;
  o.readback = prepared->value;
  o.message = verified ? "verified" : "mismatch";
  return o;
}

// Strategy External written and verified at `when`: the dead-man timer is armed.
void hold_external(WriteSession& w, Duration when) {
  const auto sent = all_of<SubmitWrite>(w.on_command("soc_strategy", "External", true, at(when)));
  REQUIRE(sent.size() == 1);
  w.on_outcome(sent[0].tag, outcome(rct::kOidSocStrategy, rct::kStrategyExternal, true), at(when));
  REQUIRE(w.dead_man_state() == DeadManTimer::State::kArmed);
}

Effects answer_all(WriteSession& w, const std::vector<SubmitWrite>& writes, bool verified,
                   Duration when) {
  Effects all;
  for (const SubmitWrite& s : writes) {
    rct::daemon::append(
        all,
        w.on_outcome(s.tag, outcome(s.request.oid, std::get<double>(s.request.value), verified),
                     at(when)));
  }
  return all;
}

}  // namespace

TEST_CASE("a command for an unknown inverter is audited and rejected like any other", "[session]") {
  const rct::daemon::CommandTarget target{"XY", "soc_target"};
  const Effects e = rct::daemon::refuse_unknown_inverter(target, "rct/XY/settings/soc_target/set",
                                                         R"({"value": 50, "id": 7})", at(0s).wall);
  const auto lines = all_of<LogLine>(e);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].text == "write XY soc_target: command 50.0 (id 7)");
  CHECK(lines[1].text ==
        "write XY soc_target: rejected (unknown_inverter): no inverter with serial 'XY' is known "
        "to this bridge");
  const auto published = all_of<Publish>(e);
  REQUIRE(published.size() == 1);
  CHECK(published[0].topic == "rct/XY/settings/soc_target/set/result");
  CHECK(published[0].qos == 1);
  CHECK_FALSE(published[0].retain);
  CHECK(published[0].payload.find(R"("id":7,"key":"soc_target","outcome":"rejected")") !=
        std::string::npos);
}

TEST_CASE("write commands that cannot be written are rejected with their reason", "[session]") {
  WriteSession w(settings());
  w.set_serial("SN1");
  const auto reason = [&](std::string_view key, std::string_view payload) {
    const Effects e = w.on_command(key, payload, true, at(0s));
    REQUIRE(all_of<SubmitWrite>(e).empty());
    const auto published = all_of<Publish>(e);
    REQUIRE(published.size() == 1);
    const auto lines = all_of<LogLine>(e);
    REQUIRE(lines.size() == 2);
    return lines[1].text;
  };
  CHECK(reason("flash", "1") ==
        "inv: write SN1 flash: rejected (not_allowlisted): 'flash' is not a writable setting");
  CHECK(reason("soc_target", "{\"id\": 1}").find("rejected (unparseable)") != std::string::npos);
  CHECK(all_of<SubmitWrite>(w.on_command("soc_target", "50", true, at(0s))).size() == 1);
}

TEST_CASE("settings topics publish polled values on change and verified read-backs at once",
          "[session]") {
  WriteSession w(settings());
  CHECK(w.on_reading(0xD1DFC969, rct::Value(0.5f), kStart).empty());  // serial not yet known
  w.set_serial("SN1");
  const auto first = all_of<Publish>(w.on_reading(0xD1DFC969, rct::Value(0.5f), kStart));
  REQUIRE(first.size() == 1);
  CHECK(first[0] == Publish{"rct/SN1/settings/soc_target", "50", 0, true});
  CHECK(w.on_reading(0xD1DFC969, rct::Value(0.5f), kStart + 10s).empty());  // unchanged
  const auto sent = all_of<SubmitWrite>(w.on_command("soc_target", "50", true, at(20s)));
  REQUIRE(sent.size() == 1);
  const auto forced =
      all_of<Publish>(w.on_outcome(sent[0].tag, outcome(0xD1DFC969, 0.5, true), at(21s)));
  CHECK(forced.size() == 2);  // the result and the read-back, though unchanged
  CHECK(w.republish().size() == 1);

  // A reload without writes clears the retained setting.
  const auto cleared = all_of<Publish>(w.apply(settings(false)));
  REQUIRE(cleared.size() == 1);
  CHECK(cleared[0] == Publish{"rct/SN1/settings/soc_target", "", 1, true});
  CHECK(w.republish().empty());
  CHECK_FALSE(w.policy().enabled);
}

TEST_CASE("a dead-man revert that fails is handed out again after the retry interval",
          "[session]") {
  WriteSession w(settings());
  w.set_serial("SN1");
  hold_external(w, 0s);
  REQUIRE(w.next_wakeup() == kStart + 60s);
  CHECK(w.on_tick(at(59s)).empty());
  const auto first = all_of<SubmitWrite>(w.on_tick(at(60s)));
  REQUIRE(first.size() == 2);
  CHECK(w.round() == Round::kDeadMan);
  CHECK_FALSE(w.next_wakeup().has_value());  // waiting for outcomes, not for time
  const Effects failed = answer_all(w, first, false, 61s);
  CHECK(w.round() == Round::kNone);
  CHECK(all_of<LogLine>(failed).back().text ==
        "inv: dead-man revert not confirmed; trying again in 30 s");
  REQUIRE(w.next_wakeup() == kStart + 91s);
  const auto again = all_of<SubmitWrite>(w.on_tick(at(91s)));
  REQUIRE(again.size() == 2);
  answer_all(w, again, true, 92s);
  CHECK(w.dead_man_state() == DeadManTimer::State::kIdle);
  CHECK_FALSE(w.next_wakeup().has_value());
}

TEST_CASE("revert before stop waits for the dead-man round under way", "[session]") {
  WriteSession w(settings());
  w.set_serial("SN1");
  hold_external(w, 0s);
  const auto round = all_of<SubmitWrite>(w.on_tick(at(60s)));
  REQUIRE(round.size() == 2);
  const Effects stopping = w.revert_before_stop(true, at(61s));
  CHECK(all_of<SubmitWrite>(stopping).empty());  // not written twice
  CHECK(all_of<StopReverted>(stopping).empty());
  CHECK(all_of<LogLine>(stopping).at(0).text ==
        "inv: stopping: waiting for the dead-man revert under way");
  CHECK(w.round() == Round::kBeforeStop);
  const Effects done = answer_all(w, round, false, 62s);
  CHECK(all_of<StopReverted>(done).size() == 1);
  // Stopping: no further dead-man round, though the revert failed.
  CHECK_FALSE(w.next_wakeup().has_value());
  CHECK(all_of<SubmitWrite>(w.on_tick(at(600s))).empty());
  CHECK(all_of<LogLine>(w.on_stop()).size() == 1);
}

TEST_CASE("a write of strategy Internal by someone else ends the dead-man watch", "[session]") {
  WriteSession w(settings());
  w.set_serial("SN1");
  hold_external(w, 0s);
  const auto sent = all_of<SubmitWrite>(w.on_command("soc_strategy", "Internal", true, at(10s)));
  REQUIRE(sent.size() == 1);
  w.on_outcome(sent[0].tag, outcome(rct::kOidSocStrategy, rct::kStrategyInternal, true), at(10s));
  CHECK(w.dead_man_state() == DeadManTimer::State::kIdle);
  CHECK(all_of<StopReverted>(w.revert_before_stop(true, at(20s))).size() == 1);
  CHECK(w.on_stop().empty());
}

TEST_CASE("allowing battery_mode permits the modes' writes but no settings command for them",
          "[session][battery_mode]") {
  auto s = settings();
  s.writes.allow = std::vector<std::string>{"soc_target", "battery_mode"};
  WriteSession w(s);
  w.set_serial("SN1");
  const auto policy = w.policy();
  for (std::uint32_t oid : {rct::kOidSocMin, rct::kOidSocStrategy, rct::kOidBatteryPowerExtern}) {
    CHECK(std::find(policy.allowed.begin(), policy.allowed.end(), oid) != policy.allowed.end());
  }
  const Effects e = w.on_command("soc_min", "20", true, at(0s));
  CHECK(all_of<SubmitWrite>(e).empty());
  const auto lines = all_of<LogLine>(e);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].text ==
        "inv: write SN1 soc_min: rejected (not_allowlisted): power_mng.soc_min is not among the "
        "values allowed to be written");
  // A mode command goes to the battery modes: it reads the device first.
  const Effects mode = w.on_command("battery_mode", "discharge_lock", true, at(0s));
  CHECK_FALSE(all_of<rct::daemon::ReadOid>(mode).empty());
  CHECK(all_of<SubmitWrite>(mode).empty());

  auto without = settings();
  without.writes.allow = std::vector<std::string>{"soc_target"};
  WriteSession plain(without);
  plain.set_serial("SN1");
  const auto p = plain.policy();
  CHECK(std::find(p.allowed.begin(), p.allowed.end(), rct::kOidSocMin) == p.allowed.end());
  const auto refused = all_of<Publish>(plain.on_command("battery_mode", "hold", true, at(0s)));
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].topic == "rct/SN1/battery/mode/set/result");
  CHECK(refused[0].payload.find(R"("outcome":"rejected","reason":"not_allowlisted")") !=
        std::string::npos);
}

TEST_CASE("a mode's write releases the dead-man timer: the modes revert what they drive",
          "[session][battery_mode]") {
  WriteSession w(settings());
  w.set_serial("SN1");
  hold_external(w, 0s);
  auto o = outcome(rct::kOidBatteryPowerExtern, 0, true);
  w.on_outcome(rct::daemon::BatteryModeSession::kTagBit | 1, o, at(1s));
  CHECK(w.dead_man_state() == DeadManTimer::State::kIdle);
}
