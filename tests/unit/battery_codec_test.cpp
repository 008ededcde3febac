#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/data_type.h"
#include "core/value.h"
#include "core/value_codec.h"
#include "tests/support/catch.h"
#include "tests/support/shared_dir.h"
#include "tests/support/tsv.h"
#include "tests/support/value_vectors.h"

using nlohmann::json;
using rct::DataType;
using rct::ValueError;

namespace {

json to_json(const rct::BatteryModuleStatus& s) {
  json cells = json::array();
  for (std::size_t i = 0; i < s.cells.size(); ++i) {
    cells.push_back({{"cell", i},
                     {"temperature_c", s.cells[i].temperature_c},
                     {"voltage_mv", s.cells[i].voltage_mv},
                     {"status", s.cells[i].status}});
  }
  return {{"cells", cells}};
}

json to_json(const rct::CellExtreme& e) {
  const json none = nullptr;
  return {{"cell", e.cell},
          {"timestamp", e.timestamp == 0 ? none : json(e.timestamp)},
          {"timestamp_iso", e.timestamp == 0 ? none : json(rct::test::iso8601_utc(e.timestamp))},
          {"value", rct::test::finite_or_null(e.value)},
          {"bits", rct::test::float_bits_hex(e.value)}};
}

json to_json(const rct::BatteryModuleStatistics& s) {
  return {{"u_min", to_json(s.u_min)},
          {"u_max", to_json(s.u_max)},
          {"t_min", to_json(s.t_min)},
          {"t_max", to_json(s.t_max)}};
}

json to_json(const rct::BatteryModuleResistance& r) {
  json cells = json::array();
  for (std::size_t i = 0; i < r.raw.size(); ++i) {
    cells.push_back({{"cell", i}, {"raw", r.raw[i]}, {"mohm", r.raw[i] / 256.0}});
  }
  return {{"cells", cells}};
}

json decoded_json(const rct::Value& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, rct::BatteryModuleStatus> ||
                      std::is_same_v<T, rct::BatteryModuleStatistics> ||
                      std::is_same_v<T, rct::BatteryModuleResistance>) {
          return to_json(x);
        } else {
          FAIL("not a battery module value");
          return nullptr;
        }
      },
      v);
}

// The padding bytes 2..3 of every resistance record are not kept; the encoder writes zeros.
std::vector<std::uint8_t> zero_resistance_padding(std::vector<std::uint8_t> payload) {
  for (std::size_t i = 0; i + 3 < payload.size(); i += 4) payload[i + 2] = payload[i + 3] = 0;
  return payload;
}

// The reference reads the cell temperature byte unsigned; it is a signed byte (docs/protocol.md
// §8.9: 0xF6 is -10 °C), so a reference value above 127 is expected as value - 256.
json signed_cell_temperatures(json reference) {
  if (!reference.contains("cells")) return reference;
  for (json& cell : reference["cells"]) {
    if (!cell.contains("temperature_c")) continue;
    const int t = cell["temperature_c"].get<int>();
    if (t > 127) cell["temperature_c"] = t - 256;
  }
  return reference;
}

}  // namespace

TEST_CASE("battery.tsv payloads decode as the reference shows", "[battery][vectors]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: battery.tsv checks skipped");
    return;
  }
  int ok_rows = 0;
  int error_rows = 0;
  for (const auto& row : rct::test::read_tsv(*shared / "reference/vectors/battery.tsv")) {
    INFO("battery.tsv:" << row.line << ": " << row["data_type"] << ": " << row["note"]);
    const auto type = rct::data_type_from_name(row["data_type"]);
    REQUIRE(type.has_value());
    const auto payload = rct::test::hex_bytes(row["payload_hex"]);
    auto decoded = rct::decode_value(*type, payload);
    if (row["outcome"] == "error") {
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error() == ValueError::kWrongSize);
      ++error_rows;
      continue;
    }
    REQUIRE(row["outcome"] == "ok");
    REQUIRE(decoded.ok());
    CHECK(decoded_json(*decoded) == signed_cell_temperatures(json::parse(row["decoded_json"])));
    auto encoded = rct::encode_value(*type, *decoded);
    REQUIRE(encoded.ok());
    if (*type == DataType::kBatteryModuleResistance) {
      CHECK(*encoded == zero_resistance_padding(payload));
    } else {
      CHECK(*encoded == payload);
    }
    ++ok_rows;
  }
  CHECK(ok_rows == 10);
  CHECK(error_rows == 5);
}

