#include "core/value_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "core/data_type.h"
#include "core/value.h"
#include "tests/support/catch.h"
#include "tests/support/shared_dir.h"
#include "tests/support/tsv.h"
#include "tests/support/value_vectors.h"

using rct::DataType;
using rct::Value;
using rct::ValueError;
using Bytes = std::vector<std::uint8_t>;

namespace {

constexpr DataType kAllTypes[] = {
    DataType::kUnknown,
    DataType::kBool,
    DataType::kUint8,
    DataType::kInt8,
    DataType::kUint16,
    DataType::kInt16,
    DataType::kUint32,
    DataType::kInt32,
    DataType::kEnum,
    DataType::kFloat,
    DataType::kString,
    DataType::kTimeSeries,
    DataType::kEventTable,
    DataType::kBatteryModuleStatus,
    DataType::kBatteryModuleStatistics,
    DataType::kBatteryModuleResistance,
};

// values.tsv escapes in string values: \\ \t \n \r \xHH.
std::string unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    const char c = s[++i];
    if (c == '\\') {
      out += '\\';
    } else if (c == 't') {
      out += '\t';
    } else if (c == 'n') {
      out += '\n';
    } else if (c == 'r') {
      out += '\r';
    } else if (c == 'x' && i + 2 < s.size()) {
      out += static_cast<char>(rct::test::hex_bytes(s.substr(i + 1, 2)).at(0));
      i += 2;
    } else {
      throw std::runtime_error("unknown escape in '" + s + "'");
    }
  }
  return out;
}

template <typename T>
void check_integer(const Value& v, const std::string& text) {
  REQUIRE(std::holds_alternative<T>(v));
  CHECK(static_cast<long long>(std::get<T>(v)) == std::stoll(text));
}

// `decoded` is the value that values.tsv writes as `text` for `type`.
void check_matches_text(DataType type, const Value& decoded, const std::string& text) {
  switch (type) {
    case DataType::kBool:
      REQUIRE(std::holds_alternative<bool>(decoded));
      CHECK(std::get<bool>(decoded) == (text == "true"));
      return;
    case DataType::kUint8:
      return check_integer<std::uint8_t>(decoded, text);
    case DataType::kInt8:
      return check_integer<std::int8_t>(decoded, text);
    case DataType::kUint16:
      return check_integer<std::uint16_t>(decoded, text);
    case DataType::kInt16:
      return check_integer<std::int16_t>(decoded, text);
    case DataType::kUint32:
      return check_integer<std::uint32_t>(decoded, text);
    case DataType::kInt32:
      return check_integer<std::int32_t>(decoded, text);
    case DataType::kEnum:
      REQUIRE(std::holds_alternative<rct::EnumValue>(decoded));
      CHECK(std::get<rct::EnumValue>(decoded).value == std::stoi(text));
      return;
    case DataType::kFloat: {
      REQUIRE(std::holds_alternative<float>(decoded));
      const double got = std::get<float>(decoded);
      if (text == "nan") {
        CHECK(std::isnan(got));
      } else {
        const double want = std::strtod(text.c_str(), nullptr);
        CHECK(got == want);
        CHECK(std::signbit(got) == std::signbit(want));
      }
      return;
    }
    case DataType::kString:
      REQUIRE(std::holds_alternative<std::string>(decoded));
      CHECK(std::get<std::string>(decoded) == unescape(text));
      return;
    default:
      FAIL("values.tsv holds only scalar and string types");
  }
}

void check_encodes(DataType type, const std::string& text, const std::string& payload_hex) {
  const std::string input = type == DataType::kString ? unescape(text) : text;
  auto parsed = rct::parse_value(type, input);
  REQUIRE(parsed.ok());
  auto encoded = rct::encode_value(type, *parsed);
  REQUIRE(encoded.ok());
  CHECK(rct::test::bytes_hex(*encoded) == payload_hex);
}

void check_decodes(DataType type, const std::string& payload_hex, const std::string& text) {
  auto decoded = rct::decode_value(type, rct::test::hex_bytes(payload_hex));
  REQUIRE(decoded.ok());
  check_matches_text(type, *decoded, text);
}

}  // namespace

