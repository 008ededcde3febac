#include "core/json/value_json.h"

#include <bit>
#include <cmath>
#include <cstdio>

#include "core/hex.h"
#include "core/json/iso_time.h"

namespace rct {
namespace {

using nlohmann::json;

json timestamp_fields(std::uint32_t ts, const char* key, const char* iso_key) {
  return json{{key, ts}, {iso_key, iso_time_utc(ts)}};
}

json to_json(const TimeSeries& ts) {
  json points = json::array();
  for (const TimeSeriesPoint& p : ts.points) {
    json point = timestamp_fields(p.timestamp, "timestamp", "timestamp_iso");
    point["value"] = float_to_json(p.value);
    point["bits"] = float_bits_hex(p.value);
    points.push_back(std::move(point));
  }
  json out = timestamp_fields(ts.query_timestamp, "timestamp", "timestamp_iso");
  out["points"] = std::move(points);
  return out;
}

json to_json(const EventTable& table) {
  json entries = json::array();
  for (const EventEntry& e : table.entries) {
    json entry = timestamp_fields(e.timestamp, "timestamp", "timestamp_iso");
    entry["type"] = e.type;
    entry["element2"] = e.element2;
    entry["element3"] = e.element3;
    entry["element4"] = e.element4;
    entries.push_back(std::move(entry));
  }
  json out = timestamp_fields(table.query_timestamp, "timestamp", "timestamp_iso");
  out["entries"] = std::move(entries);
  return out;
}

json to_json(const BatteryModuleStatus& s) {
  json cells = json::array();
  for (std::size_t i = 0; i < s.cells.size(); ++i) {
    cells.push_back({{"cell", i},
                     {"temperature_c", s.cells[i].temperature_c},
                     {"voltage_mv", s.cells[i].voltage_mv},
                     {"status", s.cells[i].status}});
  }
  return json{{"cells", std::move(cells)}};
}

json to_json(const CellExtreme& e) {
  json out{{"cell", e.cell}, {"value", float_to_json(e.value)}, {"bits", float_bits_hex(e.value)}};
  if (e.timestamp == 0) {
    out["timestamp"] = nullptr;
    out["timestamp_iso"] = nullptr;
  } else {
    out["timestamp"] = e.timestamp;
    out["timestamp_iso"] = iso_time_utc(e.timestamp);
  }
  return out;
}

json to_json(const BatteryModuleStatistics& s) {
  return json{{"u_min", to_json(s.u_min)},
              {"u_max", to_json(s.u_max)},
              {"t_min", to_json(s.t_min)},
              {"t_max", to_json(s.t_max)}};
}

json to_json(const BatteryModuleResistance& r) {
  json cells = json::array();
  for (std::size_t i = 0; i < r.raw.size(); ++i) {
    cells.push_back({{"cell", i}, {"raw", r.raw[i]}, {"mohm", r.raw[i] / 256.0}});
  }
  return json{{"cells", std::move(cells)}};
}

}  // namespace

json float_to_json(float v) {
  if (!std::isfinite(v)) return nullptr;
  return static_cast<double>(v);
}

std::string float_bits_hex(float v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(std::bit_cast<std::uint32_t>(v)));
  return buf;
}

json value_to_json(const Value& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, float>) {
          return float_to_json(v);
        } else if constexpr (std::is_same_v<T, EnumValue>) {
          return v.value;
        } else if constexpr (std::is_same_v<T, RawBytes>) {
          return to_hex(v.bytes);
        } else if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
          return v;
        } else {
          return to_json(v);
        }
      },
      value);
}

}  // namespace rct
