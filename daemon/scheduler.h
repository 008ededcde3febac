#pragma once

#include <chrono>
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

// One read that went out a whole interval or more after its slot (at least one reading of the
// value was skipped), as the scheduler's deferral report lists it.
struct DeferredRead {
  std::uint32_t oid = 0;
  PollClass poll_class = PollClass::kSlow;
  Duration late{};      // hand-out time − slot time
  Duration interval{};  // 0: a read-once value
};

// What the scheduler deferred since clear_deferrals() (the session's periodic debug summary).
struct DeferralReport {
  std::size_t reads = 0;            // handed out
  std::size_t deferred_reads = 0;   // of them, a whole interval or more late
  std::size_t deferred_fast = 0;    // of those, fast-class: the link does not carry even these
  std::size_t deferred_values = 0;  // distinct OIDs among the deferred reads
  std::vector<DeferredRead> worst;  // the latest, most late first, one per OID, at most kWorst
  std::size_t overdue = 0;  // at `now`: waiting a whole interval or more, not yet handed out
  static constexpr std::size_t kWorst = 3;
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
//   `burst` back to back. The caller's window (the `max` of take_due) limits it further: when
//   replies are slow or lost, requests complete later and fewer go out. Which of the two is
//   short does not matter here: whenever a request may go out, the most urgent due OID goes.
// - Inventory first: after construction, set_items with new inventory OIDs, and every
//   reconnect, only inventory OIDs are handed out until each has completed once.
// - Items with interval 0 are read once; static-class items and read-once items are read
//   again after every reconnect.
// - What matters first (docs/configuration.md, "When the link is short"): among due OIDs,
//   inventory first; then values not read yet (new in the list, or static and read-once after
//   a reconnect, so that every value has a reading soon after a start) and fast values, longest
//   overdue first (so that, when even the fast values do not fit, they share the budget
//   evenly); then slow and static values, longest overdue first. A slow or static value yields
//   only until it is a whole interval late (read-once values: kReadOnceDeferral): from then on
//   it is deferred and ranks with the fast values as if due one interval later than it was,
//   but goes ahead of waiting fast values at most once in kDeferredShare requests, because
//   deferred values come in bursts. A deferred value thus skips one reading and is read again
//   within about two of its intervals (Home Assistant's expire_after is three); the fast values
//   keep their slots as long as the link carries them and that trickle; when it carries less,
//   everybody is late instead of anyone starving.
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

  // Guest requests: READs that others ask for over this connection (the local proxy's forwards,
  // daemon/proxy_policy.h). They come out of the same budget, so the link carries no more than
  // frames_per_second in all. True (and the budget charged) when one may go out at `now`: the
  // bucket has a token, and while own values are due (waiting, not in flight), at most one
  // request in kGuestShare is a guest's, so that the daemon's own polling is never starved.
  // A guest refused is waiting: the next token that is its turn is kept for it (take_due
  // leaves it, next_due is one token later) until one emission interval after it was ready,
  // so that the turns hold whichever of the two asks first.
  bool take_guest(Instant now);
  // When take_guest may say yes next (≤ now: at once).
  Instant next_guest(Instant now) const;
  std::uint64_t guest_requests() const { return guest_requests_; }

  // The connection was re-established: nothing is in flight any more, the inventory is read
  // first again, static and read-once values are due now.
  void on_reconnect(Instant now);

  std::size_t in_flight() const;
  bool is_in_flight(std::uint32_t oid) const;
  bool inventory_phase() const;  // only inventory OIDs are handed out

  // What was deferred since the last clear_deferrals() (or construction), and what is overdue
  // at `now`.
  DeferralReport deferrals(Instant now) const;
  void clear_deferrals();

  // How late a read-once value may be before it ranks with the fast values.
  static constexpr Duration kReadOnceDeferral = std::chrono::seconds{60};
  // Deferred values go ahead of waiting fast values at most once in this many requests.
  static constexpr std::size_t kDeferredShare = 4;
  // While own values are due, guests get at most one request in this many.
  static constexpr std::size_t kGuestShare = 2;

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
    bool deferred = false;           // a deferred read since clear_deferrals()
  };

  bool eligible(const Entry& e) const;
  bool own_due(Instant now) const;  // an own OID may be handed out at `now` but the budget
  bool guest_turn() const;          // the next token may be a guest's
  bool reserved_for_guest(Instant now) const;
  Instant budget_ready() const;  // earliest time the bucket allows one more request
  // Since when a due OID waits: time without a connection is no deferral.
  Instant waiting_since(const Entry& e) const;
  void advance(Entry& e, Instant now);
  void note_read(Entry& e, Instant now);

  SchedulerSettings settings_;
  Duration emission_interval_{};  // 1 / frames_per_second
  Duration tolerance_{};          // (burst - 1) · emission_interval_
  Instant tat_{};                 // theoretical arrival time of the token bucket (GCRA)
  std::vector<Entry> entries_;
  Instant reconnected_at_ = Instant::min();
  std::size_t since_deferred_ = kDeferredShare;  // requests since a deferred value's
  std::size_t since_guest_ = kGuestShare;        // own requests since a guest's
  std::uint64_t guest_requests_ = 0;
  bool guest_waiting_ = false;  // a guest was refused and has not had its request since
  DeferralReport deferred_;     // `overdue` is filled in by deferrals()
  static_assert(sizeof(Entry) <= 40);
};

}  // namespace rct::daemon
