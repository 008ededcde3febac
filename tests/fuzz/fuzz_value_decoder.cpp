// libFuzzer target for the value codec. Input: the first byte selects the DataType, the rest is
// the payload. Decoding must never crash; a decoded value must survive encode + decode unchanged,
// and text that parse_value accepts must encode and decode back to the same value.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/data_type.h"
#include "core/device_string.h"
#include "core/value.h"
#include "core/value_codec.h"

namespace {

constexpr rct::DataType kTypes[] = {
    rct::DataType::kUnknown,
    rct::DataType::kBool,
    rct::DataType::kUint8,
    rct::DataType::kInt8,
    rct::DataType::kUint16,
    rct::DataType::kInt16,
    rct::DataType::kUint32,
    rct::DataType::kInt32,
    rct::DataType::kEnum,
    rct::DataType::kFloat,
    rct::DataType::kString,
    rct::DataType::kTimeSeries,
    rct::DataType::kEventTable,
    rct::DataType::kBatteryModuleStatus,
    rct::DataType::kBatteryModuleStatistics,
    rct::DataType::kBatteryModuleResistance,
};

void check(bool condition) {
  if (!condition) std::abort();
}

// Encoding of any decoded value; the logger types use their own factories.
std::vector<std::uint8_t> encode(rct::DataType type, const rct::Value& v) {
  if (type == rct::DataType::kTimeSeries)
    return rct::encode_timeseries(std::get<rct::TimeSeries>(v));
  if (type == rct::DataType::kEventTable) {
    return rct::encode_event_table(std::get<rct::EventTable>(v));
  }
  auto r = rct::encode_value(type, v);
  check(r.ok());
  return std::move(r).value();
}

bool is_valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(s.data());
  std::span<const std::uint8_t> bytes(p, s.size());
  while (!bytes.empty()) {
    const std::size_t n = rct::utf8_sequence_length(bytes);
    if (n == 0) return false;
    bytes = bytes.subspan(n);
  }
  return true;
}

// Types whose wire form holds nothing but the decoded fields: encode(decode(p)) == p.
bool encoding_is_exact(rct::DataType t) {
  switch (t) {
    case rct::DataType::kBool:                     // any non-zero byte is true
    case rct::DataType::kString:                   // NUL cut, ISO-8859-1 fallback
    case rct::DataType::kBatteryModuleResistance:  // padding bytes dropped
      return false;
    default:
      return true;
  }
}

void check_decode(rct::DataType type, std::span<const std::uint8_t> payload) {
  auto decoded = rct::decode_value(type, payload);
  check(decoded.ok() == rct::payload_size_fits(type, payload.size()));
  if (!decoded.ok()) {
    check(decoded.error() == rct::ValueError::kWrongSize);
    return;
  }
  if (type == rct::DataType::kString) {
    const auto& s = std::get<std::string>(*decoded);
    check(is_valid_utf8(s));
    check(s.find('\0') == std::string::npos);
    // ISO-8859-1 fallback can double the size beyond what a write may carry.
    if (!rct::payload_size_fits(type, s.size())) return;
  }
  const auto encoded = encode(type, *decoded);
  check(rct::payload_size_fits(type, encoded.size()));
  if (encoding_is_exact(type)) {
    check(std::equal(encoded.begin(), encoded.end(), payload.begin(), payload.end()));
  }
  // Second round: compare encodings, which compares floats bit for bit (NaN included).
  auto again = rct::decode_value(type, encoded);
  check(again.ok());
  check(encode(type, *again) == encoded);
  if (type == rct::DataType::kString) check(*again == *decoded);
}

void check_parse(rct::DataType type, std::string_view text) {
  auto parsed = rct::parse_value(type, text);
  if (!parsed.ok()) return;
  auto encoded = rct::encode_value(type, *parsed);
  check(encoded.ok());
  auto decoded = rct::decode_value(type, *encoded);
  check(decoded.ok());
  if (type == rct::DataType::kFloat) {
    // Bit for bit: parse_value yields a canonical NaN, so this holds for NaN as well.
    check(std::bit_cast<std::uint32_t>(std::get<float>(*decoded)) ==
          std::bit_cast<std::uint32_t>(std::get<float>(*parsed)));
  } else if (type != rct::DataType::kString) {
    // Strings may hold a NUL or non-UTF-8 bytes, which decoding does not give back.
    check(*decoded == *parsed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const rct::DataType type = kTypes[data[0] % std::size(kTypes)];
  const std::span<const std::uint8_t> payload(data + 1, size - 1);
  check_decode(type, payload);
  check_parse(type,
              std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()));
  return 0;
}
