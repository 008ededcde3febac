#include "tools/rctclient/value_text.h"

#include "core/hex.h"
#include "core/json/value_json.h"
#include "core/number_text.h"

namespace rct::cli {
namespace {

std::string csv(const TimeSeries& ts) {
  std::string out = "timestamp,value\n";
  for (const TimeSeriesPoint& p : ts.points) {
    out += std::to_string(p.timestamp) + "," + python_repr(p.value) + "\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string csv(const EventTable& table) {
  std::string out = "type,timestamp,element2,element3,element4\n";
  for (const EventEntry& e : table.entries) {
    out += std::to_string(e.type) + "," + std::to_string(e.timestamp) + "," +
           std::to_string(e.element2) + "," + std::to_string(e.element3) + "," +
           std::to_string(e.element4) + "\n";
  }
  out.pop_back();
  return out;
}

}  // namespace

std::string value_text(const Value& value) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, float>) {
          return python_repr(v);
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          return std::to_string(v.value);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, RawBytes>) {
          return to_hex(v.bytes);
        } else if constexpr (std::is_same_v<T, TimeSeries> || std::is_same_v<T, EventTable>) {
          return csv(v);
        } else if constexpr (std::is_arithmetic_v<T>) {
          return std::to_string(v);
        } else {
          return value_to_json(value).dump();
        }
      },
      value);
}

}  // namespace rct::cli
