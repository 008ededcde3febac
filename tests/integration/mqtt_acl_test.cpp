// Who may command the battery (docs/mqtt.md §9): the shipped examples/mosquitto/rct2mqtt.acl in a
// real Mosquitto with accounts made by mosquitto_passwd at test time, the real rct2mqtt logged in
// as its own account, the simulator. A read-only account's command is refused by the broker and
// never reaches the bridge; Node-RED's account's command is carried out. Every wait has a
// deadline; nothing sleeps.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/command.h"
#include "core/value_codec.h"
#include "core/write_allowlist.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using nlohmann::json;
using namespace rct::test::e2e;

namespace {

constexpr std::uint32_t kAclSocTargetOid = 0xD1DFC969;  // power_mng.soc_target_set, 0..1

using Account = Login;
const Account kBridge{"rct2mqtt", "bridge pass"};
const Account kHomeAssistant{"homeassistant", "ha pass"};
const Account kNodeRed{"nodered", "nr pass"};
const Account kReader{"grafana", "reader pass"};

rct::test::BrokerOptions acl_broker() {
  rct::test::BrokerOptions o;
  o.user_password = std::make_pair(kBridge.username, kBridge.password);
  for (const Account& a : {kHomeAssistant, kNodeRed, kReader}) {
    o.more_users.emplace_back(a.username, a.password);
  }
  o.acl_file = std::filesystem::path(RCT_SOURCE_DIR) / "examples/mosquitto/rct2mqtt.acl";
  return o;
}

std::size_t writes_of(World& w, float value) {
  std::size_t n = 0;
  for (const rct::Frame& f : w.sim->received().frames(rct::Command::kWrite, kAclSocTargetOid)) {
    auto v = rct::decode_value(rct::DataType::kFloat, f.payload);
    if (v && std::get<float>(v.value()) == value) ++n;
  }
  return n;
}

// Every WRITE the simulator received for one of the OIDs a battery mode writes.
std::size_t acl_mode_writes(World& w) {
  std::size_t n = 0;
  for (const std::uint32_t oid :
       {rct::kOidSocMin, rct::kOidSocStrategy, rct::kOidBatteryPowerExtern}) {
    n += w.sim->received().frames(rct::Command::kWrite, oid).size();
  }
  return n;
}

// Writes enabled for the battery modes, with a short effect window; the bridge logs in as its
// account.
DaemonSetup acl_modes_setup() {
  DaemonSetup setup;
  // [battery_modes] follows [writes], the last section of the file. The simulator's house
  // model steps every 2 s of device time, so a new battery power shows up to 2 s after its
  // write: the effect window judges its second half, which must start after that step.
  setup.writes =
      "enabled = true\nallow = [\"battery_mode\"]\nmin_interval = 1\nreadback_delay = 0.2\n"
      "readback_interval = 0.2\nreadback_attempts = 3\n"
      "[battery_modes]\neffect_window = 5\nsample_interval = 0.5\ntolerance = 300\n";
  setup.extra_mqtt =
      "username = \"" + kBridge.username + "\"\npassword = \"" + kBridge.password + "\"\n";
  return setup;
}

// The first answer on `topic` with this id, parsed, and its line's index.
std::optional<std::pair<json, std::size_t>> acl_answer(Subscriber& sub, const std::string& topic,
                                                       const std::string& id) {
  std::optional<json> answer;
  const auto at = sub.wait(
      [&](const Line& l) {
        if (l.topic != topic) return false;
        json j = json::parse(l.payload, nullptr, false);
        if (j.is_discarded() || j.value("id", "") != id) return false;
        answer = std::move(j);
        return true;
      },
      40s);
  if (!at) return std::nullopt;
  return std::make_pair(std::move(*answer), *at);
}

}  // namespace

