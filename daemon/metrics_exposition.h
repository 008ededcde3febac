#pragma once

#include <string>
#include <string_view>

#include "daemon/bridge_snapshot.h"

namespace rct::daemon {

// The bridge snapshot as the Prometheus text exposition format 0.0.4 (the body of GET /metrics,
// Content-Type kMetricsContentType): every family with its HELP and TYPE lines, counters ending
// in _total, the request latency as a histogram (_bucket{le}, _sum, _count), every published
// numeric value as rct2mqtt_value{serial,name,key,unit} and a few well-known values under names
// of their own. Names and labels: docs/metrics.md. Pure.
std::string render_metrics(const BridgeSnapshot& snapshot);

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value as the format quotes it: backslash, double quote and line feed escaped.
std::string escape_label_value(std::string_view value);

}  // namespace rct::daemon
