#include "daemon/session_machine.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/fault_words.h"
#include "core/inventory.h"
#include "core/write_allowlist.h"
#include "core/write_validation.h"
#include "daemon/inverter_figures.h"
#include "daemon/topics.h"
#include "tests/support/catch.h"
#include "tests/support/oids.h"
#include "tests/support/test_registry.h"

using namespace std::chrono_literals;
using rct::daemon::Duration;
using rct::daemon::Effect;
using rct::daemon::Effects;
using rct::daemon::Instant;
using rct::daemon::LogLine;
using rct::daemon::Moment;
using rct::daemon::Publish;
using rct::daemon::ReadOid;
using rct::daemon::SessionMachine;
using rct::daemon::SessionSettings;
using rct::daemon::SubmitWrite;
using Phase = SessionMachine::Phase;

namespace {

const Instant kMachineStart = Instant{} + 1000h;  // arbitrary virtual start time
const rct::daemon::WallTime kWallStart = rct::daemon::WallTime{} + 480000h;

Moment at(Duration since_start) {
  return Moment{
      kMachineStart + since_start,
      kWallStart + std::chrono::duration_cast<rct::daemon::WallTime::duration>(since_start)};
}

class MemoryRecords final : public rct::daemon::RecordStore {
 public:
  rct::daemon::InverterRecord& record(std::string_view serial_id) override {
    return records[std::string(serial_id)];
  }
  std::map<std::string, rct::daemon::InverterRecord> records;
};

rct::Config config(bool writes = false) {
  rct::Config c;
  rct::InverterConfig inv;
  inv.name = "inv";
  inv.host = "192.0.2.1";
  inv.offline_after = 60s;
  c.inverters.push_back(inv);
  c.mqtt.base_topic = "rct";
  c.writes.enabled = writes;
  c.writes.dead_man_timeout = 60s;
  return c;
}

SessionSettings settings(const rct::Config& c) {
  return rct::daemon::session_settings(c, 0, "test");
}

bool is_inventory(std::uint32_t oid) {
  const auto oids = rct::inventory_oids();
  return std::any_of(oids.begin(), oids.end(), [&](const auto& o) { return o.id == oid; });
}

// What the device answers: its identity for the inventory, a plain value of the registry's type
// for everything else.
rct::Value device_value(std::uint32_t oid) {
  using rct::InventoryItem;
  if (oid == rct::inventory_oid(InventoryItem::kSerialNumber)) return std::string("SN1");
  if (oid == rct::inventory_oid(InventoryItem::kDeviceName)) return std::string("PS 6.0");
  if (oid == rct::inventory_oid(InventoryItem::kFirmwareVersion)) return std::string("12345");
  if (oid == rct::kOidSocStrategy) return rct::EnumValue{4};
  const rct::OidInfo* info = rct::test::test_registry().find(oid);
  switch (info == nullptr ? rct::DataType::kFloat : info->response_type) {
    case rct::DataType::kBool:
      return true;
    case rct::DataType::kUint8:
      return std::uint8_t{1};
    case rct::DataType::kInt8:
      return std::int8_t{1};
    case rct::DataType::kUint16:
      return std::uint16_t{1};
    case rct::DataType::kInt16:
      return std::int16_t{1};
    case rct::DataType::kUint32:
      return std::uint32_t{1};
    case rct::DataType::kInt32:
      return std::int32_t{1};
    case rct::DataType::kEnum:
      return rct::EnumValue{0};
    case rct::DataType::kString:
      return std::string("x");
    default:
      return 0.5f;
  }
}

template <class T>
std::vector<T> all_of(const Effects& effects) {
  std::vector<T> out;
  for (const Effect& e : effects) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

std::vector<std::string> payloads_on(const Effects& effects, const std::string& topic) {
  std::vector<std::string> out;
  for (const Publish& p : all_of<Publish>(effects)) {
    if (p.topic == topic) out.push_back(p.payload);
  }
  return out;
}

bool logged(const Effects& effects, rct::LogLevel level, const std::string& text) {
  const auto lines = all_of<LogLine>(effects);
  return std::find(lines.begin(), lines.end(), LogLine{level, text}) != lines.end();
}

// A session machine against a device that answers every read at once, in virtual time.
struct Harness {
  explicit Harness(const rct::Config& c = config())
      : machine(settings(c), rct::test::test_registry(), records, poll_lists) {}

  // Feeds `effects` back: reads are answered (or fail while the device is silent); returns
  // everything the machine said, `effects` included.
  Effects settle(Effects effects) {
    Effects all;
    for (std::size_t i = 0; i < effects.size(); ++i) {
      all.push_back(effects[i]);
      if (const ReadOid* r = std::get_if<ReadOid>(&effects[i])) {
        reads.push_back(r->oid);
        const bool answers = answering && silent.count(r->oid) == 0;
        if (answers) last_answer = now;
        const auto given = values.find(r->oid);
        Effects more =
            answers
                ? machine.on_reading(
                      r->oid, given != values.end() ? given->second : device_value(r->oid), at(now))
                : machine.on_read_failed(r->oid, rct::client::ClientError::kTimeout, at(now));
        effects.insert(effects.end(), more.begin(), more.end());
      }
    }
    return all;
  }

  // Ticks at every wake-up up to `until` (since the start), then sets the time to it.
  Effects run_until(Duration until) {
    Effects all;
    while (auto w = machine.next_wakeup()) {
      if (*w > kMachineStart + until) break;
      now = std::max(now, *w - kMachineStart);
      rct::daemon::append(all, settle(machine.on_tick(at(now))));
    }
    now = until;
    return all;
  }

  Effects connect() {
    Effects all = settle(machine.on_link_up("192.0.2.1:8899", at(now)));
    rct::daemon::append(all, settle(machine.on_connected(true, at(now))));
    return all;
  }

  Effects link_down() {
    Effects all = machine.on_link_down("closed_by_peer (End of file)", at(now));
    rct::daemon::append(all, machine.on_connected(false, at(now)));
    return all;
  }

  // Started, connected and polling.
  Effects start_polling(Duration until = 5s) {
    Effects all = settle(machine.start(at(now)));
    rct::daemon::append(all, connect());
    rct::daemon::append(all, run_until(until));
    return all;
  }

  MemoryRecords records;
  rct::daemon::PollListCache poll_lists;
  SessionMachine machine;
  Duration now{};
  Duration last_answer{};  // of the device, since the start
  bool answering = true;
  std::set<std::uint32_t> silent;              // OIDs the device does not answer
  std::map<std::uint32_t, rct::Value> values;  // answers instead of device_value()
  std::vector<std::uint32_t> reads;
};

const std::string kStatus = "rct/SN1/status";
const std::string kDeviceTopic = "homeassistant/device/rct2mqtt_SN1/config";

}  // namespace

TEST_CASE("a session reads only the inventory until the serial is known, then polls the list",
          "[session]") {
  Harness h;
  const Effects started = h.settle(h.machine.start(at(0s)));
  CHECK(h.machine.phase() == Phase::kInventory);
  CHECK(logged(started, rct::LogLevel::kInfo, "inv: connecting to 192.0.2.1:8899"));
  CHECK(all_of<ReadOid>(started).empty());  // not connected yet
  CHECK_FALSE(h.machine.next_wakeup().has_value());

  // The serial is not answered: nothing but inventory reads, nothing published.
  const std::uint32_t serial_oid = rct::inventory_oid(rct::InventoryItem::kSerialNumber);
  h.silent.insert(serial_oid);
  Effects inventory = h.connect();
  rct::daemon::append(inventory, h.run_until(30s));
  CHECK(h.reads.size() == rct::inventory_oids().size());
  CHECK(std::all_of(h.reads.begin(), h.reads.end(), is_inventory));
  CHECK(all_of<Publish>(inventory).empty());
  CHECK(h.machine.phase() == Phase::kInventory);
  CHECK_FALSE(h.machine.online());

  // The serial is read again with the static values (hourly).
  h.silent.clear();
  h.reads.clear();
  const Effects polling = h.run_until(3660s);
  REQUIRE_FALSE(h.reads.empty());
  CHECK(is_inventory(h.reads.front()));
  CHECK(std::count(h.reads.begin(), h.reads.end(), serial_oid) >= 1);
  CHECK(h.machine.phase() == Phase::kPolling);
  CHECK(h.machine.serial() == "SN1");
  CHECK(logged(polling, rct::LogLevel::kInfo,
               "inv: inverter SN1 (PS 6.0, firmware 12345), "
               "Power Storage"));
  CHECK(logged(polling, rct::LogLevel::kInfo,
               "inv: polling " + std::to_string(h.machine.items().size()) + " values"));
  CHECK(payloads_on(polling, kStatus) == std::vector<std::string>{"online"});
  CHECK(payloads_on(polling, kDeviceTopic).size() == 1);
  CHECK(h.records.records["SN1"].discovery.has_value());
  // The inventory phase's readings are published once polling starts.
  CHECK(payloads_on(polling, "rct/SN1/inverter/serial") == std::vector<std::string>{"SN1"});
  CHECK(payloads_on(polling, "rct/SN1/bridge/frames_per_second").front() == "0");
  // After the inventory, the full list: values that are no inventory OIDs are read.
  CHECK(std::count(h.reads.begin(), h.reads.end(), rct::test::kSoc) >= 1);
  CHECK(payloads_on(polling, "rct/SN1/battery/soc").front() == "50");
}

TEST_CASE("a session goes online with the first valid answer and offline after offline_after",
          "[session]") {
  Harness h;
  const Effects polling = h.start_polling(5s);
  CHECK(payloads_on(polling, kStatus) == std::vector<std::string>{"online"});
  CHECK(all_of<LogLine>(polling).size() > 0);
  CHECK(logged(polling, rct::LogLevel::kInfo, "inv: SN1 online"));
  // More answers: no further status message.
  CHECK(payloads_on(h.run_until(30s), kStatus).empty());

  const Effects down = h.link_down();
  CHECK(logged(down, rct::LogLevel::kWarn,
               "inv: inverter unreachable: closed_by_peer (End of file)"));
  CHECK(all_of<rct::daemon::StatusChanged>(down).size() == 1);
  CHECK(payloads_on(down, kStatus).empty());  // the link alone says nothing about availability
  CHECK(h.machine.online());

  const Duration offline_at = h.last_answer + 60s;
  CHECK(payloads_on(h.run_until(offline_at - 1ms), kStatus).empty());
  const Effects offline = h.run_until(offline_at);
  CHECK(payloads_on(offline, kStatus) == std::vector<std::string>{"offline"});
  CHECK(logged(offline, rct::LogLevel::kWarn, "inv: SN1 offline (no valid answer for 60 s)"));
  CHECK_FALSE(h.machine.online());
  CHECK(payloads_on(h.run_until(600s), kStatus).empty());  // once per transition

  // Back: the inventory is read first again, and the first answer says online.
  h.reads.clear();
  const Effects back = h.connect();
  REQUIRE_FALSE(h.reads.empty());
  CHECK(is_inventory(h.reads.front()));
  CHECK(payloads_on(back, kStatus) == std::vector<std::string>{"online"});
  CHECK(h.machine.phase() == Phase::kPolling);
}

TEST_CASE("answers that keep coming keep a session online however long it runs", "[session]") {
  Harness h;
  h.start_polling(5s);
  const Effects hour = h.run_until(3600s);
  CHECK(payloads_on(hour, kStatus).empty());
  CHECK(h.machine.online());
  // Diagnostics every 10 s.
  const auto fps = payloads_on(hour, "rct/SN1/bridge/frames_per_second");
  CHECK(fps.size() >= 355);
  CHECK(fps.size() <= 360);
  CHECK(fps.back() != "0");
}

TEST_CASE("after an MQTT reconnect a session republishes discovery, status, values and settings",
          "[session]") {
  Harness none;
  none.settle(none.machine.start(at(0s)));
  CHECK(none.machine.on_mqtt_connected(at(1s)).empty());  // nothing known yet

  for (const rct::DiscoveryMode mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    rct::Config c = config(true);
    c.homeassistant.mode = mode;
    Harness h(c);
    // Announced before in the other mode: its topic is cleared, again with every republish.
    const std::string old_topic = "homeassistant/other/rct2mqtt_SN1_x/config";
    rct::daemon::AnnouncedDiscovery before;
    before.mode = rct::DiscoveryMode::kEntity;
    before.topics = {old_topic};
    h.records.records["SN1"].discovery = before;

    const Effects polling = h.start_polling(120s);
    CHECK(payloads_on(polling, old_topic) == std::vector<std::string>{""});
    const Effects again = h.machine.on_mqtt_connected(at(121s));
    CHECK(all_of<ReadOid>(again).empty());
    CHECK(payloads_on(again, kStatus) == std::vector<std::string>{"online"});
    CHECK(payloads_on(again, old_topic) == std::vector<std::string>{""});
    CHECK(payloads_on(again, "rct/SN1/battery/soc") == std::vector<std::string>{"50"});
    // Every retained value, setting and discovery config published so far, with its last
    // payload (the diagnostics follow their own period).
    std::map<std::string, std::string> last;
    for (const Publish& p : all_of<Publish>(polling)) {
      if (p.retain && p.topic.find("/bridge/") == std::string::npos) last[p.topic] = p.payload;
    }
    std::map<std::string, std::string> republished;
    for (const Publish& p : all_of<Publish>(again)) republished[p.topic] = p.payload;
    CHECK(republished == last);
    CHECK(republished.count("rct/SN1/settings/soc_target") == 1);
    CHECK(republished.count(kDeviceTopic) == (mode == rct::DiscoveryMode::kDevice ? 1 : 0));
    CHECK(republished.size() > 100);
  }
}

TEST_CASE("a command while the link is down goes to the writer and is answered", "[session]") {
  Harness h(config(true));
  h.start_polling(10s);
  h.link_down();
  const Effects command =
      h.machine.on_command("soc_target", R"({"value": 60, "id": "a"})", at(11s));
  CHECK(
      logged(command, rct::LogLevel::kInfo, R"(inv: write SN1 soc_target: command 60.0 (id "a"))"));
  const auto writes = all_of<SubmitWrite>(command);
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].request.oid == 0xD1DFC969);
  CHECK(std::get<double>(writes[0].request.value) == 60.0);
  CHECK_FALSE(writes[0].request.safety_revert);

  // What the writer says without a connection.
  rct::client::WriteOutcome o;
  o.status = rct::client::WriteStatus::kUnverified;
  o.cause = rct::client::UnverifiedCause::kNotSent;
  o.oid = 0xD1DFC969;
  o.message = "not sent: not connected";
  const Effects answered = h.machine.on_write_outcome(writes[0].tag, o, at(12s));
  const auto result = payloads_on(answered, "rct/SN1/settings/soc_target/set/result");
  REQUIRE(result.size() == 1);
  CHECK(result[0].find(R"("id":"a")") != std::string::npos);
  CHECK(result[0].find(R"("outcome":"unverified")") != std::string::npos);
  CHECK(result[0].find(R"("reason":"not_sent")") != std::string::npos);
  CHECK(logged(answered, rct::LogLevel::kInfo,
               "inv: write SN1 soc_target: unverified (not_sent): not sent: not connected"));
  CHECK(h.machine.on_write_outcome(writes[0].tag, o, at(13s)).empty());  // answered once
}

