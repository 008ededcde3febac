#include <algorithm>
#include <cstdint>
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
using rct::EventTable;
using rct::ValueError;

namespace {

// The JSON shape of event_table.tsv, built from our decoded struct. Our table timestamp is the
// query timestamp from offset 0.
json to_json(const EventTable& table) {
  json entries = json::array();
  for (const auto& e : table.entries) {
    entries.push_back({{"type", e.type},
                       {"timestamp", e.timestamp},
                       {"timestamp_iso", rct::test::iso8601_utc(e.timestamp)},
                       {"element2", e.element2},
                       {"element3", e.element3},
                       {"element4", e.element4}});
  }
  return {{"header_timestamp", table.query_timestamp},
          {"library_timestamp", table.query_timestamp},
          {"library_timestamp_iso", rct::test::iso8601_utc(table.query_timestamp)},
          {"entries", entries}};
}

// The reference keys entries by timestamp: first position, last entry.
EventTable collapse_like_reference(const EventTable& table) {
  EventTable out;
  out.query_timestamp = table.query_timestamp;
  for (const auto& e : table.entries) {
    auto it = std::find_if(out.entries.begin(), out.entries.end(),
                           [&](const auto& q) { return q.timestamp == e.timestamp; });
    if (it == out.entries.end()) {
      out.entries.push_back(e);
    } else {
      *it = e;
    }
  }
  return out;
}

json without_library_timestamp(json j) {
  j.erase("library_timestamp");
  j.erase("library_timestamp_iso");
  return j;
}

EventTable decode_ok(const std::vector<std::uint8_t>& payload) {
  auto decoded = rct::decode_value(DataType::kEventTable, payload);
  REQUIRE(decoded.ok());
  REQUIRE(std::holds_alternative<EventTable>(*decoded));
  return std::get<EventTable>(*decoded);
}

}  // namespace

// Quirk decisions (docs/protocol.md §8.8: the head timestamp is the query timestamp at offset
// 0, and every entry is kept, in order):
// - returned_timestamp_is_last_entry: our table timestamp is the header word. On these rows we
//   check it against `header_timestamp`, check that the reference's `library_timestamp` is the
//   last payload entry's time (so the row really shows the bug), and compare everything else.
// - duplicate_timestamps_collapse: we keep every entry; collapsing ours the reference's way must
//   give the reference's entry list.
// - entry_type_range_checked: we accept entry types above 0xFF (only the low byte has meaning,
//   docs/protocol.md §10.2), so these `error` rows decode, keep the type word as sent and re-encode
//   exactly.
TEST_CASE("event_table.tsv payloads decode per the protocol", "[event_table][vectors]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: event_table.tsv checks skipped");
    return;
  }
  int checked = 0;
  int last_entry_rows = 0;
  int collapse_rows = 0;
  int type_range_rows = 0;
  for (const auto& row : rct::test::read_tsv(*shared / "reference/vectors/event_table.tsv")) {
    INFO("event_table.tsv:" << row.line << ": " << row["note"] << " [" << row["quirk"] << "]");
    const auto payload = rct::test::hex_bytes(row["payload_hex"]);
    const std::string& quirk = row["quirk"];
    const bool last_entry_quirk = rct::test::has_quirk(quirk, "returned_timestamp_is_last_entry");
    const bool collapse_quirk = rct::test::has_quirk(quirk, "duplicate_timestamps_collapse");
    const bool type_range_quirk = rct::test::has_quirk(quirk, "entry_type_range_checked");
    for (std::size_t start = 0; start <= quirk.size();) {
      const auto comma = std::min(quirk.find(',', start), quirk.size());
      const std::string tag = quirk.substr(start, comma - start);
      if (!tag.empty() && tag != "returned_timestamp_is_last_entry" &&
          tag != "duplicate_timestamps_collapse" && tag != "entry_type_range_checked") {
        FAIL("no decision for quirk '" << tag << "'");
      }
      start = comma + 1;
    }

    if (row["outcome"] == "error" && !type_range_quirk) {
      auto decoded = rct::decode_value(DataType::kEventTable, payload);
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error() == ValueError::kWrongSize);
      ++checked;
      continue;
    }

    const EventTable table = decode_ok(payload);
    CHECK(table.entries.size() == (payload.size() - 4) / 20);
    CHECK(rct::encode_event_table(table) == payload);
    if (type_range_quirk) {
      REQUIRE(row["outcome"] == "error");
      CHECK(std::any_of(table.entries.begin(), table.entries.end(),
                        [](const auto& e) { return e.type > 0xFF; }));
      ++type_range_rows;
      ++checked;
      continue;
    }

    REQUIRE(row["outcome"] == "ok");
    const json expected = json::parse(row["decoded_json"]);
    CHECK(table.query_timestamp == expected["header_timestamp"].get<std::uint32_t>());
    json ours = to_json(collapse_quirk ? collapse_like_reference(table) : table);
    if (collapse_quirk) {
      CHECK(table.entries.size() > expected["entries"].size());
      ++collapse_rows;
    }
    if (last_entry_quirk) {
      REQUIRE_FALSE(table.entries.empty());
      CHECK(expected["library_timestamp"].get<std::uint32_t>() == table.entries.back().timestamp);
      CHECK(without_library_timestamp(ours) == without_library_timestamp(expected));
      ++last_entry_rows;
    } else {
      CHECK(ours == expected);
    }
    ++checked;
  }
  CHECK(checked >= 15);
  CHECK(last_entry_rows >= 8);
  CHECK(collapse_rows == 1);
  CHECK(type_range_rows == 2);
}

TEST_CASE("the event table example of docs/protocol.md §10.1 decodes", "[event_table]") {
  // A parameter change (0x73) of OID 0x8FC89B10 from 0 to 5, then a grid loss (0x5A) from
  // 1699980000 to 1699980100, case 3 (docs/protocol.md §10.1).
  const auto payload = rct::test::hex_bytes(
      "6553f100"
      "000000736553c9f08fc89b100000000000000005"
      "0000005a6553a2e06553a3440000000300000000");
  const EventTable table = decode_ok(payload);
  CHECK(table.query_timestamp == 1700000000u);
  REQUIRE(table.entries.size() == 2);
  CHECK(table.entries[0] == rct::EventEntry{0x73, 0x6553c9f0, 0x8FC89B10, 0, 5});
  CHECK(table.entries[1] == rct::EventEntry{0x5A, 1699980000, 1699980100, 3, 0});
}

TEST_CASE("event tables keep entries with equal timestamps and the header time", "[event_table]") {
  EventTable table;
  table.query_timestamp = 1700000000;
  table.entries = {
      {0x31, 1699999000, 1, 2, 3}, {0x32, 1699999000, 4, 5, 6}, {0x1FF, 1690000000, 7, 8, 9}};
  const auto payload = rct::encode_event_table(table);
  REQUIRE(payload.size() == 4 + 20 * table.entries.size());
  const EventTable back = decode_ok(payload);
  CHECK(back == table);
  for (std::size_t n = 0; n < payload.size(); ++n) {
    if (n >= 4 && (n - 4) % 20 == 0) continue;
    INFO(n << " bytes");
    const std::vector<std::uint8_t> cut(payload.begin(), payload.begin() + static_cast<long>(n));
    auto decoded = rct::decode_value(DataType::kEventTable, cut);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error() == ValueError::kWrongSize);
  }
}
