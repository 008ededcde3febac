#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "daemon/instant.h"
#include "daemon/poll_item.h"

namespace rct::daemon {

struct SchedulerSettings {
  double frames_per_second = 5.0;  // request budget; ≤ 0: unlimited
  int burst = 1;                   // requests that may go out back to back, ≥ 1
};

// Decides which OIDs to read when, for one inverter connection. Pure: the caller passes `now`
// and sends what take_due returns, then reports each request's end with on_complete (answer,
// error or timeout alike).
//
// States of one OID: waiting (due in the future) → due → in flight → waiting.
// - Drift-free: an OID's grid is anchored at its first read (so that values added together
//   spread out instead of all coming due at the same instant forever) and continues
//   anchor + k·interval: a read that is late by less than one interval does not shift later
//   reads. When a whole slot was missed (link down, overload, a reply slower than the
//   interval), the OID is read once and its grid restarts at that read: no burst of catch-up
//   reads, and under overload the budget is still used in full, each value as often as the
//   budget allows (rather than every second slot).
// - An OID in flight is never handed out again until on_complete.
// - Budget: a token bucket (exact, in integer time) limits requests to frames_per_second with
//   `burst` back to back.
// - Inventory first: after construction, set_items with new inventory OIDs, and every
//   reconnect, only inventory OIDs are handed out until each has completed once.
// - Items with interval 0 are read once; static-class items and read-once items are read
//   again after every reconnect.
// - Among due OIDs: inventory first, then the longest overdue, then fast before slow.
class Scheduler {
 public:
  explicit Scheduler(SchedulerSettings settings = {});

  // A new budget (config reload). Requests already sent stay counted: the next one goes out
  // once the bucket, as filled so far, allows it at the new rate.
  void set_settings(SchedulerSettings settings);

  // Replaces the set of OIDs. Kept OIDs keep their grid (a changed interval takes effect
  // from the next read, at the latest one new interval from now); new OIDs are due now;
  // removed OIDs are forgotten (a late on_complete for them is ignored).
  void set_items(const std::vector<PollItem>& items, Instant now);

  // When take_due will next return something (≤ now: at once); nullopt when nothing is
  // waiting (everything in flight or read once).
  std::optional<Instant> next_due() const;

  // Up to `max` due OIDs, marked in flight, within the budget.
  std::vector<std::uint32_t> take_due(Instant now, std::size_t max);

  void on_complete(std::uint32_t oid);

  // The connection was re-established: nothing is in flight any more, the inventory is read
  // first again, static and read-once values are due now.
  void on_reconnect(Instant now);

  std::size_t in_flight() const;
  bool is_in_flight(std::uint32_t oid) const;
  bool inventory_phase() const;  // only inventory OIDs are handed out

 private:
  // Widest members first: 40 bytes instead of 48 (one entry per polled OID and inverter).
  struct Entry {
    Duration interval{};         // 0: once
    std::optional<Instant> due;  // nullopt: read once, done
    std::uint32_t oid = 0;
    PollClass poll_class = PollClass::kSlow;
    bool inventory = false;
    bool in_flight = false;
    bool inventory_pending = false;  // inventory OID not yet completed in this phase
    bool anchor = true;              // the next read starts the grid
  };

  bool eligible(const Entry& e) const;
  Instant budget_ready() const;  // earliest time the bucket allows one more request
  void advance(Entry& e, Instant now);

  SchedulerSettings settings_;
  Duration emission_interval_{};  // 1 / frames_per_second
  Duration tolerance_{};          // (burst - 1) · emission_interval_
  Instant tat_{};                 // theoretical arrival time of the token bucket (GCRA)
  std::vector<Entry> entries_;
  static_assert(sizeof(Entry) <= 40);
};

}  // namespace rct::daemon