TEST_CASE("with the example ACL only Node-RED's and Home Assistant's accounts command the battery",
          "[mqtt][acl][e2e]") {
  DaemonSetup setup;
  setup.writes = "enabled = true\n";
  setup.extra_mqtt =
      "username = \"" + kBridge.username + "\"\npassword = \"" + kBridge.password + "\"\n";
  // The observer reads as the read-only account: what every other account may see.
  World w(setup, acl_broker(), {{"rct2mqtt/#"}, 1}, {kReader.username, kReader.password});
  Subscriber discovery(w.broker.port(), {{"homeassistant/#"}, 0},
                       {kHomeAssistant.username, kHomeAssistant.password});
  auto daemon = w.start();
  // The bridge publishes under its account: status, values and discovery.
  const std::string serial = serial_of(*w.sub);
  REQUIRE(discovery.wait_line_topic("homeassistant/device/rct2mqtt_" + serial + "/config", 20s));

  const std::string command = "rct2mqtt/" + serial + "/settings/soc_target/set";
  const std::string result = command + "/result";

  // The read-only account: the broker refuses the command.
  const auto refused =
      publish_as(kReader, w.broker.port(), command, R"({"value": 60, "id": "forbidden"})");
  INFO("mosquitto_pub: " << refused.out << refused.err);
  CHECK(refused.err.find("Not authorized") != std::string::npos);
  CHECK(acl_mode_writes(w) == 0);

  // Node-RED's account, afterwards: carried out and verified. Had the broker passed the first
  // command on, the bridge would have received, written and answered it before this one.
  const auto allowed =
      publish_as(kNodeRed, w.broker.port(), command, R"({"value": 80, "id": "allowed"})");
  REQUIRE(allowed.exit_code == 0);
  CHECK(allowed.err.find("Not authorized") == std::string::npos);
  std::optional<json> answer;
  const auto at = w.sub->wait(
      [&](const Line& l) {
        if (l.topic != result) return false;
        json j = json::parse(l.payload, nullptr, false);
        if (j.is_discarded() || j.value("id", "") != "allowed") return false;
        answer = std::move(j);
        return true;
      },
      30s);
  REQUIRE(at);
  CHECK((*answer)["outcome"] == "verified");
  CHECK(writes_of(w, 0.8f) >= 1);

  // Nothing of the refused command: no WRITE of 0.6, no answer, no audit line.
  CHECK(writes_of(w, 0.6f) == 0);
  for (const Line& l : w.sub->lines()) {
    if (l.topic == result) CHECK(l.payload.find("forbidden") == std::string::npos);
  }
  // The audit line of the allowed command; one of the refused one would have come before it.
  CHECK(daemon->wait_for_output("(id \"allowed\")", 10s, true));
  CHECK(daemon->err().find("forbidden") == std::string::npos);

  // Home Assistant's account may command too.
  const auto from_ha =
      publish_as(kHomeAssistant, w.broker.port(), "rct2mqtt/" + serial + "/settings/soc_min/set",
                 R"({"value": 20, "id": "ha"})");
  CHECK(from_ha.err.find("Not authorized") == std::string::npos);
  CHECK(w.sub->wait_line_topic("rct2mqtt/" + serial + "/settings/soc_min/set/result", 30s));

  stop_daemon(*daemon);
}

TEST_CASE("with the example ACL a read-only account cannot change the battery mode, Node-RED's can",
          "[mqtt][acl][e2e][battery_mode]") {
  World w(acl_modes_setup(), acl_broker(), {{"rct2mqtt/#"}, 1},
          {kReader.username, kReader.password});
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string mode_topic = "rct2mqtt/" + serial + "/battery/mode";
  const std::string command = mode_topic + "/set";
  const std::string result = command + "/result";
  REQUIRE(w.sub->wait_line(mode_topic, "normal", 20s));

  // The read-only account sends hold as Home Assistant's select would: the broker refuses it.
  const auto refused = publish_as(kReader, w.broker.port(), command, "hold");
  INFO("mosquitto_pub: " << refused.out << refused.err);
  CHECK(refused.err.find("Not authorized") != std::string::npos);
  CHECK(acl_mode_writes(w) == 0);

  // Node-RED's account, afterwards: carried out and verified. Had the broker passed the refused
  // hold on, the bridge would have taken it first and answered it (carried out, or this one
  // would have been refused as busy) before this answer.
  const auto allowed =
      publish_as(kNodeRed, w.broker.port(), command, R"({"mode": "hold", "id": "allowed"})");
  INFO("mosquitto_pub: " << allowed.out << allowed.err);
  REQUIRE(allowed.exit_code == 0);
  CHECK(allowed.err.find("Not authorized") == std::string::npos);
  const auto answer = acl_answer(*w.sub, result, "allowed");
  REQUIRE(answer);
  INFO("answer: " << answer->first.dump());
  CHECK(answer->first["mode"] == "hold");
  CHECK(answer->first["outcome"] == "verified");
  CHECK(answer->first["effect"].is_object());
  CHECK(w.sub->wait_line(mode_topic, "hold", 10s));
  CHECK(w.sim->received().frames(rct::Command::kWrite, rct::kOidSocMin).size() >= 1);

  // Nothing of the refused command: no other answer, no audit line of a plain 'hold'.
  for (const Line& l : w.sub->lines()) {
    if (l.topic == result) CHECK(l.payload.find("\"allowed\"") != std::string::npos);
  }
  CHECK(daemon->wait_for_output("(id \"allowed\")", 10s, true));
  CHECK(daemon->err().find("'hold'") == std::string::npos);

  stop_daemon(*daemon);
}
