#pragma once

#include <string>

namespace rct {

// The shortest text that round-trips `v`, laid out as Python's repr(float) does:
// "0.29985150694847107", "1e-05", "3.4028234663852886e+38", "1.0", "-0.0", "inf", "nan".
// Used wherever we print a float for people or JSON consumers that compare with Python tools.
std::string format_double(double v);

}  // namespace rct
