#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/value.h"
#include "core/value_codec.h"
#include "tests/support/catch.h"
#include "tests/support/shared_dir.h"
#include "tests/support/tsv.h"
#include "tests/support/value_vectors.h"

using nlohmann::json;
using rct::DataType;
using rct::TimeSeries;
using rct::ValueError;

namespace {

// The JSON shape of timeseries.tsv, built from our decoded struct.
json to_json(const TimeSeries& ts) {
  json points = json::array();
  for (const auto& p : ts.points) {
    points.push_back({{"timestamp", p.timestamp},
                      {"timestamp_iso", rct::test::iso8601_utc(p.timestamp)},
                      {"value", rct::test::finite_or_null(p.value)},
                      {"bits", rct::test::float_bits_hex(p.value)}});
  }
  return {{"timestamp", ts.query_timestamp},
          {"timestamp_iso", rct::test::iso8601_utc(ts.query_timestamp)},
          {"points", points}};
}

// What the reference makes of our point list: one point per timestamp, at the position of its
// first occurrence, with the value of its last.
TimeSeries collapse_like_reference(const TimeSeries& ts) {
  TimeSeries out;
  out.query_timestamp = ts.query_timestamp;
  for (const auto& p : ts.points) {
    auto it = std::find_if(out.points.begin(), out.points.end(),
                           [&](const auto& q) { return q.timestamp == p.timestamp; });
    if (it == out.points.end()) {
      out.points.push_back(p);
    } else {
      it->value = p.value;
    }
  }
  return out;
}

TimeSeries decode_ok(const std::vector<std::uint8_t>& payload) {
  auto decoded = rct::decode_value(DataType::kTimeSeries, payload);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<TimeSeries>(*decoded));
  return std::get<TimeSeries>(*decoded);
}

}  // namespace

// Quirk decision, duplicate_timestamps_collapse: we keep every point in payload order,
// duplicates included (paging overlaps are the consumer's business, docs/protocol.md §9.2). On such
// rows we assert the full point list and that collapsing it the reference's way gives the
// reference JSON.
TEST_CASE("timeseries.tsv payloads decode as the reference shows", "[timeseries][vectors]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: timeseries.tsv checks skipped");
    return;
  }
  int ok_rows = 0;
  int error_rows = 0;
  int collapsed_rows = 0;
  for (const auto& row : rct::test::read_tsv(*shared / "reference/vectors/timeseries.tsv")) {
    INFO("timeseries.tsv:" << row.line << ": " << row["note"]);
    const auto payload = rct::test::hex_bytes(row["payload_hex"]);
    const std::string& quirk = row["quirk"];
    if (row["outcome"] == "error") {
      REQUIRE(quirk.empty());
      auto decoded = rct::decode_value(DataType::kTimeSeries, payload);
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error() == ValueError::kWrongSize);
      ++error_rows;
      continue;
    }
    REQUIRE(row["outcome"] == "ok");
    const TimeSeries ts = decode_ok(payload);
    const json expected = json::parse(row["decoded_json"]);
    CHECK(ts.points.size() == (payload.size() - 4) / 8);
    if (quirk.empty()) {
      CHECK(to_json(ts) == expected);
    } else if (quirk == "duplicate_timestamps_collapse") {
      CHECK(to_json(collapse_like_reference(ts)) == expected);
      CHECK(ts.points.size() > expected["points"].size());
      ++collapsed_rows;
    } else {
      FAIL("no decision for quirk '" << quirk << "'");
    }
    // The simulator's encoder gives back the exact payload, floats bit for bit.
    CHECK(rct::encode_timeseries(ts) == payload);
    ++ok_rows;
  }
  CHECK(ok_rows >= 10);
  CHECK(error_rows >= 3);
  CHECK(collapsed_rows == 1);
}

TEST_CASE("time series keep duplicates, order and non-finite values", "[timeseries]") {
  TimeSeries ts;
  ts.query_timestamp = 1700000000;
  ts.points = {{1699999700, 1.0f},
               {1699999700, 2.0f},
               {1699999400, -0.0f},
               {1700000000, std::numeric_limits<float>::infinity()},
               {0, std::numeric_limits<float>::quiet_NaN()}};
  const auto payload = rct::encode_timeseries(ts);
  REQUIRE(payload.size() == 4 + 8 * ts.points.size());
  // Query timestamp first, big endian.
  CHECK(payload[0] == 0x65);
  CHECK(payload[3] == 0x00);
  const TimeSeries back = decode_ok(payload);
  CHECK(back.query_timestamp == ts.query_timestamp);
  REQUIRE(back.points.size() == ts.points.size());
  for (std::size_t i = 0; i < ts.points.size(); ++i) {
    INFO("point " << i);
    CHECK(back.points[i].timestamp == ts.points[i].timestamp);
    CHECK(rct::test::float_bits_hex(back.points[i].value) ==
          rct::test::float_bits_hex(ts.points[i].value));
  }
}

TEST_CASE("the time series example of docs/protocol.md §9.1 decodes", "[timeseries]") {
  // Query T = 1700000000, samples 0.5, 0.52, 0.55 at T-500, T-200, T (docs/protocol.md §9.1).
  const auto payload =
      rct::test::hex_bytes("6553f1006553ef0c3f0000006553f0383f051eb86553f1003f0ccccd");
  const TimeSeries ts = decode_ok(payload);
  CHECK(ts.query_timestamp == 1700000000u);
  REQUIRE(ts.points.size() == 3);
  CHECK(ts.points[0].timestamp == 1700000000u - 500);
  CHECK(ts.points[0].value == 0.5f);
  CHECK(ts.points[1].timestamp == 1700000000u - 200);
  CHECK(ts.points[1].value == 0.52f);
  CHECK(ts.points[2].timestamp == 1700000000u);
  CHECK(ts.points[2].value == 0.55f);
}

TEST_CASE("a truncated time series is rejected, never decoded", "[timeseries]") {
  TimeSeries ts;
  ts.query_timestamp = 1;
  for (std::uint32_t i = 0; i < 10; ++i) ts.points.push_back({i, static_cast<float>(i)});
  const auto full = rct::encode_timeseries(ts);
  for (std::size_t n = 0; n < full.size(); ++n) {
    const std::vector<std::uint8_t> cut(full.begin(), full.begin() + static_cast<long>(n));
    auto decoded = rct::decode_value(DataType::kTimeSeries, cut);
    INFO(n << " of " << full.size() << " bytes");
    if (n >= 4 && (n - 4) % 8 == 0) {
      REQUIRE(decoded.ok());
      CHECK(std::get<TimeSeries>(*decoded).points.size() == (n - 4) / 8);
    } else {
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error() == ValueError::kWrongSize);
    }
  }
}
