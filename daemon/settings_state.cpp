#include "daemon/settings_state.h"

#include <algorithm>
#include <cmath>

#include "core/write_validation.h"

namespace rct::daemon {

std::optional<std::string> SettingsState::on_reading(const WritableEntry& entry, const Value& wire,
                                                     Instant now, bool force) {
  const std::optional<double> user = user_value(entry, wire);
  // Never a made-up state: a value of the wrong type or not finite is not published.
  if (!user || !std::isfinite(*user)) return std::nullopt;
  std::string payload = user_text(entry, wire);
  const std::string key(entry.key);
  auto it = last_.find(key);
  if (!force && it != last_.end() && it->second.payload == payload &&
      now - it->second.published < heartbeat_) {
    return std::nullopt;
  }
  last_[key] = Entry{payload, now};
  return payload;
}

std::vector<std::string> SettingsState::retain_only(const std::vector<const WritableEntry*>& keep) {
  std::vector<std::string> dropped;
  for (auto it = last_.begin(); it != last_.end();) {
    const bool kept = std::any_of(keep.begin(), keep.end(),
                                  [&](const WritableEntry* e) { return e->key == it->first; });
    if (kept) {
      ++it;
    } else {
      dropped.push_back(it->first);
      it = last_.erase(it);
    }
  }
  return dropped;
}

}  // namespace rct::daemon