TEST_CASE("a command before the session runs or for a plant slave is rejected, not written",
          "[session]") {
  Harness idle;
  const Effects before = idle.machine.on_command("soc_target", "50", at(0s));
  CHECK(all_of<SubmitWrite>(before).empty());
  const auto lines = all_of<LogLine>(before);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].text.find("rejected (writes_disabled)") != std::string::npos);

  rct::Config c = config(true);
  c.inverters[0].address = 7;
  Harness slave(c);
  slave.start_polling(10s);
  const Effects command = slave.machine.on_command("soc_target", "50", at(11s));
  CHECK(all_of<SubmitWrite>(command).empty());
  const auto result = payloads_on(command, "rct/SN1/settings/soc_target/set/result");
  REQUIRE(result.size() == 1);
  CHECK(result[0].find("plant address") != std::string::npos);
}

namespace {

// The writer's outcome of a verified write of `text` to `oid`.
rct::client::WriteOutcome verified(std::uint32_t oid, std::string_view text) {
  auto prepared = rct::prepare_write(rct::allow_every_writable(), oid, text, rct::InputUnit::kUser);
  REQUIRE(prepared);
  rct::client::WriteOutcome o;
  o.status = rct::client::WriteStatus::kVerified;
  o.oid = oid;
  o.readback = prepared->value;
  o.write = prepared.value();
  o.writes_sent = 1;
  o.message = "verified";
  return o;
}

rct::client::WriteOutcome revert_outcome(const SubmitWrite& w, bool ok) {
  auto prepared = rct::prepare_write(rct::allow_every_writable(), w.request.oid,
                                     std::get<double>(w.request.value), rct::InputUnit::kWire);
  REQUIRE(prepared);
  rct::client::WriteOutcome o;
  o.status = ok ? rct::client::WriteStatus::kVerified : rct::client::WriteStatus::kUnverified;
  if (!ok) o.cause = rct::client::UnverifiedCause::kNoAnswer;
  o.oid = w.request.oid;
  o.write = prepared.value();
  o.writes_sent = 1;
  if (ok) o.readback = prepared->value;
  o.message = ok ? "verified" : "no answer";
  return o;
}

// Strategy External written through a command at `when`: the dead-man timer is armed.
void hold_external(Harness& h, Duration when) {
  const auto w = all_of<SubmitWrite>(h.machine.on_command("soc_strategy", "External", at(when)));
  REQUIRE(w.size() == 1);
  h.machine.on_write_outcome(w[0].tag, verified(rct::kOidSocStrategy, "External"), at(when));
  REQUIRE(h.machine.writes().dead_man_state() == rct::daemon::DeadManTimer::State::kArmed);
}

}  // namespace

