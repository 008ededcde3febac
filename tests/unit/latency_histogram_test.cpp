#include "core/client/latency_histogram.h"

#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::client::LatencyHistogram;

TEST_CASE("a latency lands in the first bucket whose bound it does not exceed", "[latency]") {
  LatencyHistogram h;
  h.record(0ms);
  h.record(5ms);     // bounds are inclusive
  h.record(5001us);  // just above: next bucket
  h.record(999ms);
  h.record(5s);        // the last bound
  h.record(5s + 1us);  // beyond every bound
  h.record(-3ms);      // a clock oddity counts as 0
  CHECK(h.counts[0] == 3);
  CHECK(h.counts[1] == 1);
  CHECK(h.counts[7] == 1);   // ≤ 1 s
  CHECK(h.counts[9] == 1);   // ≤ 5 s
  CHECK(h.counts[10] == 1);  // +Inf only
  CHECK(h.total == 7);
  CHECK(h.sum_micros == 5'000 + 5'001 + 999'000 + 5'000'000 + 5'000'001);
}