TEST_CASE("the battery examples of docs/protocol.md §8.9 decode", "[battery]") {
  // Cell record 19 f6 0c 00: 25 °C, 0x0CF6 = 3318 mV (little endian), status 0.
  std::vector<std::uint8_t> status_payload;
  for (std::size_t i = 0; i < rct::kBatteryCells; ++i) {
    status_payload.insert(status_payload.end(), {0x19, 0xF6, 0x0C, 0x00});
  }
  auto status = rct::decode_value(DataType::kBatteryModuleStatus, status_payload);
  REQUIRE(status.ok());
  for (const auto& cell : std::get<rct::BatteryModuleStatus>(*status).cells) {
    CHECK(cell.temperature_c == 25);
    CHECK(cell.voltage_mv == 3318);
    CHECK(cell.status == 0);
  }

  const auto stats_payload = rct::test::hex_bytes(
      "00000000"
      "46d25b62"
      "23db4140"
      "00000000"
      "f163ab66"
      "19045e40"
      "00000000"
      "baeea065"
      "00009041"
      "0e000000"
      "1ba4e260"
      "00002442");
  REQUIRE(stats_payload.size() == 48);
  auto stats = rct::decode_value(DataType::kBatteryModuleStatistics, stats_payload);
  REQUIRE(stats.ok());
  const auto& s = std::get<rct::BatteryModuleStatistics>(*stats);
  CHECK(s.u_min.cell == 0);
  CHECK(s.u_min.timestamp == 1650184774u);
  CHECK(s.u_min.value == Approx(3.029).epsilon(1e-6));
  CHECK(s.u_max.timestamp == 1722508273u);
  CHECK(s.u_max.value == Approx(3.469).epsilon(1e-6));
  CHECK(s.t_min.timestamp == 1705045690u);
  CHECK(s.t_min.value == 18.0f);
  CHECK(s.t_max.cell == 14);
  CHECK(s.t_max.timestamp == 1625465883u);
  CHECK(s.t_max.value == 41.0f);

  // Records 01 fb 00 00 and 01 52 00 00: 507/256 and 338/256 mΩ, big endian.
  std::vector<std::uint8_t> resistance_payload;
  for (std::size_t i = 0; i < rct::kBatteryCells; ++i) {
    resistance_payload.insert(
        resistance_payload.end(),
        {0x01, static_cast<std::uint8_t>(i % 2 == 0 ? 0xFB : 0x52), 0x00, 0x00});
  }
  auto resistance = rct::decode_value(DataType::kBatteryModuleResistance, resistance_payload);
  REQUIRE(resistance.ok());
  const auto& r = std::get<rct::BatteryModuleResistance>(*resistance);
  CHECK(r.raw[0] == 507);
  CHECK(r.raw[0] / 256.0 == 1.98046875);
  CHECK(r.raw[1] == 338);
  CHECK(r.raw[1] / 256.0 == 1.3203125);
}

TEST_CASE("battery payloads of any other size are rejected", "[battery]") {
  for (DataType t : {DataType::kBatteryModuleStatus, DataType::kBatteryModuleStatistics,
                     DataType::kBatteryModuleResistance}) {
    for (std::size_t n : {0, 1, 4, 47, 48, 49, 95, 96, 97, 192}) {
      const bool fits = n == (t == DataType::kBatteryModuleStatistics ? 48u : 96u);
      INFO(rct::data_type_name(t) << " " << n);
      auto decoded = rct::decode_value(t, std::vector<std::uint8_t>(n, 0x11));
      CHECK(decoded.ok() == fits);
      if (!fits) CHECK(decoded.error() == ValueError::kWrongSize);
    }
  }
}

TEST_CASE("the cell temperature of a module status is a signed byte", "[battery]") {
  // F6 = -10 °C, 80 = -128 °C, 7F = 127 °C, 00 = 0 °C: the other 20 cells 25 °C.
  std::vector<std::uint8_t> payload;
  const std::uint8_t temperatures[] = {0xF6, 0x80, 0x7F, 0x00};
  for (std::size_t i = 0; i < rct::kBatteryCells; ++i) {
    payload.insert(payload.end(), {i < 4 ? temperatures[i] : std::uint8_t{0x19}, 0xF6, 0x0C, 0x00});
  }
  auto status = rct::decode_value(DataType::kBatteryModuleStatus, payload);
  REQUIRE(status.ok());
  const auto& cells = std::get<rct::BatteryModuleStatus>(*status).cells;
  CHECK(cells[0].temperature_c == -10);
  CHECK(cells[1].temperature_c == -128);
  CHECK(cells[2].temperature_c == 127);
  CHECK(cells[3].temperature_c == 0);
  CHECK(cells[4].temperature_c == 25);
  CHECK(cells[0].voltage_mv == 3318);
  // Encoding writes the same byte back.
  auto encoded = rct::encode_value(DataType::kBatteryModuleStatus, *status);
  REQUIRE(encoded.ok());
  CHECK(*encoded == payload);
}
