#include "core/battery_codec.h"

#include <bit>

#include "core/byte_order.h"

namespace rct {
namespace {

constexpr std::size_t kCellRecordSize = 4;
constexpr std::size_t kExtremeRecordSize = 12;

CellExtreme decode_extreme(std::span<const std::uint8_t> record) {
  CellExtreme e;
  e.cell = load_le32(record);
  e.timestamp = load_le32(record.subspan(4));
  e.value = std::bit_cast<float>(load_le32(record.subspan(8)));
  return e;
}

void append_extreme(std::vector<std::uint8_t>& out, const CellExtreme& e) {
  append_le32(out, e.cell);
  append_le32(out, e.timestamp);
  append_le32(out, std::bit_cast<std::uint32_t>(e.value));
}

}  // namespace

BatteryModuleStatus decode_battery_module_status(std::span<const std::uint8_t> payload) {
  BatteryModuleStatus s;
  for (std::size_t i = 0; i < kBatteryCells; ++i) {
    const auto record = payload.subspan(i * kCellRecordSize, kCellRecordSize);
    s.cells[i].temperature_c = static_cast<std::int8_t>(record[0]);  // 0xF6 = -10 °C
    s.cells[i].voltage_mv = load_le16(record.subspan(1));
    s.cells[i].status = record[3];
  }
  return s;
}

BatteryModuleStatistics decode_battery_module_statistics(std::span<const std::uint8_t> payload) {
  BatteryModuleStatistics s;
  s.u_min = decode_extreme(payload.subspan(0 * kExtremeRecordSize, kExtremeRecordSize));
  s.u_max = decode_extreme(payload.subspan(1 * kExtremeRecordSize, kExtremeRecordSize));
  s.t_min = decode_extreme(payload.subspan(2 * kExtremeRecordSize, kExtremeRecordSize));
  s.t_max = decode_extreme(payload.subspan(3 * kExtremeRecordSize, kExtremeRecordSize));
  return s;
}

BatteryModuleResistance decode_battery_module_resistance(std::span<const std::uint8_t> payload) {
  BatteryModuleResistance r;
  for (std::size_t i = 0; i < kBatteryCells; ++i) {
    r.raw[i] = load_be16(payload.subspan(i * kCellRecordSize, 2));
  }
  return r;
}

std::vector<std::uint8_t> encode_battery_module_status(const BatteryModuleStatus& status) {
  std::vector<std::uint8_t> out;
  out.reserve(kBatteryModuleStatusSize);
  for (const CellStatus& c : status.cells) {
    out.push_back(static_cast<std::uint8_t>(c.temperature_c));
    append_le16(out, c.voltage_mv);
    out.push_back(c.status);
  }
  return out;
}

std::vector<std::uint8_t> encode_battery_module_statistics(const BatteryModuleStatistics& stats) {
  std::vector<std::uint8_t> out;
  out.reserve(kBatteryModuleStatisticsSize);
  append_extreme(out, stats.u_min);
  append_extreme(out, stats.u_max);
  append_extreme(out, stats.t_min);
  append_extreme(out, stats.t_max);
  return out;
}

std::vector<std::uint8_t> encode_battery_module_resistance(const BatteryModuleResistance& r) {
  std::vector<std::uint8_t> out;
  out.reserve(kBatteryModuleResistanceSize);
  for (std::uint16_t raw : r.raw) {
    append_be16(out, raw);
    out.push_back(0);
    out.push_back(0);
  }
  return out;
}

}  // namespace rct
