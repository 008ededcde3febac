#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/session_effects.h"

// MQTT v5 request/response for write commands (docs/mqtt.md §7.4): a command that names a
// response topic is answered there as well, with the same JSON as on .../set/result, QoS 1, not
// retained, and its correlation data copied back. The .../set/result answer stays.
//
// The answer is found by topic: it is the Publish on the command topic + "/result" among the
// effects of the command itself (an immediate rejection) or among those of the outcome of the
// write the command submitted (SubmitWrite tag). Pure: the App checks the response topic when
// the command arrives; the inverter session's shell passes effects through CommandReplies.

namespace rct::daemon {

struct ReplyTo {
  std::string topic;
  std::string correlation_data;  // binary, copied back byte for byte; may be empty
  friend bool operator==(const ReplyTo&, const ReplyTo&) = default;
};

// Longer response topics are not answered to.
inline constexpr std::size_t kMaxReplyTopic = 1024;

// Why a command's response topic is not answered to; empty when it is. Refused: an empty topic,
// one over kMaxReplyTopic bytes, with the wildcards '+' or '#' or a control character (no valid
// topic name), one starting with '$' (the broker's own), and one equal to or below any of
// `own_trees` (the bridge's base topic, Home Assistant's discovery prefix and birth topic): an
// answer there could pass for a command, a value or a discovery config.
std::string reply_topic_problem(std::string_view topic, const std::vector<std::string>& own_trees);

// Every Publish on `result_topic` in `effects`, followed by its copy to `reply`.
Effects copy_answers(Effects effects, std::string_view result_topic, const ReplyTo& reply);

// The commands of one inverter session still waiting for their write's outcome, by SubmitWrite
// tag. A command whose write outcome brings no answer yet but submits further writes goes on
// with those (a command carried out in several writes). Answers that come later from anything
// but a write outcome (a tick) are not copied. Bounded: past kMaxPending the oldest route is
// forgotten (its answer then only goes to .../set/result).
class CommandReplies {
 public:
  static constexpr std::size_t kMaxPending = 256;

  // The effects of a command that named `reply`: its immediate answer is copied now; without
  // one, the writes it submitted are remembered until their outcomes.
  Effects on_command(Effects effects, std::string_view result_topic, const ReplyTo& reply);
  // The effects of the outcome of the write with `tag`: its answer is copied when the command
  // had a reply topic.
  Effects on_outcome(std::uint64_t tag, Effects effects);

  std::size_t pending() const { return routes_.size(); }

 private:
  struct Route {
    std::string result_topic;
    ReplyTo reply;
  };
  void remember_writes(const Effects& effects, const Route& route);

  std::map<std::uint64_t, Route> routes_;
};

}  // namespace rct::daemon
