#include "core/logger_codec.h"

#include <bit>

#include "core/byte_order.h"
#include "core/value_codec.h"

namespace rct {

TimeSeries decode_timeseries(std::span<const std::uint8_t> payload) {
  TimeSeries ts;
  ts.query_timestamp = load_be32(payload);
  const std::size_t n = (payload.size() - kLoggerHeaderSize) / kTimeSeriesPointSize;
  ts.points.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto record = payload.subspan(kLoggerHeaderSize + i * kTimeSeriesPointSize);
    ts.points.push_back({load_be32(record), std::bit_cast<float>(load_be32(record.subspan(4)))});
  }
  return ts;
}

EventTable decode_event_table(std::span<const std::uint8_t> payload) {
  EventTable table;
  table.query_timestamp = load_be32(payload);
  const std::size_t n = (payload.size() - kLoggerHeaderSize) / kEventEntrySize;
  table.entries.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto record = payload.subspan(kLoggerHeaderSize + i * kEventEntrySize);
    EventEntry e;
    e.type = load_be32(record);
    e.timestamp = load_be32(record.subspan(4));
    e.element2 = load_be32(record.subspan(8));
    e.element3 = load_be32(record.subspan(12));
    e.element4 = load_be32(record.subspan(16));
    table.entries.push_back(e);
  }
  return table;
}

std::vector<std::uint8_t> encode_timeseries(const TimeSeries& ts) {
  std::vector<std::uint8_t> out;
  out.reserve(kLoggerHeaderSize + ts.points.size() * kTimeSeriesPointSize);
  append_be32(out, ts.query_timestamp);
  for (const TimeSeriesPoint& p : ts.points) {
    append_be32(out, p.timestamp);
    append_be32(out, std::bit_cast<std::uint32_t>(p.value));
  }
  return out;
}

std::vector<std::uint8_t> encode_event_table(const EventTable& table) {
  std::vector<std::uint8_t> out;
  out.reserve(kLoggerHeaderSize + table.entries.size() * kEventEntrySize);
  append_be32(out, table.query_timestamp);
  for (const EventEntry& e : table.entries) {
    append_be32(out, e.type);
    append_be32(out, e.timestamp);
    append_be32(out, e.element2);
    append_be32(out, e.element3);
    append_be32(out, e.element4);
  }
  return out;
}

}  // namespace rct
