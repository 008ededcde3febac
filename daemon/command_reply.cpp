#include "daemon/command_reply.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <variant>

namespace rct::daemon {

namespace {

bool in_reply_tree(std::string_view topic, std::string_view tree) {
  if (tree.empty() || topic.substr(0, tree.size()) != tree) return false;
  return topic.size() == tree.size() || topic[tree.size()] == '/';
}

bool has_answer_on(const Effects& effects, std::string_view result_topic) {
  return std::any_of(effects.begin(), effects.end(), [&](const Effect& e) {
    const auto* p = std::get_if<Publish>(&e);
    return p != nullptr && p->topic == result_topic;
  });
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

Effects copy_answers(Effects effects, std::string_view result_topic, const ReplyTo& reply) {
  Effects out;
  out.reserve(effects.size() + 1);
  for (Effect& e : effects) {
    const auto* p = std::get_if<Publish>(&e);
    std::optional<Publish> copy;
    if (p != nullptr && p->topic == result_topic) {
      copy = Publish{reply.topic, p->payload, 1, false, reply.correlation_data};
    }
    out.push_back(std::move(e));
    if (copy) out.emplace_back(std::move(*copy));
  }
  return out;
}

void CommandReplies::remember_writes(const Effects& effects, const Route& route) {
  for (const Effect& e : effects) {
    if (const auto* w = std::get_if<SubmitWrite>(&e)) routes_[w->tag] = route;
  }
  while (routes_.size() > kMaxPending) routes_.erase(routes_.begin());
}

Effects CommandReplies::on_command(Effects effects, std::string_view result_topic,
                                   const ReplyTo& reply) {
  if (!has_answer_on(effects, result_topic)) {
    remember_writes(effects, Route{std::string(result_topic), reply});
  }
  return copy_answers(std::move(effects), result_topic, reply);
}

Effects CommandReplies::on_outcome(std::uint64_t tag, Effects effects) {
  auto it = routes_.find(tag);
  if (it == routes_.end()) return effects;
  const Route route = std::move(it->second);
  routes_.erase(it);
  // No answer yet: the command goes on with the writes this outcome submits.
  if (!has_answer_on(effects, route.result_topic)) remember_writes(effects, route);
  return copy_answers(std::move(effects), route.result_topic, route.reply);
}

}  // namespace rct::daemon