TEST_CASE("values.tsv rows without a quirk tag all hold", "[value_codec][vectors]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: values.tsv checks skipped");
    return;
  }
  const auto rows = rct::test::read_tsv(*shared / "reference/vectors/values.tsv");
  int checked = 0;
  for (const auto& row : rows) {
    if (!row["quirk"].empty()) continue;
    INFO("values.tsv:" << row.line << ": " << row["data_type"] << " '" << row["value"] << "' "
                       << row["payload_hex"] << " " << row["direction"]);
    const auto type = rct::data_type_from_name(row["data_type"]);
    REQUIRE(type.has_value());
    const std::string& dir = row["direction"];
    if (dir == "both" || dir == "encode") check_encodes(*type, row["value"], row["payload_hex"]);
    if (dir == "both" || dir == "decode") check_decodes(*type, row["payload_hex"], row["value"]);
    if (dir == "encode_error") {
      auto parsed = rct::parse_value(*type, row["value"]);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error() == ValueError::kOutOfRange);
    }
    if (dir == "decode_error") {
      // Every untagged decode error in the file is a payload of the wrong size.
      auto decoded = rct::decode_value(*type, rct::test::hex_bytes(row["payload_hex"]));
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.error() == ValueError::kWrongSize);
    }
    ++checked;
  }
  CHECK(checked > 100);
}

// Quirk decisions (we follow docs/protocol.md, not the reference's defects):
// - unsigned_encode_signed_range: we DO encode uint8/enum/uint16/uint32 values above the signed
//   maximum (full unsigned range, docs/protocol.md §8.3), so those `decode` rows must hold in both
//   directions.
// - unsigned_encode_accepts_negative: we reject negative values for unsigned types
//   (kOutOfRange) instead of writing their two's complement.
// - string_decode_ascii_only: we decode STRING payloads without failing: valid UTF-8 is kept (so
//   the `encode` rows hold in both directions) and other bytes are read as ISO-8859-1 (so the
//   `decode_error` rows decode to the text given below).
TEST_CASE("values.tsv quirk rows follow the protocol, not the reference",
          "[value_codec][vectors]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: values.tsv quirk checks skipped");
    return;
  }
  // Our decoding of the payloads the reference refuses (ISO-8859-1 fallback for non-UTF-8 bytes).
  const std::map<std::string, std::string> latin1_fallback = {
      {"c3bc", "\xC3\xBC"},        // valid UTF-8 "ü", kept
      {"80", "\xC2\x80"},          // lone 0x80 -> U+0080
      {"6f6bff00", "ok\xC3\xBF"},  // 0xFF -> U+00FF "ÿ", then the NUL ends the text
  };
  const auto rows = rct::test::read_tsv(*shared / "reference/vectors/values.tsv");
  std::map<std::string, int> per_quirk;
  for (const auto& row : rows) {
    const std::string& quirk = row["quirk"];
    if (quirk.empty()) continue;
    INFO("values.tsv:" << row.line << ": " << row["data_type"] << " '" << row["value"] << "' "
                       << row["payload_hex"] << " " << row["direction"] << " [" << quirk << "]");
    const auto type = rct::data_type_from_name(row["data_type"]);
    REQUIRE(type.has_value());
    const std::string& dir = row["direction"];
    if (quirk == "unsigned_encode_signed_range") {
      REQUIRE(dir == "decode");
      check_decodes(*type, row["payload_hex"], row["value"]);
      check_encodes(*type, row["value"], row["payload_hex"]);
    } else if (quirk == "unsigned_encode_accepts_negative") {
      REQUIRE(dir == "encode");
      auto parsed = rct::parse_value(*type, row["value"]);
      REQUIRE_FALSE(parsed.ok());
      CHECK(parsed.error() == ValueError::kOutOfRange);
    } else if (quirk == "string_decode_ascii_only" && dir == "encode") {
      check_encodes(*type, row["value"], row["payload_hex"]);
      check_decodes(*type, row["payload_hex"], row["value"]);
    } else if (quirk == "string_decode_ascii_only" && dir == "decode_error") {
      const auto want = latin1_fallback.find(row["payload_hex"]);
      REQUIRE(want != latin1_fallback.end());
      auto decoded = rct::decode_value(*type, rct::test::hex_bytes(row["payload_hex"]));
      REQUIRE(decoded.ok());
      REQUIRE(std::holds_alternative<std::string>(*decoded));
      CHECK(std::get<std::string>(*decoded) == want->second);
    } else {
      FAIL("no decision for quirk '" << quirk << "' with direction " << dir);
    }
    ++per_quirk[quirk];
  }
  CHECK(per_quirk["unsigned_encode_signed_range"] > 0);
  CHECK(per_quirk["unsigned_encode_accepts_negative"] > 0);
  CHECK(per_quirk["string_decode_ascii_only"] == 7);
}

