#include "core/client/history_pager.h"

#include <algorithm>
#include <optional>

namespace rct::client {
namespace {

// Shared stop rule. `oldest` is the smallest timestamp in the page (nullopt: empty page).
// Returns the next T, or nullopt when paging is over.
std::optional<std::uint32_t> next_query_after(std::optional<std::uint32_t> oldest,
                                              std::uint32_t asked, std::uint32_t from,
                                              std::size_t pages, std::size_t max_pages) {
  if (!oldest || *oldest >= asked) return std::nullopt;  // nothing older than T
  if (*oldest <= from) return std::nullopt;              // reached the start of the range
  if (pages >= max_pages) return std::nullopt;
  return *oldest;
}

}  // namespace

TimeSeriesPager::TimeSeriesPager(std::uint32_t from, std::uint32_t to, std::size_t max_pages)
    : from_(from), max_pages_(max_pages), next_(to) {
  result_.query_timestamp = to;
  done_ = from > to || max_pages == 0;
}

bool TimeSeriesPager::add_page(const TimeSeries& page) {
  if (done_) return false;
  ++pages_;
  std::optional<std::uint32_t> oldest;
  for (const TimeSeriesPoint& p : page.points) {
    if (!oldest || p.timestamp < *oldest) oldest = p.timestamp;
    if (p.timestamp < from_ || p.timestamp > result_.query_timestamp) continue;
    if (seen_.insert(p.timestamp).second) result_.points.push_back(p);
  }
  const auto next = next_query_after(oldest, next_, from_, pages_, max_pages_);
  if (!next) {
    done_ = true;
    std::stable_sort(result_.points.begin(), result_.points.end(),
                     [](const TimeSeriesPoint& a, const TimeSeriesPoint& b) {
                       return a.timestamp < b.timestamp;
                     });
    return false;
  }
  next_ = *next;
  return true;
}

EventTablePager::EventTablePager(std::uint32_t from, std::uint32_t to, std::size_t max_pages)
    : from_(from), max_pages_(max_pages), next_(to) {
  result_.query_timestamp = to;
  done_ = from > to || max_pages == 0;
}

bool EventTablePager::add_page(const EventTable& page) {
  if (done_) return false;
  ++pages_;
  std::optional<std::uint32_t> oldest;
  for (const EventEntry& e : page.entries) {
    if (!oldest || e.timestamp < *oldest) oldest = e.timestamp;
    if (e.timestamp < from_ || e.timestamp > result_.query_timestamp) continue;
    if (seen_.insert({e.type, e.timestamp, e.element2, e.element3, e.element4}).second) {
      result_.entries.push_back(e);
    }
  }
  const auto next = next_query_after(oldest, next_, from_, pages_, max_pages_);
  if (!next) {
    done_ = true;
    std::stable_sort(
        result_.entries.begin(), result_.entries.end(),
        [](const EventEntry& a, const EventEntry& b) { return a.timestamp < b.timestamp; });
    return false;
  }
  next_ = *next;
  return true;
}

}  // namespace rct::client
