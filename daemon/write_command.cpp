#include "daemon/write_command.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "config/config.h"
#include "daemon/bridge_actions.h"
#include "daemon/state_aggregate.h"
#include "daemon/topics.h"

namespace rct::daemon {
namespace {

using Json = nlohmann::ordered_json;

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n\f\v";
  const auto first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

// The next topic level of `rest` (up to '/'), removed from `rest`.
std::string_view take_level(std::string_view& rest) {
  const auto slash = rest.find('/');
  std::string_view level = rest.substr(0, slash);
  rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
  return level;
}

}  // namespace

std::optional<CommandTarget> parse_command_topic(std::string_view base, std::string_view topic) {
  if (topic.size() <= base.size() || topic.substr(0, base.size()) != base ||
      topic[base.size()] != '/') {
    return std::nullopt;
  }
  std::string_view rest = topic.substr(base.size() + 1);
  // Exactly four levels: <serial>/settings/<key>/set, <serial>/battery/mode/set (the key
  // "battery_mode", which no setting has: settings/battery_mode/set is no command topic), or
  // <serial>/bridge/<action>/set (the key "bridge/<action>", daemon/bridge_actions.h).
  if (std::count(rest.begin(), rest.end(), '/') != 3) return std::nullopt;
  const std::string_view serial = take_level(rest);
  const std::string_view settings = take_level(rest);
  const std::string_view key = take_level(rest);
  const std::string_view set = take_level(rest);
  if (serial.empty() || set != "set") return std::nullopt;
  if (settings == "battery" && key == "mode") {
    return CommandTarget{std::string(serial), std::string(kBatteryModeKey)};
  }
  if (settings == kBridgeActionLevel) {
    const std::string action_key = std::string(kBridgeActionLevel) + "/" + std::string(key);
    if (!bridge_action_of_key(action_key)) return std::nullopt;
    return CommandTarget{std::string(serial), action_key};
  }
  if (key.empty() || key == kBatteryModeKey || settings != kSettingsLevel) return std::nullopt;
  return CommandTarget{std::string(serial), std::string(key)};
}

Result<WriteCommand, CommandError> parse_command_payload(std::string_view payload) {
  if (payload.size() > kMaxCommandPayload) {
    return CommandError{"the command is longer than " + std::to_string(kMaxCommandPayload) +
                        " bytes"};
  }
  const std::string_view text = trim(payload);
  if (text.empty()) return CommandError{"the command is empty"};
  if (text.front() == '"') {
    const Json j = Json::parse(text, nullptr, false);
    if (!j.is_string()) return CommandError{"the command is no valid JSON string"};
    return WriteCommand{j.get<std::string>(), "null"};
  }
  if (text.front() != '{') return WriteCommand{std::string(text), "null"};

  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return CommandError{"the command is no valid JSON object"};
  std::string id = "null";
  if (const auto it = j.find("id"); it != j.end() && !it->is_null()) {
    if (!it->is_string() && !it->is_number()) {
      return CommandError{"\"id\" must be a string or a number"};
    }
    id = it->dump();
  }
  const auto value = j.find("value");
  if (value == j.end() || value->is_null()) {
    return CommandError{"the JSON command has no \"value\"", id};
  }
  if (value->is_string()) return WriteCommand{value->get<std::string>(), id};
  if (value->is_boolean())
    return WriteCommand{std::string(value->get<bool>() ? "true" : "false"), id};
  if (value->is_number()) return WriteCommand{value->get<double>(), id};
  return CommandError{"\"value\" must be a number, a string or a boolean", id};
}

std::string command_value_text(const WriteCommand& command) {
  if (const double* d = std::get_if<double>(&command.value)) return Json(*d).dump();
  // Appended, not "'" + text + "'": at -O3 g++ 12 reports a false -Wrestrict inside libstdc++
  // for a literal prepended to a temporary string (GCC bug 105329).
  std::string text(1, '\'');
  text += loggable(std::get<std::string>(command.value));
  text += '\'';
  return text;
}

std::string result_payload(const WriteResult& r, WallTime ts) {
  Json j;
  j["id"] = Json::parse(r.id, nullptr, false);
  if (j["id"].is_discarded()) j["id"] = nullptr;
  j["key"] = r.key;
  j["outcome"] = r.outcome;
  j["reason"] = r.reason.empty() ? Json(nullptr) : Json(r.reason);
  j["message"] = r.message;
  Json value = nullptr;
  if (r.value) {
    value = *r.value;
    if (r.numeric) {
      // The state text ("7", "-1500", "7.5") as a number: no float32 noise in the answer.
      const Json n = Json::parse(*r.value, nullptr, false);
      if (n.is_number() && std::isfinite(n.get<double>())) value = n;
    }
  }
  j["value"] = std::move(value);
  j["ts"] = iso8601_utc(ts);
  // Invalid UTF-8 from a command (echoed in a message) is replaced, never thrown on.
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string audit_command(std::string_view serial, std::string_view key,
                          const std::string& requested, std::string_view id) {
  return "write " + loggable(serial) + " " + loggable(key) + ": command " + requested + " (id " +
         loggable(id) + ")";
}

std::string audit_outcome(std::string_view serial, const WriteResult& r) {
  std::string line = "write " + loggable(serial) + " " + loggable(r.key) + ": " + r.outcome;
  if (!r.reason.empty()) line += " (" + r.reason + ")";
  if (r.value) line += ", read back " + loggable(*r.value);
  return line + ": " + loggable(r.message, 400);
}

}  // namespace rct::daemon
