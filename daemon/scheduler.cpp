#include "daemon/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace rct::daemon {

namespace {

// How late a value may be read before the read counts as deferred and, for slow and static
// values, before it stops yielding to the fast ones.
Duration deferral_allowance(Duration interval) {
  return interval > Duration::zero() ? interval : Scheduler::kReadOnceDeferral;
}

// What a due OID is to take_due.
enum class DueKind {
  kInventory,
  kFirst,     // not read yet (new, or static and read-once after a reconnect); key: due
  kFast,      // key: due
  kDeferred,  // slow or static, a whole allowance late; key: the end of the allowance
  kYielding,  // slow or static within its allowance; key: due
};

// The order of due OIDs in take_due: by rank, then by key (earliest first), then fast before
// slow, then poll-list order.
int due_rank(DueKind kind) {
  switch (kind) {
    case DueKind::kInventory:
      return 0;
    case DueKind::kFirst:
    case DueKind::kFast:
    case DueKind::kDeferred:
      return 1;
    case DueKind::kYielding:
      return 2;
  }
  return 2;
}

}  // namespace

Scheduler::Scheduler(SchedulerSettings settings) {
  set_settings(settings);
  tat_ = Instant::min() + tolerance_;  // a full bucket at any start time
}

void Scheduler::set_settings(SchedulerSettings settings) {
  settings_ = settings;
  if (settings_.burst < 1) settings_.burst = 1;
  emission_interval_ = Duration::zero();
  if (settings_.frames_per_second > 0) {
    // Rounded up, so that the budget is never exceeded by rounding.
    const double ns = std::ceil(1e9 / settings_.frames_per_second);
    emission_interval_ = std::chrono::duration_cast<Duration>(
        std::chrono::nanoseconds(static_cast<std::int64_t>(ns)));
  }
  tolerance_ = emission_interval_ * (settings_.burst - 1);
  // A larger burst must not make budget_ready() reach below Instant::min().
  const Instant floor = Instant::min() + tolerance_;
  if (tat_ < floor) tat_ = floor;
}

void Scheduler::set_items(const std::vector<PollItem>& items, Instant now) {
  std::vector<Entry> next;
  next.reserve(items.size());
  for (const PollItem& item : items) {
    const Duration interval = std::chrono::duration_cast<Duration>(item.interval);
    auto old = std::find_if(entries_.begin(), entries_.end(),
                            [&](const Entry& e) { return e.oid == item.oid; });
    Entry e;
    if (old != entries_.end()) {
      e = *old;
      if (e.interval != interval && e.due && interval > Duration::zero()) {
        e.due = std::min(*e.due, now + interval);
      }
    } else {
      e.oid = item.oid;
      e.due = now;
      e.inventory_pending = item.inventory;
    }
    e.interval = interval;
    e.poll_class = item.poll_class;
    e.inventory = item.inventory;
    if (!e.inventory) e.inventory_pending = false;
    next.push_back(e);
  }
  entries_ = std::move(next);
}

bool Scheduler::inventory_phase() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const Entry& e) { return e.inventory_pending; });
}

bool Scheduler::eligible(const Entry& e) const {
  return !e.in_flight && e.due.has_value();
}

Instant Scheduler::waiting_since(const Entry& e) const {
  return std::max(*e.due, reconnected_at_);
}

Instant Scheduler::budget_ready() const {
  return tat_ - tolerance_;
}

bool Scheduler::own_due(Instant now) const {
  const bool phase = inventory_phase();
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return eligible(e) && *e.due <= now && (!phase || e.inventory);
  });
}

bool Scheduler::guest_turn() const {
  return since_guest_ + 1 >= kGuestShare;
}

bool Scheduler::reserved_for_guest(Instant now) const {
  return guest_waiting_ && guest_turn() && now < budget_ready() + emission_interval_;
}

bool Scheduler::take_guest(Instant now) {
  if (now < next_guest(now)) {
    guest_waiting_ = true;  // the next token that is the guest's turn is kept for it
    return false;
  }
  tat_ = std::max(tat_, now) + emission_interval_;
  since_guest_ = 0;
  guest_waiting_ = false;
  ++guest_requests_;
  return true;
}

Instant Scheduler::next_guest(Instant now) const {
  const Instant ready = budget_ready();
  // Own values waiting and no own request since the last guest's: the next token is the daemon's.
  if (!guest_turn() && own_due(std::max(now, ready))) {
    return std::max(now, ready) + emission_interval_;
  }
  return ready;
}

std::optional<Instant> Scheduler::next_due() const {
  const bool phase = inventory_phase();
  std::optional<Instant> earliest;
  for (const Entry& e : entries_) {
    if (!eligible(e) || (phase && !e.inventory)) continue;
    if (!earliest || *e.due < *earliest) earliest = e.due;
  }
  if (!earliest) return std::nullopt;
  // A token kept for a waiting guest is not the daemon's: the one after it is.
  if (guest_waiting_ && guest_turn()) {
    return std::max(*earliest, budget_ready() + emission_interval_);
  }
  return std::max(*earliest, budget_ready());
}

void Scheduler::advance(Entry& e, Instant now) {
  if (e.interval <= Duration::zero()) {
    e.due.reset();
    return;
  }
  if (e.anchor) {
    e.due = now;
    e.anchor = false;
  }
  const Instant next = *e.due + e.interval;
  e.due = next > now ? next : now + e.interval;  // a missed slot restarts the grid here
}

