#include "daemon/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace rct::daemon {

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

Instant Scheduler::budget_ready() const {
  return tat_ - tolerance_;
}

std::optional<Instant> Scheduler::next_due() const {
  const bool phase = inventory_phase();
  std::optional<Instant> earliest;
  for (const Entry& e : entries_) {
    if (!eligible(e) || (phase && !e.inventory)) continue;
    if (!earliest || *e.due < *earliest) earliest = e.due;
  }
  if (!earliest) return std::nullopt;
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
  std::vector<Entry*> due;
  const bool phase = inventory_phase();
  for (Entry& e : entries_) {
    if (eligible(e) && *e.due <= now && (!phase || e.inventory)) due.push_back(&e);
  }
  // Stable: equal keys keep poll-list order.
  std::stable_sort(due.begin(), due.end(), [](const Entry* a, const Entry* b) {
    if (a->inventory != b->inventory) return a->inventory;
    if (*a->due != *b->due) return *a->due < *b->due;
    return static_cast<int>(a->poll_class) < static_cast<int>(b->poll_class);
  });
  std::vector<std::uint32_t> out;
  for (Entry* e : due) {
    if (out.size() >= max || now < budget_ready()) break;
    tat_ = std::max(tat_, now) + emission_interval_;
    e->in_flight = true;
    advance(*e, now);
    out.push_back(e->oid);
  }
  return out;
}

void Scheduler::on_complete(std::uint32_t oid) {
  for (Entry& e : entries_) {
    if (e.oid != oid || !e.in_flight) continue;
    e.in_flight = false;
    e.inventory_pending = false;
  }
}

void Scheduler::on_reconnect(Instant now) {
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
