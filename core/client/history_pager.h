#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <unordered_set>

#include "core/value.h"

namespace rct::client {

// Backwards paging over time-series and event-table answers (docs/protocol.md §9.2, §10.1): the
// first query asks for T = `to`; each answer brings entries up to T; the next T is the oldest
// timestamp of the answer. Paging stops when an answer brings nothing older than its T, when it
// reaches `from`, or after `max_pages`. Duplicates at page boundaries are dropped. Pure. Limit of
// the protocol, not of this pager: when a whole answer is taken by entries stamped exactly T,
// nothing older can be asked for (there is no offset), so paging stops there.
//
// States: paging (next_query() is the T to send) → done (result() is final).
class TimeSeriesPager {
 public:
  TimeSeriesPager(std::uint32_t from, std::uint32_t to, std::size_t max_pages = 1000);

  std::uint32_t next_query() const { return next_; }
  // Takes the answer to next_query(); returns whether another page is wanted.
  bool add_page(const TimeSeries& page);
  bool done() const { return done_; }
  std::size_t pages() const { return pages_; }
  // Points with from ≤ timestamp ≤ to, oldest first, one per timestamp (the first one received).
  // query_timestamp is `to`.
  const TimeSeries& result() const { return result_; }

 private:
  std::uint32_t from_;
  std::size_t max_pages_;
  std::uint32_t next_;
  std::size_t pages_ = 0;
  bool done_ = false;
  TimeSeries result_;
  std::unordered_set<std::uint32_t> seen_;  // timestamps in result_
};

class EventTablePager {
 public:
  EventTablePager(std::uint32_t from, std::uint32_t to, std::size_t max_pages = 1000);

  std::uint32_t next_query() const { return next_; }
  bool add_page(const EventTable& page);
  bool done() const { return done_; }
  std::size_t pages() const { return pages_; }
  // Entries with from ≤ timestamp ≤ to, oldest first (stable for equal timestamps); an entry
  // equal in every field to one already received is a page-boundary duplicate and dropped.
  const EventTable& result() const { return result_; }

 private:
  std::uint32_t from_;
  std::size_t max_pages_;
  std::uint32_t next_;
  std::size_t pages_ = 0;
  bool done_ = false;
  EventTable result_;
  std::set<std::array<std::uint32_t, 5>> seen_;  // entries in result_
};

}  // namespace rct::client