std::vector<std::uint32_t> Scheduler::take_due(Instant now, std::size_t max) {
  struct Candidate {
    Entry* entry;
    DueKind kind;
    Instant key;
  };
  // A kept token the guest did not come for has lapsed: the guest waits no longer.
  if (guest_waiting_ && guest_turn() && now >= budget_ready() + emission_interval_) {
    guest_waiting_ = false;
  }
  std::vector<Candidate> due;
  const bool phase = inventory_phase();
  for (Entry& e : entries_) {
    if (!eligible(e) || *e.due > now || (phase && !e.inventory)) continue;
    const Instant deadline = waiting_since(e) + deferral_allowance(e.interval);
    if (e.inventory) {
      due.push_back({&e, DueKind::kInventory, *e.due});
    } else if (e.anchor) {
      due.push_back({&e, DueKind::kFirst, *e.due});
    } else if (e.poll_class == PollClass::kFast) {
      due.push_back({&e, DueKind::kFast, *e.due});
    } else if (deadline <= now) {
      due.push_back({&e, DueKind::kDeferred, deadline});
    } else {
      due.push_back({&e, DueKind::kYielding, *e.due});
    }
  }
  // Stable: equal keys keep poll-list order.
  std::stable_sort(due.begin(), due.end(), [](const Candidate& a, const Candidate& b) {
    if (due_rank(a.kind) != due_rank(b.kind)) return due_rank(a.kind) < due_rank(b.kind);
    if (a.key != b.key) return a.key < b.key;
    return static_cast<int>(a.entry->poll_class) < static_cast<int>(b.entry->poll_class);
  });
  std::vector<std::uint32_t> out;
  std::vector<bool> taken(due.size(), false);
  while (out.size() < max && now >= budget_ready() && !reserved_for_guest(now)) {
    std::size_t pick = due.size();
    std::size_t first_fast = due.size();
    for (std::size_t i = 0; i < due.size(); ++i) {
      if (taken[i]) continue;
      if (pick == due.size()) pick = i;
      if (due[i].kind == DueKind::kFast) {
        first_fast = i;
        break;
      }
    }
    if (pick == due.size()) break;
    // Deferred values go ahead of waiting fast values at most once in kDeferredShare requests:
    // deferred values come in bursts (they were deferred together), which would push the fast
    // values out of their slots.
    const bool deferred = due[pick].kind == DueKind::kDeferred;
    if (deferred && first_fast != due.size() && since_deferred_ + 1 < kDeferredShare) {
      pick = first_fast;
    }
    since_deferred_ = due[pick].kind == DueKind::kDeferred ? 0 : since_deferred_ + 1;
    ++since_guest_;
    taken[pick] = true;
    Entry& e = *due[pick].entry;
    tat_ = std::max(tat_, now) + emission_interval_;
    e.in_flight = true;
    note_read(e, now);
    advance(e, now);
    out.push_back(e.oid);
  }
  return out;
}

void Scheduler::note_read(Entry& e, Instant now) {
  ++deferred_.reads;
  const Duration late = now - waiting_since(e);
  if (late < deferral_allowance(e.interval)) return;
  ++deferred_.deferred_reads;
  if (e.poll_class == PollClass::kFast) ++deferred_.deferred_fast;
  if (!e.deferred) {
    e.deferred = true;
    ++deferred_.deferred_values;
  }
  std::vector<DeferredRead>& worst = deferred_.worst;
  const DeferredRead read{e.oid, e.poll_class, late, e.interval};
  auto same = std::find_if(worst.begin(), worst.end(),
                           [&](const DeferredRead& d) { return d.oid == e.oid; });
  if (same != worst.end()) {
    if (late > same->late) *same = read;
  } else if (worst.size() < DeferralReport::kWorst) {
    worst.push_back(read);
  } else if (late > worst.back().late) {
    worst.back() = read;
  }
  std::stable_sort(worst.begin(), worst.end(),
                   [](const DeferredRead& a, const DeferredRead& b) { return a.late > b.late; });
}

DeferralReport Scheduler::deferrals(Instant now) const {
  DeferralReport report = deferred_;
  report.overdue =
      static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [&](const Entry& e) {
        return eligible(e) && waiting_since(e) + deferral_allowance(e.interval) <= now;
      }));
  return report;
}

void Scheduler::clear_deferrals() {
  deferred_ = DeferralReport{};
  for (Entry& e : entries_) e.deferred = false;
}

void Scheduler::on_complete(std::uint32_t oid) {
  for (Entry& e : entries_) {
    if (e.oid != oid || !e.in_flight) continue;
    e.in_flight = false;
    e.inventory_pending = false;
  }
}

void Scheduler::on_reconnect(Instant now) {
  reconnected_at_ = now;
  for (Entry& e : entries_) {
    e.in_flight = false;

    if (e.inventory) e.inventory_pending = true;
    if (e.inventory || e.poll_class == PollClass::kStatic || e.interval <= Duration::zero()) {
      e.due = now;
      e.anchor = true;
    }
  }
}

std::size_t Scheduler::in_flight() const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.in_flight; }));
}

bool Scheduler::is_in_flight(std::uint32_t oid) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.oid == oid && e.in_flight; });
}

}  // namespace rct::daemon
