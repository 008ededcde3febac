#include "daemon/command_reply.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

#include "core/text_parse.h"

namespace rct::daemon {

namespace {

bool in_reply_tree(std::string_view topic, std::string_view tree) {
  if (tree.empty() || topic.substr(0, tree.size()) != tree) return false;
  return topic.size() == tree.size() || topic[tree.size()] == '/';
}

}  // namespace

std::string reply_topic_problem(std::string_view topic, const std::vector<std::string>& own_trees) {
  if (topic.empty()) return "it is empty";
  if (topic.size() > kMaxReplyTopic) {
    return "it is longer than " + std::to_string(kMaxReplyTopic) + " bytes";
  }
  if (topic.find_first_of("+#") != std::string_view::npos) {
    return "it contains a wildcard ('+' or '#')";
  }
  if (std::any_of(topic.begin(), topic.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return "it contains a control character";
  }
  if (topic.front() == '$') return "it starts with '$'";
  for (const std::string& tree : own_trees) {
    if (in_reply_tree(topic, tree)) return "it lies in the bridge's own topic tree '" + tree + "'";
  }
  return {};
}

std::optional<ReplyTo> reply_route(std::string_view command_topic, std::string_view response_topic,
                                   std::string_view correlation_data,
                                   const std::vector<std::string>& own_trees, Effects& out) {
  if (response_topic.empty() && correlation_data.empty()) return std::nullopt;
  const std::string problem = reply_topic_problem(response_topic, own_trees);
  if (problem.empty()) return ReplyTo{std::string(response_topic), std::string(correlation_data)};
  out.push_back(LogLine{LogLevel::kInfo, "command on " + loggable(command_topic, 200) +
                                             ": not answering to its response topic '" +
                                             loggable(response_topic, 200) + "': " + problem});
  return std::nullopt;
}

void publish_answer(Effects& out, Publish answer, const std::optional<ReplyTo>& reply) {
  std::optional<Publish> copy;
  if (reply) copy = Publish{reply->topic, answer.payload, 1, false, reply->correlation_data};
  out.emplace_back(std::move(answer));
  if (copy) out.emplace_back(std::move(*copy));
}

}  // namespace rct::daemon