TEST_CASE("data type names are the registry's lower-case names", "[data_type]") {
  const std::vector<std::string> names = {"unknown",
                                          "bool",
                                          "uint8",
                                          "int8",
                                          "uint16",
                                          "int16",
                                          "uint32",
                                          "int32",
                                          "enum",
                                          "float",
                                          "string",
                                          "timeseries",
                                          "event_table",
                                          "battery_module_status",
                                          "battery_module_statistics",
                                          "battery_module_resistance"};
  REQUIRE(names.size() == std::size(kAllTypes));
  for (std::size_t i = 0; i < names.size(); ++i) {
    INFO(names[i]);
    CHECK(rct::data_type_name(kAllTypes[i]) == names[i]);
    CHECK(rct::data_type_from_name(names[i]) == kAllTypes[i]);
  }
  CHECK_FALSE(rct::data_type_from_name("UINT8").has_value());
  CHECK_FALSE(rct::data_type_from_name("").has_value());
  CHECK_FALSE(rct::data_type_from_name("time_series").has_value());
}

TEST_CASE("payload sizes are validated per data type before decoding", "[value_codec]") {
  struct Rule {
    DataType type;
    bool (*fits)(std::size_t);
  };
  const Rule rules[] = {
      {DataType::kUnknown, [](std::size_t) { return true; }},
      {DataType::kBool, [](std::size_t n) { return n == 1; }},
      {DataType::kUint8, [](std::size_t n) { return n == 1; }},
      {DataType::kInt8, [](std::size_t n) { return n == 1; }},
      {DataType::kUint16, [](std::size_t n) { return n == 2; }},
      {DataType::kInt16, [](std::size_t n) { return n == 2; }},
      {DataType::kUint32, [](std::size_t n) { return n == 4; }},
      {DataType::kInt32, [](std::size_t n) { return n == 4; }},
      {DataType::kEnum, [](std::size_t n) { return n == 1; }},
      {DataType::kFloat, [](std::size_t n) { return n == 4; }},
      {DataType::kString, [](std::size_t) { return true; }},
      {DataType::kTimeSeries, [](std::size_t n) { return n >= 4 && (n - 4) % 8 == 0; }},
      {DataType::kEventTable, [](std::size_t n) { return n >= 4 && (n - 4) % 20 == 0; }},
      {DataType::kBatteryModuleStatus, [](std::size_t n) { return n == 96; }},
      {DataType::kBatteryModuleStatistics, [](std::size_t n) { return n == 48; }},
      {DataType::kBatteryModuleResistance, [](std::size_t n) { return n == 96; }},
  };
  REQUIRE(std::size(rules) == std::size(kAllTypes));
  for (const Rule& rule : rules) {
    for (std::size_t n = 0; n <= 300; ++n) {
      INFO(rct::data_type_name(rule.type) << " with " << n << " bytes");
      const bool fits = rule.fits(n);
      REQUIRE(rct::payload_size_fits(rule.type, n) == fits);
      // A payload that does not fit (e.g. a truncated answer) is never decoded.
      const Bytes payload(n, 0x5A);
      auto decoded = rct::decode_value(rule.type, payload);
      CHECK(decoded.ok() == fits);
      if (!fits) CHECK(decoded.error() == ValueError::kWrongSize);
    }
  }
  // STRING payloads are bounded by what a long frame can carry.
  CHECK(rct::payload_size_fits(DataType::kString, 65531));
  CHECK_FALSE(rct::payload_size_fits(DataType::kString, 65532));
}