TEST_CASE("the dead-man timer of a session reverts an External session not refreshed in time",
          "[session]") {
  Harness h(config(true));
  h.start_polling(10s);
  hold_external(h, 20s);
  CHECK(all_of<SubmitWrite>(h.run_until(79s)).empty());
  const Effects due = h.run_until(80s);
  CHECK(logged(due, rct::LogLevel::kWarn,
               "inv: dead-man: battery_power_extern was not refreshed within 60 s: writing it 0 "
               "W and soc_strategy Internal"));
  const auto reverts = all_of<SubmitWrite>(due);
  REQUIRE(reverts.size() == 2);
  CHECK(reverts[0].request.oid == rct::kOidBatteryPowerExtern);
  CHECK(reverts[1].request.oid == rct::kOidSocStrategy);
  CHECK(std::get<double>(reverts[1].request.value) == rct::kStrategyInternal);
  CHECK(reverts[0].request.safety_revert);
  CHECK(reverts[1].request.unit == rct::InputUnit::kWire);

  Effects answers =
      h.machine.on_write_outcome(reverts[0].tag, revert_outcome(reverts[0], true), at(81s));
  rct::daemon::append(answers, h.machine.on_write_outcome(
                                   reverts[1].tag, revert_outcome(reverts[1], true), at(82s)));
  const auto result = payloads_on(answers, "rct/SN1/settings/soc_strategy/set/result");
  REQUIRE(result.size() == 1);
  CHECK(result[0].find(R"("id":null)") != std::string::npos);
  CHECK(result[0].find(R"("reason":"dead_man")") != std::string::npos);
  CHECK(payloads_on(answers, "rct/SN1/settings/soc_strategy") ==
        std::vector<std::string>{"Internal"});
  CHECK(all_of<LogLine>(answers).size() == 2);
  CHECK(all_of<LogLine>(answers)[0].level == rct::LogLevel::kWarn);
  CHECK(h.machine.writes().dead_man_state() == rct::daemon::DeadManTimer::State::kIdle);
  CHECK(all_of<SubmitWrite>(h.run_until(600s)).empty());
}

