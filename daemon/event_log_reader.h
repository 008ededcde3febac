#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/value.h"
#include "daemon/instant.h"

// Reads the inverter's own event table (logger.error_log_*, docs/protocol.md §10) and picks the
// entries not published before. Pure: the session (daemon/session_machine.h) says when a read is
// wanted (after start, after every reconnect, when the fault set changes), takes the query when
// it is due, and hands back the answer or the failure.
//
// States:
//   idle     — nothing wanted.
//   due      — a read is wanted at due_ (now, or after a failure kRetryAfter later).
//   querying — the query is out; a want() meanwhile reads again after the answer.
//
// The position (persisted in the state file, daemon/persistent_state.h) is the newest entry
// time published and the entries published at exactly that time: an entry is new when it is
// newer, or at that time and not among them. Device times are local time written as if UTC
// (docs/protocol.md §9.4), so queries reach one day past the wall clock. Without a position
// (first start), the newest page the device answers is new: one query, no paging, and no
// assumption that the device clock is near ours.

namespace rct::daemon {

// logger.error_log_time_stamp: WRITE of T asks for the entries before T (docs/protocol.md §10.1).
inline constexpr std::uint32_t kOidEventTable = 0x6F3876BC;

// One entry's type and elements 2..4 (element 1 is the position's time).
using EventLogKey = std::array<std::uint32_t, 4>;

struct EventLogPosition {
  std::uint32_t time = 0;            // device seconds
  std::vector<EventLogKey> at_time;  // entries published with exactly that time
  friend bool operator==(const EventLogPosition&, const EventLogPosition&) = default;
};

// The event table between from and to (device seconds, both included), paged by the client;
// single_page: one query with T = to, the newest page only (from is 0).
struct EventLogQuery {
  std::uint32_t from = 0;
  std::uint32_t to = 0;
  bool single_page = false;
  friend bool operator==(const EventLogQuery&, const EventLogQuery&) = default;
};

class EventLogReader {
 public:
  static constexpr Duration kRetryAfter = std::chrono::seconds{60};
  static constexpr std::uint32_t kAhead = 86'400;  // s past the wall clock

  explicit EventLogReader(std::optional<EventLogPosition> position);

  // A read is wanted (now, or right after the one out).
  void want(Instant now);
  // The query, when one is due at `now` (the caller is connected); then querying.
  std::optional<EventLogQuery> take_due(Instant now, WallTime wall);
  // The answer to the query: the new entries, oldest first; the position moves past them.
  std::vector<EventEntry> on_answer(const EventTable& table, Instant now);
  // The query failed: again kRetryAfter later, or at once when wanted since it went out.
  void on_failed(Instant now);

  // When take_due will have something; nullopt while idle or querying.
  std::optional<Instant> next_due() const;
  bool querying() const { return querying_; }
  const std::optional<EventLogPosition>& position() const { return position_; }

 private:
  std::optional<EventLogPosition> position_;
  std::optional<Instant> due_;
  bool querying_ = false;
  bool again_ = false;                  // wanted while querying
  std::optional<EventLogQuery> query_;  // the one out
};

// {"time": "2026-12-04T18:03:12", "timestamp": 1764871392, "type": 90, "code": "0x5A",
//  "name": "NO_GRID", "text": "grid lost", "end": "2026-...", "elements": [e2, e3, e4]}:
// times are device local time (no zone); "end" only for ranged types with an end time; unknown
// types have no name or text.
std::string event_log_entry_payload(const EventEntry& entry);

}  // namespace rct::daemon
