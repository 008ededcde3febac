#pragma once

#include <string>

#include "core/value.h"

namespace rct::cli {

// A value as `rctclient` prints it on stdout, like the Python tool: floats as Python's
// repr(float), integers in decimal, booleans true/false, strings as they are, raw bytes as hex,
// time series and event tables as CSV lines, battery data as JSON.
std::string value_text(const Value& value);

}  // namespace rct::cli