TEST_CASE("revert before stop writes the dead-man reverts and then lets the daemon stop",
          "[session]") {
  Harness h(config(true));
  h.start_polling(10s);
  hold_external(h, 20s);
  const Effects stopping = h.machine.revert_before_stop(at(30s));
  CHECK(logged(stopping, rct::LogLevel::kWarn,
               "inv: stopping while the dead-man timer is armed: writing battery_power_extern 0 W "
               "and soc_strategy Internal first"));
  CHECK(all_of<rct::daemon::StopReverted>(stopping).empty());
  const auto reverts = all_of<SubmitWrite>(stopping);
  REQUIRE(reverts.size() == 2);
  // The dead-man deadline no longer applies: the revert is under way.
  CHECK(all_of<SubmitWrite>(h.run_until(200s)).empty());
  CHECK(all_of<rct::daemon::StopReverted>(
            h.machine.on_write_outcome(reverts[0].tag, revert_outcome(reverts[0], true), at(201s)))
            .empty());
  const Effects last =
      h.machine.on_write_outcome(reverts[1].tag, revert_outcome(reverts[1], false), at(202s));
  CHECK(all_of<rct::daemon::StopReverted>(last).size() == 1);
  CHECK(logged(last, rct::LogLevel::kWarn,
               "inv: dead-man revert not confirmed; trying again in 30 s"));

  const Effects stopped = h.machine.stop(at(203s));
  CHECK(logged(stopped, rct::LogLevel::kWarn,
               "inv: stopping while the dead-man timer is reverting: nothing will revert "
               "battery_power_extern and soc_strategy until rct2mqtt runs again"));
  CHECK(h.machine.phase() == Phase::kStopped);
  CHECK_FALSE(h.machine.next_wakeup().has_value());
  CHECK(h.machine.on_reading(rct::test::kSoc, rct::Value(0.5f), at(204s)).size() == 1);  // progress
}