namespace {

template <typename T>
void check_integer_limits(DataType type) {
  using L = std::numeric_limits<T>;
  INFO(rct::data_type_name(type));
  for (T v : {L::min(), L::max(), T{0}, T{1}}) {
    const Value value(std::in_place_type<T>, v);
    auto encoded = rct::encode_value(type, value);
    REQUIRE(encoded.ok());
    CHECK(encoded->size() == sizeof(T));
    auto decoded = rct::decode_value(type, *encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == value);
    auto parsed = rct::parse_value(type, std::to_string(static_cast<long long>(v)));
    REQUIRE(parsed.ok());
    CHECK(*parsed == value);
  }
  const auto below = std::to_string(static_cast<long long>(L::min()) - 1);
  const auto above = std::to_string(static_cast<long long>(L::max()) + 1);
  INFO(below << " / " << above);
  auto r1 = rct::parse_value(type, below);
  REQUIRE_FALSE(r1.ok());
  CHECK(r1.error() == ValueError::kOutOfRange);
  auto r2 = rct::parse_value(type, above);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error() == ValueError::kOutOfRange);
}

}  // namespace

TEST_CASE("integer types cover their full range and reject one beyond it", "[value_codec]") {
  check_integer_limits<std::uint8_t>(DataType::kUint8);
  check_integer_limits<std::int8_t>(DataType::kInt8);
  check_integer_limits<std::uint16_t>(DataType::kUint16);
  check_integer_limits<std::int16_t>(DataType::kInt16);
  check_integer_limits<std::uint32_t>(DataType::kUint32);
  check_integer_limits<std::int32_t>(DataType::kInt32);
}

TEST_CASE("integers are big endian and two's complement on the wire", "[value_codec]") {
  struct Case {
    DataType type;
    const char* text;
    const char* hex;
  };
  const Case cases[] = {
      {DataType::kUint8, "255", "ff"},
      {DataType::kInt8, "-128", "80"},
      {DataType::kUint16, "4660", "1234"},
      {DataType::kUint16, "65535", "ffff"},
      {DataType::kInt16, "-2", "fffe"},
      {DataType::kUint32, "305419896", "12345678"},
      {DataType::kUint32, "4294967295", "ffffffff"},
      {DataType::kInt32, "-2147483648", "80000000"},
      {DataType::kEnum, "255", "ff"},
      {DataType::kBool, "true", "01"},
      {DataType::kBool, "false", "00"},
  };
  for (const Case& c : cases) {
    INFO(rct::data_type_name(c.type) << " " << c.text);
    check_encodes(c.type, c.text, c.hex);
    check_decodes(c.type, c.hex, c.text);
  }
}

