#include "core/client/history_pager.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tests/support/catch.h"

using rct::EventEntry;
using rct::EventTable;
using rct::TimeSeries;
using rct::TimeSeriesPoint;
using rct::client::EventTablePager;
using rct::client::TimeSeriesPager;

namespace {

// A device history: answers T with the newest `page_size` samples stamped at or before T
// (docs/protocol.md §9.1 allows a sample at exactly T, which makes page boundaries overlap).
struct FakeSeries {
  std::vector<TimeSeriesPoint> samples;  // ascending
  std::size_t page_size = 4;

  TimeSeries answer(std::uint32_t t) const {
    TimeSeries page;
    page.query_timestamp = t;
    std::vector<TimeSeriesPoint> older;
    for (const auto& p : samples) {
      if (p.timestamp <= t) older.push_back(p);
    }
    const std::size_t n = std::min(page_size, older.size());
    page.points.assign(older.end() - static_cast<std::ptrdiff_t>(n), older.end());
    return page;
  }
};

FakeSeries five_minute_series(std::uint32_t first, std::size_t count) {
  FakeSeries s;
  for (std::size_t i = 0; i < count; ++i) {
    s.samples.push_back({first + static_cast<std::uint32_t>(i) * 300, static_cast<float>(i)});
  }
  return s;
}

}  // namespace

TEST_CASE("time-series paging walks backwards by the oldest timestamp of each answer",
          "[history_pager]") {
  const FakeSeries dev = five_minute_series(1'700'000'000, 20);
  const std::uint32_t to = 1'700'000'000 + 19 * 300;
  TimeSeriesPager pager(1'700'000'000, to);
  std::vector<std::uint32_t> asked;
  while (!pager.done()) {
    asked.push_back(pager.next_query());
    pager.add_page(dev.answer(pager.next_query()));
    REQUIRE(asked.size() < 100);
  }
  // Pages of 4 with one overlapping sample: 20 samples take 7 answers.
  REQUIRE(asked.size() == 7);
  CHECK(asked[0] == to);
  CHECK(asked[1] == to - 3 * 300);
  const TimeSeries& ts = pager.result();
  CHECK(ts.query_timestamp == to);
  REQUIRE(ts.points.size() == 20);
  for (std::size_t i = 0; i < 20; ++i) {
    INFO("sample " << i);
    CHECK(ts.points[i].timestamp == 1'700'000'000 + i * 300);
    CHECK(ts.points[i].value == static_cast<float>(i));
  }
}

TEST_CASE("time-series paging stops at the start of the range and keeps only the range",
          "[history_pager]") {
  const FakeSeries dev = five_minute_series(1'000'000, 100);
  const std::uint32_t from = 1'000'000 + 50 * 300 + 10;  // between two samples
  const std::uint32_t to = 1'000'000 + 60 * 300 - 1;
  TimeSeriesPager pager(from, to);
  int pages = 0;
  while (!pager.done() && pages < 100) {
    pager.add_page(dev.answer(pager.next_query()));
    ++pages;
  }
  const TimeSeries& ts = pager.result();
  REQUIRE(ts.points.size() == 9);  // samples 51 .. 59
  CHECK(ts.points.front().timestamp == 1'000'000 + 51 * 300);
  CHECK(ts.points.back().timestamp == 1'000'000 + 59 * 300);
  CHECK(pages == 3);
}

TEST_CASE("time-series paging stops when an answer brings nothing older", "[history_pager]") {
  SECTION("an empty answer") {
    TimeSeriesPager pager(0, 5000);
    CHECK_FALSE(pager.add_page(TimeSeries{5000, {}}));
    CHECK(pager.done());
    CHECK(pager.result().points.empty());
  }
  SECTION("an answer holding only the sample at T") {
    TimeSeriesPager pager(0, 5000);
    CHECK(pager.add_page(TimeSeries{5000, {{4000, 1.0f}, {5000, 2.0f}}}));
    CHECK(pager.next_query() == 4000);
    CHECK_FALSE(pager.add_page(TimeSeries{4000, {{4000, 1.0f}}}));
    CHECK(pager.result().points.size() == 2);
  }
  SECTION("the end of a year series (history ends in 2000)") {
    const FakeSeries dev = five_minute_series(946'771'199, 3);
    TimeSeriesPager pager(0, 946'771'199 + 10 * 300);
    int pages = 0;
    while (!pager.done() && pages < 100) {
      pager.add_page(dev.answer(pager.next_query()));
      ++pages;
    }
    CHECK(pages == 2);
    CHECK(pager.result().points.size() == 3);
  }
}

TEST_CASE("page-boundary duplicates appear once, the first one received wins", "[history_pager]") {
  TimeSeriesPager pager(0, 10'000);
  REQUIRE(pager.add_page(TimeSeries{10'000, {{9'000, 9.0f}, {9'500, 9.5f}}}));
  REQUIRE(pager.next_query() == 9'000);
  REQUIRE(pager.add_page(TimeSeries{9'000, {{8'000, 8.0f}, {9'000, 99.0f}, {9'000, 999.0f}}}));
  pager.add_page(TimeSeries{8'000, {}});
  const auto& pts = pager.result().points;
  REQUIRE(pts.size() == 3);
  CHECK(pts[1].timestamp == 9'000);
  CHECK(pts[1].value == 9.0f);
}

TEST_CASE("paging gives up after the page limit", "[history_pager]") {
  const FakeSeries dev = five_minute_series(0, 1000);
  TimeSeriesPager pager(0, 999 * 300, 5);
  int pages = 0;
  while (!pager.done() && pages < 100) {
    pager.add_page(dev.answer(pager.next_query()));
    ++pages;
  }
  CHECK(pages == 5);
  CHECK(pager.pages() == 5);
}

TEST_CASE("an empty range needs no query", "[history_pager]") {
  TimeSeriesPager pager(2000, 1000);
  CHECK(pager.done());
  EventTablePager events(2000, 1000);
  CHECK(events.done());
}

TEST_CASE("event-table paging keeps distinct events with equal times and drops repeats",
          "[history_pager]") {
  const EventEntry grid_loss{0x5A, 1'699'980'000, 1'699'980'100, 3, 0};
  const EventEntry change{0x73, 1'699'980'000, 0x8FC89B10, 0, 5};  // same start time
  const EventEntry reset{0x76, 1'699'900'000, 1'699'900'050, 0, 0};
  const EventEntry update{0x77, 1'699'800'000, 0, 1, 2};
  EventTablePager pager(1'699'850'000, 1'700'000'000);
  REQUIRE(pager.add_page(EventTable{1'700'000'000, {grid_loss, change, reset}}));
  CHECK(pager.next_query() == 1'699'900'000);
  // The next answer repeats the boundary event and reaches past `from`.
  CHECK_FALSE(pager.add_page(EventTable{1'699'900'000, {reset, update}}));
  const auto& entries = pager.result().entries;
  REQUIRE(entries.size() == 3);  // update is before `from`
  CHECK(entries[0] == reset);
  CHECK(entries[1] == grid_loss);
  CHECK(entries[2] == change);
  CHECK(pager.result().query_timestamp == 1'700'000'000u);
}
