#include "core/number_text.h"

#include <limits>

#include "tests/support/catch.h"

using rct::config_number;
using rct::fixed_number;
using rct::human_number;
using rct::payload_number;
using rct::python_repr;

TEST_CASE("an MQTT payload of a float reading is the shortest text of the float32",
          "[number_text]") {
  CHECK(payload_number(static_cast<double>(0.296f) * 100, true) == "29.6");
  CHECK(payload_number(static_cast<double>(0.29985150694847107f), true) == "0.2998515");
  CHECK(payload_number(1234.5, true) == "1234.5");
  CHECK(payload_number(-17.25, true) == "-17.25");
}

TEST_CASE("an MQTT payload never uses exponent notation and never says -0", "[number_text]") {
  CHECK(payload_number(1e10, true) == "10000000000");
  CHECK(payload_number(0.00001, false) == "0.00001");
  // Fixed notation of a large float32 spells out its exact integer value.
  CHECK(payload_number(3.4028234663852886e+38, true) == "340282346638528859811704183484516925440");
  CHECK(payload_number(-0.0, true) == "0");
  CHECK(payload_number(-0.0, false) == "0");
  CHECK(payload_number(0.0, false) == "0");
}

TEST_CASE("an MQTT payload of a double keeps the digits of the double", "[number_text]") {
  CHECK(payload_number(0.1, false) == "0.1");
  CHECK(payload_number(123456.789, false) == "123456.789");
  CHECK(payload_number(4.2, false) == "4.2");
  // The same value as a float32 would round to 0.1f's shortest text, as a double it does not.
  CHECK(payload_number(static_cast<double>(0.1f), false) == "0.10000000149011612");
  CHECK(payload_number(static_cast<double>(0.1f), true) == "0.1");
}

TEST_CASE("a config number is the shortest text that reads back as the double", "[number_text]") {
  CHECK(config_number(1.5) == "1.5");
  CHECK(config_number(10) == "10");
  CHECK(config_number(0.25) == "0.25");
  CHECK(config_number(5.0) == "5");
  CHECK(config_number(1e-05) == "1e-05");
  CHECK(config_number(1e100) == "1e+100");
  CHECK(config_number(-0.5) == "-0.5");
}

TEST_CASE("Python-facing text is repr(float)", "[number_text]") {
  CHECK(python_repr(1.0) == "1.0");
  CHECK(python_repr(-0.0) == "-0.0");
  CHECK(python_repr(static_cast<double>(0.29985150694847107f)) == "0.29985150694847107");
  CHECK(python_repr(1e-05) == "1e-05");
  CHECK(python_repr(1e16) == "1e+16");
  CHECK(python_repr(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(python_repr(std::numeric_limits<double>::quiet_NaN()) == "nan");
}

TEST_CASE("a setting value has its decimals without trailing zeros and never -0", "[number_text]") {
  CHECK(fixed_number(7.0000000298, 2) == "7");
  CHECK(fixed_number(0.25, 2) == "0.25");
  CHECK(fixed_number(0.5, 6) == "0.5");
  CHECK(fixed_number(-1.5, 1) == "-1.5");
  CHECK(fixed_number(-0.0001, 2) == "0");
  CHECK(fixed_number(1234.0, 0) == "1234");
  CHECK(fixed_number(1e100, 6) == "1e+100");  // too long for fixed notation
}

TEST_CASE("text for people has six significant digits like %g", "[number_text]") {
  CHECK(human_number(2) == "2");
  CHECK(human_number(0.25) == "0.25");
  CHECK(human_number(2.5) == "2.5");
  CHECK(human_number(120) == "120");
  CHECK(human_number(1.5e6) == "1.5e+06");
  CHECK(human_number(1.0 / 3.0) == "0.333333");
}

TEST_CASE("a metric sample is the shortest round-trip text, with the format's NaN and Inf",
          "[number_text]") {
  using rct::metric_number;
  CHECK(metric_number(56.5) == "56.5");
  CHECK(metric_number(-1200) == "-1200");
  CHECK(metric_number(0.005) == "0.005");
  CHECK(metric_number(2097152) == "2097152");
  CHECK(metric_number(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(metric_number(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(metric_number(-std::numeric_limits<double>::infinity()) == "-Inf");
}
