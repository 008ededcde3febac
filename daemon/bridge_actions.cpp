#include "daemon/bridge_actions.h"

#include <chrono>
#include <utility>

#include "daemon/write_command.h"

namespace rct::daemon {

namespace {

std::string_view trim_press(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

std::string press_counts(const BridgeActions::Counts& c) {
  return "accepted " + std::to_string(c.accepted) + ", refused " + std::to_string(c.refused);
}

}  // namespace

std::string_view bridge_action_name(BridgeAction action) {
  switch (action) {
    case BridgeAction::kRepublishDiscovery:
      return "republish_discovery";
    case BridgeAction::kReconnect:
      return "reconnect";
  }
  return "?";
}

std::string bridge_action_key(BridgeAction action) {
  return std::string(kBridgeActionLevel) + "/" + std::string(bridge_action_name(action));
}

std::optional<BridgeAction> bridge_action_of_key(std::string_view key) {
  for (const BridgeAction a : kBridgeActions) {
    if (key == bridge_action_key(a)) return a;
  }
  return std::nullopt;
}

bool BridgeActions::press(Effects& out, BridgeAction action, std::string_view payload,
                          std::string_view blocker, std::string_view prefix,
                          std::string result_topic, const Moment& now,
                          const std::optional<ReplyTo>& reply) {
  Slot& s = slot(action);
  const std::string name(bridge_action_name(action));
  WriteResult result;
  result.key = name;
  if (trim_press(payload) != kPressPayload) {
    result.reason = "unparseable";
    result.message = "a press is the payload " + std::string(kPressPayload);
  } else if (s.last_accepted && now.steady - *s.last_accepted < kBridgeActionInterval) {
    const auto wait = std::chrono::ceil<std::chrono::seconds>(*s.last_accepted +
                                                              kBridgeActionInterval - now.steady);
    result.reason = "rate_limited";
    result.message =
        "pressed again within " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(kBridgeActionInterval).count()) +
        " s of the last press; again in " + std::to_string(wait.count()) + " s";
  } else if (!blocker.empty()) {
    result.reason = kReasonBusy;
    result.message = std::string(blocker);
  }
  const bool accepted = result.reason.empty();
  if (accepted) {
    s.last_accepted = now.steady;
    ++s.counts.accepted;
    result.outcome = "accepted";
    result.message = action == BridgeAction::kReconnect
                         ? "closing the inverter connection and opening a new one"
                         : "discovery, status and values published again";
  } else {
    ++s.counts.refused;
    result.outcome = "rejected";
  }
  out.push_back(LogLine{LogLevel::kInfo,
                        std::string(prefix) + "button " + name + " pressed: " +
                            (accepted ? std::string("accepted")
                                      : "refused (" + result.reason + "): " + result.message) +
                            " (" + press_counts(s.counts) + ")"});
  publish_answer(out, Publish{std::move(result_topic), result_payload(result, now.wall), 1, false},
                 reply);
  return accepted;
}

}  // namespace rct::daemon
