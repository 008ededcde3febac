#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "config/config.h"
#include "core/client/verified_write.h"
#include "daemon/instant.h"

// What the inverter session's pure parts (session_machine.h, write_session.h) hand to the
// shell that runs them (daemon/app/inverter_session.h), in the order they are to be carried out.
// The shell performs each one and reports what became of reads and writes back as events.

namespace rct::daemon {

// The time of an event: steady time for every rule, wall time only for the timestamps in
// payloads (the JSON aggregate, the write results). The shell reads both clocks; tests make
// them up.
struct Moment {
  Instant steady{};
  WallTime wall{};
};

struct Publish {
  Publish() = default;
  // Written like an aggregate of the first four; correlation data only on answers.
  Publish(std::string to, std::string body, int qos_level = 0, bool retained = false,
          std::string correlation = {})
      : topic(std::move(to)),
        payload(std::move(body)),
        qos(qos_level),
        retain(retained),
        correlation_data(std::move(correlation)) {}

  std::string topic;
  std::string payload;
  int qos = 0;
  bool retain = false;
  // MQTT v5, binary: set on an answer to a command's response topic (command_reply.h).
  std::string correlation_data;
  friend bool operator==(const Publish&, const Publish&) = default;
};

// READ `oid` (through the master at `address` for a plant slave); the answer comes back as
// on_reading or on_read_failed.
struct ReadOid {
  std::uint32_t oid = 0;
  std::optional<std::uint32_t> address;
  friend bool operator==(const ReadOid&, const ReadOid&) = default;
};

// Read the event table between from and to, or only its newest page before `to`
// (daemon/event_log_reader.h); the answer comes back as on_event_table or on_event_table_failed.
struct QueryEvents {
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  bool single_page = false;
  friend bool operator==(const QueryEvents&, const QueryEvents&) = default;
};

// Hand `request` to the verified writer; its outcome comes back with the same tag.
struct SubmitWrite {
  std::uint64_t tag = 0;
  client::WriteRequest request;
};

struct LogLine {
  LogLevel level = LogLevel::kInfo;
  std::string text;
  friend bool operator==(const LogLine&, const LogLine&) = default;
};

// A persisted record (RecordStore) was updated; the owner decides when to write the file.
struct StateChanged {};
// Link or availability changed (systemd STATUS=).
struct StatusChanged {};
// A poll completed or failed in a handled way (watchdog progress).
struct Progress {};
// The revert round asked for by revert_before_stop ended (or there was nothing to revert).
struct StopReverted {};
// Close the inverter connection and open a new one at once (a bridge reconnect,
// daemon/bridge_actions.h). Requests in flight fail as cancelled; the new connection is reported
// as any other (link up, connected).
struct ReconnectInverter {};

using Effect = std::variant<Publish, ReadOid, SubmitWrite, LogLine, StateChanged, StatusChanged,
                            Progress, StopReverted, QueryEvents, ReconnectInverter>;
using Effects = std::vector<Effect>;

inline void append(Effects& to, Effects from) {
  for (Effect& e : from) to.push_back(std::move(e));
}

}  // namespace rct::daemon