TEST_CASE("every data type round-trips through encode and decode", "[value_codec]") {
  rct::BatteryModuleStatus status;
  rct::BatteryModuleResistance resistance;
  for (std::size_t i = 0; i < rct::kBatteryCells; ++i) {
    status.cells[i] = {static_cast<std::int8_t>(20 + static_cast<int>(i) - 30),
                       static_cast<std::uint16_t>(3200 + i), static_cast<std::uint8_t>(i)};
    resistance.raw[i] = static_cast<std::uint16_t>(0x0100 + 7 * i);
  }
  rct::BatteryModuleStatistics stats;
  stats.u_min = {3, 1700000000, 3.101f};
  stats.u_max = {17, 0, 3.452f};
  stats.t_min = {0, 1690000000, -12.5f};
  stats.t_max = {23, 4294967295u, 34.5f};

  const std::vector<std::pair<DataType, Value>> samples = {
      {DataType::kUnknown, Value(rct::RawBytes{{0x00, 0x2B, 0x2D, 0xFF}})},
      {DataType::kUnknown, Value(rct::RawBytes{})},
      {DataType::kBool, Value(true)},
      {DataType::kBool, Value(false)},
      {DataType::kUint8, Value(std::uint8_t{200})},
      {DataType::kInt8, Value(std::int8_t{-100})},
      {DataType::kUint16, Value(std::uint16_t{50000})},
      {DataType::kInt16, Value(std::int16_t{-30000})},
      {DataType::kUint32, Value(std::uint32_t{3000000000u})},
      {DataType::kInt32, Value(std::int32_t{-2000000000})},
      {DataType::kEnum, Value(rct::EnumValue{4})},
      {DataType::kFloat, Value(-1000.0f)},
      {DataType::kFloat, Value(std::numeric_limits<float>::denorm_min())},
      {DataType::kString, Value(std::string("PS 6.0 BA3L"))},
      {DataType::kString, Value(std::string("Gr\xC3\xBC\xC3\x9F"
                                            "e \xF0\x9F\x98\x80"))},
      {DataType::kString, Value(std::string())},
      {DataType::kBatteryModuleStatus, Value(status)},
      {DataType::kBatteryModuleStatistics, Value(stats)},
      {DataType::kBatteryModuleResistance, Value(resistance)},
  };
  for (const auto& [type, value] : samples) {
    INFO(rct::data_type_name(type) << " sample #" << value.index());
    auto encoded = rct::encode_value(type, value);
    REQUIRE(encoded.ok());
    CHECK(rct::payload_size_fits(type, encoded->size()));
    auto decoded = rct::decode_value(type, *encoded);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->index() == value.index());
    if (type == DataType::kBatteryModuleStatus || type == DataType::kBatteryModuleStatistics ||
        type == DataType::kBatteryModuleResistance) {
      // No operator== on these; equal encodings prove equal fields (floats bit for bit).
      auto again = rct::encode_value(type, *decoded);
      REQUIRE(again.ok());
      CHECK(*again == *encoded);
    } else {
      CHECK(*decoded == value);
    }
  }
}

TEST_CASE("float encoding keeps the bit pattern, including NaN payloads", "[value_codec]") {
  for (const char* hex : {"7fc00000", "7f800001", "ffc00000", "80000000", "7f800000"}) {
    INFO(hex);
    auto decoded = rct::decode_value(DataType::kFloat, rct::test::hex_bytes(hex));
    REQUIRE(decoded.ok());
    auto encoded = rct::encode_value(DataType::kFloat, *decoded);
    REQUIRE(encoded.ok());
    CHECK(rct::test::bytes_hex(*encoded) == hex);
  }
}

TEST_CASE("encode_value rejects a value of another type and response-only types", "[value_codec]") {
  CHECK(rct::encode_value(DataType::kUint16, Value(std::uint8_t{1})).error() ==
        ValueError::kWrongType);
  CHECK(rct::encode_value(DataType::kEnum, Value(std::uint8_t{1})).error() ==
        ValueError::kWrongType);
  CHECK(rct::encode_value(DataType::kUint8, Value(rct::EnumValue{1})).error() ==
        ValueError::kWrongType);
  CHECK(rct::encode_value(DataType::kFloat, Value(std::int32_t{1})).error() ==
        ValueError::kWrongType);
  CHECK(rct::encode_value(DataType::kString, Value(true)).error() == ValueError::kWrongType);
  CHECK(rct::encode_value(DataType::kUnknown, Value(std::string("x"))).error() ==
        ValueError::kWrongType);
  CHECK(rct::encode_value(DataType::kTimeSeries, Value(rct::TimeSeries{})).error() ==
        ValueError::kNotEncodable);
  CHECK(rct::encode_value(DataType::kEventTable, Value(rct::EventTable{})).error() ==
        ValueError::kNotEncodable);
  // A string longer than a long frame can carry.
  CHECK(rct::encode_value(DataType::kString, Value(std::string(65532, 'x'))).error() ==
        ValueError::kOutOfRange);
  CHECK(rct::encode_value(DataType::kString, Value(std::string(65531, 'x'))).ok());
}

TEST_CASE("every error has a message", "[value_codec]") {
  for (ValueError e : {ValueError::kWrongSize, ValueError::kOutOfRange, ValueError::kWrongType,
                       ValueError::kNotEncodable, ValueError::kSyntax}) {
    CHECK(rct::value_error_message(e).size() > 5);
    CHECK(rct::value_error_message(e) != "?");
  }
}

