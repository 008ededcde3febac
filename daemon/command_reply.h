#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/session_effects.h"

// MQTT v5 request/response for write commands (docs/mqtt.md §7.4): a command that names a
// response topic is answered there as well, with the same JSON as on .../set/result, QoS 1, not
// retained, and its correlation data copied back. The .../set/result answer stays.
//
// Pure: the App checks the response topic when the command arrives and hands the ReplyTo with the
// command to the session machine, which keeps it with the command until it is answered.

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

// The route for a command's answers: nullopt when it named no response topic, or one that
// reply_topic_problem refuses; a refusal adds its log line (info) to `out`, and the command is
// then answered on .../set/result only.
std::optional<ReplyTo> reply_route(std::string_view command_topic, std::string_view response_topic,
                                   std::string_view correlation_data,
                                   const std::vector<std::string>& own_trees, Effects& out);

// The answer to a command: `answer` (its .../set/result), then its copy on the command's response
// topic when it named one (QoS 1, not retained, correlation data copied). Every command answer of
// the write session, the battery modes and the App goes through here; a command that is carried
// out later (a write outcome, the end of an effect window) keeps its ReplyTo until then.
void publish_answer(Effects& out, Publish answer, const std::optional<ReplyTo>& reply);

}  // namespace rct::daemon