TEST_CASE("revert before stop is done at once when there is nothing to revert or no link",
          "[session]") {
  Harness idle(config(true));
  idle.start_polling(10s);
  const Effects nothing = idle.machine.revert_before_stop(at(11s));
  CHECK(all_of<rct::daemon::StopReverted>(nothing).size() == 1);
  CHECK(all_of<SubmitWrite>(nothing).empty());
  CHECK(all_of<LogLine>(idle.machine.stop(at(12s))).empty());

  Harness down(config(true));
  down.start_polling(10s);
  hold_external(down, 20s);
  down.link_down();
  const Effects cannot = down.machine.revert_before_stop(at(30s));
  CHECK(all_of<rct::daemon::StopReverted>(cannot).size() == 1);
  CHECK(all_of<SubmitWrite>(cannot).empty());
  CHECK(logged(cannot, rct::LogLevel::kWarn,
               "inv: stopping while not connected: the dead-man revert cannot be written"));
}

TEST_CASE("a reload that keeps the connection applies intervals, values and writes live",
          "[session]") {
  Harness h(config(true));
  h.start_polling(30s);
  const std::size_t before = h.machine.items().size();

  rct::Config next = config(false);
  next.inverters[0].offline_after = 20s;
  next.inverters[0].frames_per_second = 2.0;
  next.poll.exclude.push_back(rct::ValueRef{"battery.soc", std::nullopt});
  REQUIRE(h.machine.same_connection(settings(next)));
  const Effects reloaded = h.machine.apply_settings(settings(next), at(31s));
  CHECK(h.machine.items().size() < before);
  CHECK(logged(reloaded, rct::LogLevel::kInfo,
               "inv: polling " + std::to_string(h.machine.items().size()) + " values"));
  CHECK(payloads_on(reloaded, kDeviceTopic).size() == 1);  // discovery follows the list
  // Writes disabled: the settings topics are cleared, and commands refused by the writer policy.
  CHECK(payloads_on(reloaded, "rct/SN1/settings/soc_target") == std::vector<std::string>{""});
  CHECK_FALSE(h.machine.write_policy().enabled);

  h.reads.clear();
  h.run_until(120s);
  CHECK(std::count(h.reads.begin(), h.reads.end(), rct::test::kSoc) == 0);
  // 2 frames/s: no more than that many reads in the 89 s since the reload.
  CHECK(h.reads.size() <= 2 * 89 + 1);

  // The shorter offline_after applies.
  h.link_down();
  CHECK(payloads_on(h.run_until(h.last_answer + 20s - 1ms), kStatus).empty());
  CHECK(payloads_on(h.run_until(h.last_answer + 20s), kStatus) ==
        std::vector<std::string>{"offline"});

  rct::Config moved = next;
  moved.inverters[0].host = "192.0.2.2";
  CHECK_FALSE(h.machine.same_connection(settings(moved)));
  rct::Config slower = next;
  slower.inverters[0].request_timeout = 5s;
  CHECK_FALSE(h.machine.same_connection(settings(slower)));
}

TEST_CASE("a session counts failed reads as errors, but not reads the link took down",
          "[session]") {
  Harness h;
  h.start_polling(5s);
  h.machine.on_read_failed(rct::test::kSoc, rct::client::ClientError::kDisconnected, at(6s));
  h.machine.on_read_failed(rct::test::kSoc, rct::client::ClientError::kTimeout, at(6s));
  const Effects diag = h.run_until(20s);
  CHECK(payloads_on(diag, "rct/SN1/bridge/errors").back() == "1");
}