TEST_CASE("parse_value reads integer text", "[value_codec][parse]") {
  struct Case {
    DataType type;
    const char* text;
    std::optional<long long> value;  // nullopt: expect `error`
    ValueError error;
  };
  const Case cases[] = {
      {DataType::kUint32, "4294967295", 4294967295LL, {}},
      {DataType::kUint32, "0xFFFFFFFF", 4294967295LL, {}},
      {DataType::kUint32, "0x10", 16, {}},
      {DataType::kUint32, "0X1a", 26, {}},
      {DataType::kUint16, "+7", 7, {}},
      {DataType::kUint16, "-0", 0, {}},
      {DataType::kInt16, "-0x8000", -32768, {}},
      {DataType::kInt32, " 42\n", 42, {}},
      {DataType::kUint8, "007", 7, {}},
      {DataType::kUint8, "-1", std::nullopt, ValueError::kOutOfRange},
      {DataType::kUint8, "0x100", std::nullopt, ValueError::kOutOfRange},
      {DataType::kUint32, "-1", std::nullopt, ValueError::kOutOfRange},
      {DataType::kInt32, "99999999999999999999999999", std::nullopt, ValueError::kOutOfRange},
      {DataType::kInt32, "-99999999999999999999999999", std::nullopt, ValueError::kOutOfRange},
      {DataType::kInt32, "9223372036854775808", std::nullopt, ValueError::kOutOfRange},
      {DataType::kInt32, "", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "  ", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "-", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "0x", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "1.0", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "1e3", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "12abc", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "--1", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "+-1", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "1 2", std::nullopt, ValueError::kSyntax},
      {DataType::kInt32, "0xg", std::nullopt, ValueError::kSyntax},
      {DataType::kUint8, "ten", std::nullopt, ValueError::kSyntax},
      {DataType::kEnum, "256", std::nullopt, ValueError::kOutOfRange},
      {DataType::kEnum, "-1", std::nullopt, ValueError::kOutOfRange},
  };
  for (const Case& c : cases) {
    INFO(rct::data_type_name(c.type) << " '" << c.text << "'");
    auto r = rct::parse_value(c.type, c.text);
    if (!c.value) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error() == c.error);
      continue;
    }
    REQUIRE(r.ok());
    auto encoded = rct::encode_value(c.type, *r);
    REQUIRE(encoded.ok());
    auto decoded = rct::decode_value(c.type, *encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == *r);
    const long long got = std::visit(
        [](const auto& v) -> long long {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_integral_v<T>) return static_cast<long long>(v);
          return -12345;
        },
        *r);
    CHECK(got == *c.value);
  }
  auto e = rct::parse_value(DataType::kEnum, "4");
  REQUIRE(e.ok());
  CHECK(*e == Value(rct::EnumValue{4}));
}

TEST_CASE("parse_value reads float text and rounds to float32", "[value_codec][parse]") {
  struct Case {
    const char* text;
    const char* hex;  // nullptr: expect `error`
    ValueError error;
  };
  const Case cases[] = {
      {"0.5", "3f000000", {}},
      {"-1000", "c47a0000", {}},
      {"+2", "40000000", {}},
      {"1e-05", "3727c5ac", {}},
      {"2.5E2", "437a0000", {}},
      {".5", "3f000000", {}},
      {"inf", "7f800000", {}},
      {"-inf", "ff800000", {}},
      {"Infinity", "7f800000", {}},
      {"nan", "7fc00000", {}},
      {"NaN", "7fc00000", {}},
      {"-nan", "ffc00000", {}},
      {" 1.0\n", "3f800000", {}},
      {"-0", "80000000", {}},
      {"1e-400", "00000000", {}},  // underflows double: zero, as float('1e-400') is
      {"-1e-400", "80000000", {}},
      {"0.000000000000000000000000000000000000000000000000000001", "00000000", {}},
      {"3.4028235677973362e+38", "7f7fffff", {}},  // just below the rounding point
      {"-3.4028235677973362e+38", "ff7fffff", {}},
      {"3.4028235677973366e+38", nullptr, ValueError::kOutOfRange},  // rounds to infinity
      {"1e39", nullptr, ValueError::kOutOfRange},
      {"1e400", nullptr, ValueError::kOutOfRange},  // overflows double too
      {"-1e400", nullptr, ValueError::kOutOfRange},
      {"100000000000000000000000000000000000000000000", nullptr, ValueError::kOutOfRange},
      {"", nullptr, ValueError::kSyntax},
      {"abc", nullptr, ValueError::kSyntax},
      {"1.5V", nullptr, ValueError::kSyntax},
      {"1e", nullptr, ValueError::kSyntax},
      {"0x10", nullptr, ValueError::kSyntax},
      {"+-1", nullptr, ValueError::kSyntax},
      {"++1", nullptr, ValueError::kSyntax},
      {"1,5", nullptr, ValueError::kSyntax},
      {"infx", nullptr, ValueError::kSyntax},
  };
  for (const Case& c : cases) {
    INFO("'" << c.text << "'");
    auto r = rct::parse_value(DataType::kFloat, c.text);
    if (c.hex == nullptr) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error() == c.error);
      continue;
    }
    REQUIRE(r.ok());
    auto encoded = rct::encode_value(DataType::kFloat, *r);
    REQUIRE(encoded.ok());
    CHECK(rct::test::bytes_hex(*encoded) == c.hex);
  }
}

