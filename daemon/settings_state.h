#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/value.h"
#include "core/write_allowlist.h"
#include "daemon/instant.h"

namespace rct::daemon {

// The state topics of the writable settings (<base>/<serial>/settings/<key>, retained): what was
// published last per key, so that a polled setting is published when it changes or when the
// heartbeat is due, and a verified write's read-back at once. Payloads are user_text
// (core/write_validation.h): "50", "-1500", "External", "ON". Pure: `now` is passed in.
class SettingsState {
 public:
  struct Entry {
    std::string payload;
    Instant published{};
  };

  explicit SettingsState(Duration heartbeat = std::chrono::seconds{300}) : heartbeat_(heartbeat) {}

  // A value of `entry` read from the device (a poll, or `force`: a verified read-back). The
  // payload to publish now, or nullopt (unchanged within the heartbeat; or no finite number).
  std::optional<std::string> on_reading(const WritableEntry& entry, const Value& wire, Instant now,
                                        bool force = false);

  // Forgets the keys not in `keep` and returns them (their retained topics are to be cleared).
  std::vector<std::string> retain_only(const std::vector<const WritableEntry*>& keep);

  const std::map<std::string, Entry>& current() const { return last_; }
  void set_heartbeat(Duration heartbeat) { heartbeat_ = heartbeat; }

 private:
  Duration heartbeat_;
  std::map<std::string, Entry> last_;  // by key
};

}  // namespace rct::daemon