namespace {

void set_fault_words(Harness& h, const rct::FaultWords& words) {
  for (std::size_t k = 0; k < rct::kFaultWordCount; ++k) {
    h.values[rct::kFaultWordOids[k]] = rct::Value{words[k]};
  }
}

std::vector<std::string> fault_event_types(const Effects& effects) {
  std::vector<std::string> out;
  for (const Publish& p : all_of<Publish>(effects)) {
    if (p.topic != "rct/SN1/inverter/fault_event") continue;
    CHECK_FALSE(p.retain);
    const auto j = nlohmann::json::parse(p.payload);
    out.push_back(j.at("event_type").get<std::string>() + " " +
                  std::to_string(j.at("fault").get<unsigned>()));
  }
  return out;
}

}  // namespace

TEST_CASE("a fault raised and cleared gives one event each, none for a set already known",
          "[session][faults]") {
  Harness h;
  set_fault_words(h, {0, 0, 0, 0});
  const Effects first = h.start_polling(150s);
  // The first set ever seen is the baseline: no events, but the state and the record.
  CHECK(fault_event_types(first).empty());
  CHECK(payloads_on(first, "rct/SN1/inverter/faults").back() == "none");
  CHECK(h.records.records["SN1"].fault_words == rct::FaultWords{0, 0, 0, 0});
  // The event table read of the start, answered: nothing in it.
  REQUIRE(all_of<rct::daemon::QueryEvents>(first).size() == 1);
  h.machine.on_event_table(rct::EventTable{}, at(h.now));

  set_fault_words(h, {0, 0, 1u << 26, 0});
  const Effects raised = h.run_until(400s);
  CHECK(fault_event_types(raised) == std::vector<std::string>{"raised 90"});
  CHECK(payloads_on(raised, "rct/SN1/inverter/faults").back() ==
        "inverter disconnected from household grid");
  CHECK(logged(raised, rct::LogLevel::kWarn,
               "inv: fault raised: inverter disconnected from household grid"));
  // A change of the fault set reads the event table again.
  CHECK_FALSE(all_of<rct::daemon::QueryEvents>(raised).empty());

  // Still raised: no more events however often it is read.
  CHECK(fault_event_types(h.run_until(700s)).empty());

  set_fault_words(h, {0, 0, 0, 0});
  const Effects cleared = h.run_until(1000s);
  CHECK(fault_event_types(cleared) == std::vector<std::string>{"cleared 90"});
  CHECK(payloads_on(cleared, "rct/SN1/inverter/faults").back() == "none");

  // A restart knows the last set: a fault raised while the daemon was down is raised once.
  Harness restarted;
  restarted.records.records["SN1"].fault_words = rct::FaultWords{0, 0, 0, 0};
  set_fault_words(restarted, {1u << 25, 0, 0, 0});
  CHECK(fault_event_types(restarted.start_polling(150s)) == std::vector<std::string>{"raised 25"});
}

TEST_CASE("the event table is read after start and every reconnect, each entry published once",
          "[session][event_log]") {
  Harness h;
  const Effects started = h.start_polling(5s);
  auto queries = all_of<rct::daemon::QueryEvents>(started);
  REQUIRE(queries.size() == 1);
  const auto wall_s =
      std::chrono::duration_cast<std::chrono::seconds>(at(h.now).wall.time_since_epoch()).count();
  // The first read is the newest page before one day ahead of the wall clock (local time).
  CHECK(queries[0].single_page);
  CHECK(queries[0].to > wall_s);

  rct::EventTable table;
  const auto t = static_cast<std::uint32_t>(wall_s - 600);
  table.entries = {rct::EventEntry{0x5A, t, t + 100, 3, 0},
                   rct::EventEntry{0x76, t + 200, t + 210, 0, 0}};
  const Effects answered = h.machine.on_event_table(table, at(7s));
  const auto entries = payloads_on(answered, "rct/SN1/inverter/event_log");
  REQUIRE(entries.size() == 2);
  CHECK(nlohmann::json::parse(entries[0]).at("name") == "NO_GRID");
  CHECK(nlohmann::json::parse(entries[1]).at("name") == "RESET");
  for (const Publish& p : all_of<Publish>(answered)) CHECK_FALSE(p.retain);
  REQUIRE(h.records.records["SN1"].event_log.has_value());
  CHECK(h.records.records["SN1"].event_log->time == t + 200);
  CHECK_FALSE(all_of<rct::daemon::StateChanged>(answered).empty());

  // A reconnect reads it again; what was published is not published again.
  h.link_down();
  const Effects reconnected = h.connect();
  queries = all_of<rct::daemon::QueryEvents>(reconnected);
  REQUIRE(queries.size() == 1);
  CHECK(queries[0].from == t + 200);
  CHECK(payloads_on(h.machine.on_event_table(table, at(8s)), "rct/SN1/inverter/event_log").empty());

  // A failed read is retried after a minute, on a tick.
  h.link_down();
  h.connect();
  h.machine.on_event_table_failed(rct::client::ClientError::kTimeout, at(9s));
  const Effects retried = h.run_until(80s);
  CHECK(all_of<rct::daemon::QueryEvents>(retried).size() == 1);

  // A restart with the persisted position publishes nothing already seen.
  Harness restarted;
  restarted.records.records["SN1"].event_log = h.records.records["SN1"].event_log;
  const Effects again = restarted.start_polling(5s);
  queries = all_of<rct::daemon::QueryEvents>(again);
  REQUIRE(queries.size() == 1);
  CHECK(queries[0].from == t + 200);
  table.entries.push_back(rct::EventEntry{0x6B, t + 300, t + 400, 0, 0});
  const auto fresh =
      payloads_on(restarted.machine.on_event_table(table, at(6s)), "rct/SN1/inverter/event_log");
  REQUIRE(fresh.size() == 1);
  CHECK(nlohmann::json::parse(fresh[0]).at("name") == "CAN_TIMEOUT");
}

