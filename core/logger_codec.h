#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/value.h"

namespace rct {

// Payloads of the logger answers: TIMESERIES (docs/protocol.md §8.7, §9) and EVENT_TABLE
// (docs/protocol.md §8.8, §10). Both start with the echoed query timestamp; all fields are big
// endian. The decoders expect a size that payload_size_fits() accepted and keep every record in
// payload order (the reference collapses repeated timestamps and returns the last entry's time; we
// do neither). The encoders, encode_timeseries() and encode_event_table(), are declared in
// core/value_codec.h.
inline constexpr std::size_t kLoggerHeaderSize = 4;
inline constexpr std::size_t kTimeSeriesPointSize = 8;
inline constexpr std::size_t kEventEntrySize = 20;

TimeSeries decode_timeseries(std::span<const std::uint8_t> payload);
// Entry types above 0xFF are kept as sent; only the low byte carries meaning
// (docs/protocol.md §10.2).
EventTable decode_event_table(std::span<const std::uint8_t> payload);

}  // namespace rct
