#pragma once

#include <string>

namespace rct {

// How a number becomes text. There is one function per purpose, and each states its rule; pick by
// where the text goes, never by what looks right for one value.

// An MQTT value payload (state and setting topics, bridge figures): plain decimal, never exponent
// notation (Home Assistant templates and Node-RED parse it as a number), and "-0" is "0". A value
// that came from a FLOAT on the wire (`from_float`) gets the fewest fraction digits that read back
// as the same float32 ("29.6", not "29.600000381469727"); any other the fewest that read back as
// the same double. Beyond the digits a type holds, the integer part is spelled out exactly
// (FLT_MAX is 39 digits). The value must be finite.
std::string payload_number(double v, bool from_float);

// A number in configuration text (the config dump, messages about the file): the shortest text
// that reads back as the same double, as std::to_chars picks it: "1.5", "10", "1e-05", "1e+100".
std::string config_number(double v);

// A sample value in the Prometheus text exposition (docs/metrics.md): the shortest text that
// reads back as the same double, "NaN", "+Inf" and "-Inf" as the format spells them.
std::string metric_number(double v);

// Output that people compare with the Python tools (rctclient values and CSV): Python's
// repr(float), the shortest round-trip digits laid out as Python does: "0.29985150694847107",
// "1e-05", "3.4028234663852886e+38", "1.0", "-0.0", "inf", "nan".
std::string python_repr(double v);

// A setting value in a write's messages and read-back text: fixed notation with `decimals`
// digits, trailing zeros and a bare point removed, never "-0" ("7", "0.25", "-1.5"). A value too
// long for fixed notation (1e100) falls back to config_number().
std::string fixed_number(double v, int decimals);

// A number in a log line or a CLI message for people, such as a duration in seconds: six
// significant digits as printf's %g ("2", "0.25", "1.5e+06").
std::string human_number(double v);

}  // namespace rct