TEST_CASE("parse_value reads bools and strings and refuses structured types",
          "[value_codec][parse]") {
  for (const char* t : {"true", "TRUE", "True", "1", " true\n"}) {
    INFO(t);
    CHECK(rct::parse_value(DataType::kBool, t).value() == Value(true));
  }
  for (const char* t : {"false", "FALSE", "0"}) {
    INFO(t);
    CHECK(rct::parse_value(DataType::kBool, t).value() == Value(false));
  }
  for (const char* t : {"", "yes", "2", "on", "truee", "01"}) {
    INFO(t);
    CHECK(rct::parse_value(DataType::kBool, t).error() == ValueError::kSyntax);
  }
  // Strings are taken as they are, whitespace included.
  CHECK(rct::parse_value(DataType::kString, " a b ").value() == Value(std::string(" a b ")));
  CHECK(rct::parse_value(DataType::kString, "").value() == Value(std::string()));
  for (DataType t : {DataType::kUnknown, DataType::kTimeSeries, DataType::kEventTable,
                     DataType::kBatteryModuleStatus, DataType::kBatteryModuleStatistics,
                     DataType::kBatteryModuleResistance}) {
    INFO(rct::data_type_name(t));
    CHECK(rct::parse_value(t, "1").error() == ValueError::kNotEncodable);
  }
}

TEST_CASE("strings decode up to the first NUL and never fail on content", "[value_codec]") {
  struct Case {
    const char* hex;
    std::string text;
  };
  const Case cases[] = {
      {"", ""},
      {"414243", "ABC"},
      {"41420043", "AB"},
      {"00ff", ""},
      {"e282ac", "\xE2\x82\xAC"},                        // € kept
      {"f09f9880", "\xF0\x9F\x98\x80"},                  // 4-byte sequence kept
      {"48e9", "H\xC3\xA9"},                             // ISO-8859-1 é
      {"c080", "\xC3\x80\xC2\x80"},                      // overlong: two Latin-1 bytes
      {"eda080", "\xC3\xAD\xC2\xA0\xC2\x80"},            // UTF-16 surrogate is not UTF-8
      {"f4908080", "\xC3\xB4\xC2\x90\xC2\x80\xC2\x80"},  // above U+10FFFF
      {"e282", "\xC3\xA2\xC2\x82"},                      // truncated sequence
      {"e28200ac", "\xC3\xA2\xC2\x82"},                  // sequence cut by the NUL
      {"c3", "\xC3\x83"},                                // lone lead byte
      {"bf41",
       "\xC2\xBF"
       "A"},  // lone continuation byte
      {"ff", "\xC3\xBF"},
  };
  for (const Case& c : cases) {
    INFO(c.hex);
    auto decoded = rct::decode_value(DataType::kString, rct::test::hex_bytes(c.hex));
    REQUIRE(decoded.ok());
    CHECK(std::get<std::string>(*decoded) == c.text);
  }
}