TEST_CASE("the debug summary says what the scheduler deferred when the link is short",
          "[session]") {
  const auto summaries = [](const Effects& effects) {
    std::vector<std::string> out;
    for (const LogLine& l : all_of<LogLine>(effects)) {
      if (l.level == rct::LogLevel::kDebug && l.text.find(" answers, ") != std::string::npos) {
        out.push_back(l.text);
      }
    }
    return out;
  };
  Harness roomy;
  roomy.start_polling(5s);
  const auto plenty = summaries(roomy.run_until(600s));
  REQUIRE_FALSE(plenty.empty());
  CHECK(plenty.back().find("0 failed reads in the last 10 s; nothing deferred") !=
        std::string::npos);

  // 2 requests/s: the fast values (1.5/s) fit, fast and slow together do not.
  rct::Config c = config();
  c.inverters[0].frames_per_second = 2.0;
  Harness h(c);
  h.start_polling(5s);
  h.run_until(600s);
  const auto short_link = summaries(h.run_until(610s));
  REQUIRE(short_link.size() == 1);
  INFO(short_link[0]);
  CHECK(short_link[0].rfind("inv: 20 answers, 0 failed reads in the last 10 s; deferred ", 0) == 0);
  CHECK(short_link[0].find("so that the fast values keep theirs; longest waits: ") !=
        std::string::npos);
  CHECK(short_link[0].find("of them fast") == std::string::npos);

  // Without a connection nothing is deferred, nothing is read.
  h.link_down();
  const auto down = summaries(h.run_until(630s));
  REQUIRE_FALSE(down.empty());
  CHECK(down.back() == "inv: 0 answers, 0 failed reads in the last 10 s; not connected");
}

TEST_CASE("a session's figures show its link, values with units, publications and reconnects",
          "[session][metrics]") {
  Harness h;
  const auto figures_at = [&h](const rct::client::TrackerStats* frames) {
    return rct::daemon::inverter_figures(h.machine, frames, kMachineStart + h.now);
  };
  h.settle(h.machine.start(at(0s)));
  const rct::daemon::InverterFigures before = figures_at(nullptr);
  CHECK(before.name == "inv");
  CHECK(before.serial.empty());
  CHECK_FALSE(before.link_up);
  CHECK(before.counting_since == kMachineStart);
  CHECK(before.values.empty());
  CHECK(before.frames_sent == 0);

  h.connect();
  h.run_until(30s);
  rct::client::TrackerStats frames;
  frames.sent = 40;
  frames.completed = 38;
  frames.gave_up = 1;
  frames.unsolicited = 4;
  frames.latency.record(20ms);
  const rct::daemon::InverterFigures polling = figures_at(&frames);
  CHECK(polling.serial == "SN1");
  CHECK(polling.link_up);
  CHECK(polling.online);
  CHECK(polling.frames_sent == 40);
  CHECK(polling.frames_answered == 38);
  CHECK(polling.requests_lost == 1);
  CHECK(polling.frames_foreign == 4);
  CHECK(polling.latency.total == 1);
  CHECK(polling.reconnects == 0);
  CHECK(polling.values_published > 0);
  const auto soc = std::find_if(polling.values.begin(), polling.values.end(),
                                [](const auto& v) { return v.key == "battery/soc"; });
  REQUIRE(soc != polling.values.end());
  CHECK(soc->unit == "%");
  CHECK(soc->value == 50.0);
  CHECK(std::is_sorted(polling.values.begin(), polling.values.end(),
                       [](const auto& a, const auto& b) { return a.key < b.key; }));

  // The link comes back: one reconnect.
  h.link_down();
  h.now += 5s;
  h.connect();
  CHECK(figures_at(&frames).reconnects == 1);
  CHECK_FALSE(figures_at(&frames).values.empty());
}

