#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "daemon/bridge_snapshot.h"

namespace rct::daemon {

// The bridge snapshot as the Prometheus text exposition format 0.0.4 (the body of GET /metrics,
// Content-Type kMetricsContentType): every family with its HELP and TYPE lines, counters ending
// in _total, the request latency as a histogram (_bucket{le}, _sum, _count), every published
// numeric value as rct2mqtt_value{serial,name,key,unit} and a few well-known values under names
// of their own. Names and labels: docs/metrics.md. Pure. `capacity` is reserved first: the
// caller's estimate of the length (e.g. the last text's, and a little more), so that a text of
// 0.7 MB (50 inverters) is written into one buffer instead of a chain of ever larger ones.
std::string render_metrics(const BridgeSnapshot& snapshot, std::size_t capacity = 0);

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value as the format quotes it: backslash, double quote and line feed escaped.
std::string escape_label_value(std::string_view value);

}  // namespace rct::daemon
