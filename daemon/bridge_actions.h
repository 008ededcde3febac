#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "daemon/command_reply.h"
#include "daemon/instant.h"
#include "daemon/session_effects.h"

// The bridge's own actions for one inverter (docs/mqtt.md §7.6), pressed as Home Assistant
// buttons: commands on <base>/<serial>/bridge/<action>/set with the payload "PRESS", answered on
// .../set/result like a write (write_command.h: outcome "accepted" or "rejected"). They write
// nothing to the inverter, so they need no [writes], but a press within kBridgeActionInterval of
// the last accepted press of the same action is refused (rate_limited), and every press is
// logged and counted. Pure: the session machine decides what blocks an action and carries it
// out.

namespace rct::daemon {

enum class BridgeAction {
  kRepublishDiscovery,  // discovery, status and every last value again
  kReconnect,           // close the inverter connection and open a new one
};
inline constexpr std::array kBridgeActions = {BridgeAction::kRepublishDiscovery,
                                              BridgeAction::kReconnect};

// "republish_discovery", "reconnect": the topic level below bridge/ and the answers' "key".
std::string_view bridge_action_name(BridgeAction action);
// The command key (write_command.h CommandTarget) of an action: "bridge/<name>". No setting key
// holds a '/', so these never name a setting.
std::string bridge_action_key(BridgeAction action);
std::optional<BridgeAction> bridge_action_of_key(std::string_view key);

inline constexpr std::string_view kBridgeActionLevel = "bridge";
inline constexpr std::string_view kPressPayload = "PRESS";
inline constexpr Duration kBridgeActionInterval = std::chrono::seconds{10};
// Reason words of a refused press (besides rate_limited and unparseable of the writes).
inline constexpr std::string_view kReasonBusy = "busy";

// Presses of one inverter's actions.
// Per action:
//   kReady   — never accepted, or the last accepted press is kBridgeActionInterval old.
//   kCooling — within kBridgeActionInterval of the last accepted press: presses are refused.
// kReady → kCooling: an accepted press. kCooling → kReady: time.
class BridgeActions {
 public:
  struct Counts {
    std::uint64_t accepted = 0;
    std::uint64_t refused = 0;
    friend bool operator==(const Counts&, const Counts&) = default;
  };

  // A press of `action` with `payload`. `blocker`: why the action cannot be carried out now
  // (empty: it can). Logs the press and answers it on `result_topic` (and `reply`); true when
  // the caller is to carry the action out. `prefix` starts each log line ("inverter1: ").
  bool press(Effects& out, BridgeAction action, std::string_view payload, std::string_view blocker,
             std::string_view prefix, std::string result_topic, const Moment& now,
             const std::optional<ReplyTo>& reply = std::nullopt);

  const Counts& counts(BridgeAction action) const { return slot(action).counts; }

 private:
  struct Slot {
    std::optional<Instant> last_accepted;
    Counts counts;
  };
  Slot& slot(BridgeAction action) { return slots_[static_cast<std::size_t>(action)]; }
  const Slot& slot(BridgeAction action) const { return slots_[static_cast<std::size_t>(action)]; }

  std::array<Slot, kBridgeActions.size()> slots_{};
};

}  // namespace rct::daemon
