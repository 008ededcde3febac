#pragma once

#include <string_view>

#include "daemon/session_machine.h"

namespace rct::daemon {

// What an InverterSession needs from the App that owns it. Called on the loop thread. The
// persisted records (RecordStore::record) are updated by the session, which then calls
// state_changed(); the App decides when to write the file.
class SessionHost : public RecordStore {
 public:
  // Never blocks; false when the message was not handed to the broker (offline, backlog).
  // `correlation_data`: sent (MQTT v5) when not empty, on answers to a response topic.
  virtual bool publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                       std::string_view correlation_data) = 0;
  virtual void state_changed() = 0;
  // A poll completed or failed in a handled way (watchdog progress).
  virtual void progress() = 0;
  // Link or availability changed (systemd STATUS=).
  virtual void status_changed() = 0;
  // The poll lists every session of this App shares (poll_list_cache.h).
  virtual PollListCache& poll_lists() = 0;

 protected:
  ~SessionHost() = default;
};

}  // namespace rct::daemon