TEST_CASE("the republish button publishes discovery, status and values again at once",
          "[session][bridge_actions]") {
  Harness idle;
  idle.settle(idle.machine.start(at(0s)));
  // Still reading the inventory: nothing announced yet, the press is refused.
  const Effects early = idle.machine.on_command("bridge/republish_discovery", "PRESS", at(0s));
  const auto early_answers = all_of<Publish>(early);
  REQUIRE(early_answers.size() == 1);
  CHECK(early_answers[0].payload.find(R"("reason":"busy")") != std::string::npos);

  Harness h;
  const Effects polling = h.start_polling(60s);
  const Effects pressed = h.machine.on_command("bridge/republish_discovery", "PRESS", at(61s));
  CHECK(payloads_on(pressed, kDeviceTopic).size() == 1);
  CHECK(payloads_on(pressed, kStatus) == std::vector<std::string>{"online"});
  CHECK(payloads_on(pressed, "rct/SN1/battery/soc") == std::vector<std::string>{"50"});
  CHECK(all_of<ReadOid>(pressed).empty());
  const auto answer = payloads_on(pressed, "rct/SN1/bridge/republish_discovery/set/result");
  REQUIRE(answer.size() == 1);
  CHECK(answer[0].find(R"("outcome":"accepted")") != std::string::npos);
  // The discovery config is the one announced while polling, the buttons included.
  const auto announced = payloads_on(polling, kDeviceTopic);
  REQUIRE_FALSE(announced.empty());
  CHECK(payloads_on(pressed, kDeviceTopic).front() == announced.back());
  CHECK(announced.back().find("rct/SN1/bridge/reconnect/set") != std::string::npos);

  // Again within 10 s: refused, nothing republished.
  const Effects soon = h.machine.on_command("bridge/republish_discovery", "PRESS", at(65s));
  CHECK(payloads_on(soon, kDeviceTopic).empty());
  CHECK(h.machine.bridge_actions().counts(rct::daemon::BridgeAction::kRepublishDiscovery) ==
        rct::daemon::BridgeActions::Counts{1, 1});
}

TEST_CASE("the reconnect button closes and reopens the link without losing availability",
          "[session][bridge_actions]") {
  Harness h;
  h.start_polling(30s);
  REQUIRE(h.machine.online());
  const Effects pressed = h.machine.on_command("bridge/reconnect", "PRESS", at(30s));
  CHECK(all_of<rct::daemon::ReconnectInverter>(pressed).size() == 1);
  CHECK(logged(pressed, rct::LogLevel::kInfo, "inv: reconnecting to 192.0.2.1:8899"));
  CHECK_FALSE(h.machine.link_up());
  CHECK_FALSE(h.machine.connected());
  CHECK(h.machine.online());  // availability keeps its own clock
  CHECK(payloads_on(pressed, kStatus).empty());
  // No reads go out before the new connection.
  h.reads.clear();
  CHECK(all_of<ReadOid>(h.run_until(31s)).empty());
  // What the client reports while it closes and connects again.
  CHECK(h.machine.on_connected(false, at(31s)).empty());
  const Effects back = h.connect();
  CHECK(logged(back, rct::LogLevel::kInfo, "inv: connected to 192.0.2.1:8899"));
  REQUIRE_FALSE(h.reads.empty());
  CHECK(is_inventory(h.reads.front()));  // a new connection reads the inventory first
  const Effects later = h.run_until(120s);
  CHECK(payloads_on(later, kStatus).empty());  // online throughout
  CHECK(h.machine.online());

  // A reconnect that takes longer than offline_after: offline once, online with the next answer.
  h.answering = false;
  CHECK(all_of<rct::daemon::ReconnectInverter>(
            h.machine.on_command("bridge/reconnect", "PRESS", at(120s)))
            .size() == 1);
  CHECK(payloads_on(h.run_until(181s), kStatus) == std::vector<std::string>{"offline"});
  h.answering = true;
  CHECK(payloads_on(h.connect(), kStatus) == std::vector<std::string>{"online"});
}

TEST_CASE("the reconnect button is refused while a write or an External session would be lost",
          "[session][bridge_actions]") {
  Harness h(config(true));
  h.start_polling(10s);
  // A write awaiting its outcome.
  const auto w = all_of<SubmitWrite>(h.machine.on_command("soc_target", "60", at(11s)));
  REQUIRE(w.size() == 1);
  const Effects during = h.machine.on_command("bridge/reconnect", "PRESS", at(12s));
  CHECK(all_of<rct::daemon::ReconnectInverter>(during).empty());
  const auto refused = payloads_on(during, "rct/SN1/bridge/reconnect/set/result");
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].find(R"("reason":"busy")") != std::string::npos);
  CHECK(refused[0].find("awaiting its outcome") != std::string::npos);
  CHECK(h.machine.connected());
  h.machine.on_write_outcome(w[0].tag, verified(0xD1DFC969, "60"), at(13s));

  // The dead-man timer holds an External session.
  hold_external(h, 20s);
  const Effects held = h.machine.on_command("bridge/reconnect", "PRESS", at(21s));
  CHECK(all_of<rct::daemon::ReconnectInverter>(held).empty());
  CHECK(payloads_on(held, "rct/SN1/bridge/reconnect/set/result")[0].find("dead-man") !=
        std::string::npos);

  // Handed back (someone wrote Internal): the reconnect goes through.
  const auto internal =
      all_of<SubmitWrite>(h.machine.on_command("soc_strategy", "Internal", at(30s)));
  REQUIRE(internal.size() == 1);
  h.machine.on_write_outcome(internal[0].tag, verified(rct::kOidSocStrategy, "Internal"), at(31s));
  REQUIRE(h.machine.writes().dead_man_state() == rct::daemon::DeadManTimer::State::kIdle);
  CHECK(all_of<rct::daemon::ReconnectInverter>(
            h.machine.on_command("bridge/reconnect", "PRESS", at(32s)))
            .size() == 1);
}
