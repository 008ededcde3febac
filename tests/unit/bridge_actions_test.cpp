#include "daemon/bridge_actions.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/topics.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::BridgeAction;
using rct::daemon::BridgeActions;
using rct::daemon::Effects;
using rct::daemon::LogLine;
using rct::daemon::Moment;
using rct::daemon::Publish;

namespace {

const rct::daemon::Instant kPressStart = rct::daemon::Instant{} + 500h;
const rct::daemon::WallTime kPressWallStart = rct::daemon::WallTime{} + 480000h;

Moment press_at(rct::daemon::Duration since) {
  return Moment{
      kPressStart + since,
      kPressWallStart + std::chrono::duration_cast<rct::daemon::WallTime::duration>(since)};
}

const std::string kReconnectResult = "rct/SN1/bridge/reconnect/set/result";

struct PressSeen {
  bool accepted = false;
  Effects effects;
  nlohmann::json answer;  // the one answer on kReconnectResult
  std::string log;        // the one log line
};

PressSeen press_reconnect(BridgeActions& actions, std::string_view payload,
                          rct::daemon::Duration since, std::string_view blocker = {}) {
  PressSeen seen;
  seen.accepted = actions.press(seen.effects, BridgeAction::kReconnect, payload, blocker,
                                "inv: ", kReconnectResult, press_at(since));
  REQUIRE(seen.effects.size() == 2);
  const auto* line = std::get_if<LogLine>(&seen.effects[0]);
  REQUIRE(line != nullptr);
  CHECK(line->level == rct::LogLevel::kInfo);
  seen.log = line->text;
  const auto* answer = std::get_if<Publish>(&seen.effects[1]);
  REQUIRE(answer != nullptr);
  CHECK(answer->topic == kReconnectResult);
  CHECK(answer->qos == 1);
  CHECK_FALSE(answer->retain);
  seen.answer = nlohmann::json::parse(answer->payload);
  return seen;
}

}  // namespace

TEST_CASE("bridge action keys and topics name each button and nothing else", "[bridge_actions]") {
  CHECK(rct::daemon::bridge_action_key(BridgeAction::kReconnect) == "bridge/reconnect");
  CHECK(rct::daemon::bridge_action_key(BridgeAction::kRepublishDiscovery) ==
        "bridge/republish_discovery");
  CHECK(rct::daemon::bridge_action_of_key("bridge/reconnect") == BridgeAction::kReconnect);
  CHECK(rct::daemon::bridge_action_of_key("bridge/republish_discovery") ==
        BridgeAction::kRepublishDiscovery);
  CHECK_FALSE(rct::daemon::bridge_action_of_key("reconnect").has_value());
  CHECK_FALSE(rct::daemon::bridge_action_of_key("bridge/errors").has_value());
  CHECK_FALSE(rct::daemon::bridge_action_of_key("soc_target").has_value());
  CHECK(rct::daemon::bridge_action_command_topic("a/b", "SN 1", "reconnect") ==
        "a/b/SN_1/bridge/reconnect/set");
  CHECK(rct::daemon::bridge_action_result_topic("a/b", "SN_1", "reconnect") ==
        "a/b/SN_1/bridge/reconnect/set/result");
  CHECK(rct::daemon::bridge_action_command_filter("a/b") == "a/b/+/bridge/+/set");
}

TEST_CASE("a button press is accepted once per 10 s, logged, answered and counted",
          "[bridge_actions]") {
  BridgeActions actions;
  const PressSeen first = press_reconnect(actions, "PRESS", 0s);
  CHECK(first.accepted);
  CHECK(first.answer["outcome"] == "accepted");
  CHECK(first.answer["key"] == "reconnect");
  CHECK(first.answer["id"].is_null());
  CHECK(first.answer["reason"].is_null());
  CHECK(first.log == "inv: button reconnect pressed: accepted (accepted 1, refused 0)");

  // Within the interval: refused, and the refusal does not move the interval.
  const PressSeen again = press_reconnect(actions, "PRESS", 9s);
  CHECK_FALSE(again.accepted);
  CHECK(again.answer["outcome"] == "rejected");
  CHECK(again.answer["reason"] == "rate_limited");
  CHECK(again.log ==
        "inv: button reconnect pressed: refused (rate_limited): pressed again within 10 s of the "
        "last press; again in 1 s (accepted 1, refused 1)");
  CHECK(press_reconnect(actions, " PRESS\n", 10s).accepted);
  CHECK(actions.counts(BridgeAction::kReconnect) == BridgeActions::Counts{2, 1});
  // Each action has its own interval.
  Effects other;
  CHECK(actions.press(other, BridgeAction::kRepublishDiscovery, "PRESS", {},
                      "inv: ", "rct/SN1/bridge/republish_discovery/set/result", press_at(11s)));
  CHECK(actions.counts(BridgeAction::kRepublishDiscovery) == BridgeActions::Counts{1, 0});
}

TEST_CASE("a button press with another payload or while blocked is refused and starts no interval",
          "[bridge_actions]") {
  BridgeActions actions;
  const PressSeen wrong = press_reconnect(actions, "ON", 0s);
  CHECK_FALSE(wrong.accepted);
  CHECK(wrong.answer["reason"] == "unparseable");
  const PressSeen blocked = press_reconnect(actions, "PRESS", 1s, "a write is under way");
  CHECK_FALSE(blocked.accepted);
  CHECK(blocked.answer["reason"] == "busy");
  CHECK(blocked.answer["message"] == "a write is under way");
  CHECK(press_reconnect(actions, "PRESS", 2s).accepted);
  CHECK(actions.counts(BridgeAction::kReconnect) == BridgeActions::Counts{1, 2});
}

TEST_CASE("a button press that names a response topic is answered there too", "[bridge_actions]") {
  BridgeActions actions;
  Effects out;
  const rct::daemon::ReplyTo reply{"app/answers", "corr"};
  CHECK(actions.press(out, BridgeAction::kReconnect, "PRESS", {}, "inv: ", kReconnectResult,
                      press_at(0s), reply));
  REQUIRE(out.size() == 3);
  const auto& copy = std::get<Publish>(out[2]);
  CHECK(copy.topic == "app/answers");
  CHECK(copy.correlation_data == "corr");
  CHECK(copy.payload == std::get<Publish>(out[1]).payload);
}
