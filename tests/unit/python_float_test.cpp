#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <regex>
#include <string>

#include "core/number_text.h"
#include "tests/support/catch.h"
#include "tests/support/shared_dir.h"
#include "tests/support/tsv.h"

namespace {

// Inputs as hex-float literals (exact), expected text as CPython's repr() prints it.
struct ReprCase {
  double value;
  const char* repr;
};
const ReprCase kReprCases[] = {
    {0x0.0p+0, "0.0"},
    {-0x0.0p+0, "-0.0"},
    {0x1.0000000000000p+0, "1.0"},
    {-0x1.0000000000000p+0, "-1.0"},
    {0x1.999999999999ap-4, "0.1"},
    {0x1.0000000000000p-1, "0.5"},
    {0x1.5555555555555p-2, "0.3333333333333333"},
    {0x1.5555555555555p-1, "0.6666666666666666"},
    {0x1.9000000000000p+6, "100.0"},
    {0x1.c6bf526340000p+49, "1000000000000000.0"},
    {0x1.1c37937e08000p+53, "1e+16"},
    {0x1.1c37937e07fffp+53, "9999999999999998.0"},
    {0x1.c12218377de40p+46, "123456789012345.0"},
    {0x1.18b54f22aeb00p+50, "1234567890123456.0"},
    {0x1.5ee2a2eb5a5c4p+53, "1.2345678901234568e+16"},
    {0x1.b69b4ba630f35p+56, "1.2345678901234568e+17"},
    {0x1.a36e2eb1c432dp-14, "0.0001"},
    {0x1.4f8b588e368f1p-17, "1e-05"},
    {0x1.02e4b6ce5dc68p-13, "0.00012345"},
    {0x1.f75104d551d69p-17, "1.5e-05"},
    {0x0.0000000000001p-1022, "5e-324"},
    {0x1.0000000000000p-1022, "2.2250738585072014e-308"},
    {0x1.fffffffffffffp+1023, "1.7976931348623157e+308"},
    {0x1.fffffe0000000p+127, "3.4028234663852886e+38"},
    {0x1.0f0cf064dd592p+73, "1e+22"},
    {0x1.52d02c7e14af6p+76, "1e+23"},
    {0x1.edd2f1a9fbe77p+6, "123.456"},
    {-0x1.1126666666666p+8, "-273.15"},
    {0x1.fe185ca57c517p+78, "6.02214076e+23"},
    {0x1.3333333333333p-2, "0.3"},
    {0x1.0000000000000p+53, "9007199254740992.0"},
    {0x1.0000000000000p+60, "1.152921504606847e+18"},
    {0x1.249ad2594c37dp+332, "1e+100"},
    {0x1.8000000000000p+3, "12.0"},
    {0x1.34a0000000000p+10, "1234.5"},
    {0x1.0624dd2f1a9fcp-10, "0.001"},
    {0x1.ad7f29abcaf48p-24, "1e-07"},
    {0x1.1de784a000000p+28, "299792458.0"},
    {0x1.0624dd2f1a9fbp-10, "0.0009999999999999998"},
    {0x0.012688b70e62bp-1022, "1e-310"},
    {-0x1.01297d23ab683p-996, "-1.5e-300"},
    {0x1.1666666666666p+2, "4.35"},
    {0x1.a36e2eb1c432dp-16, "2.5e-05"},
    {0x1.86a0000000000p+16, "100000.0"},
    {0x1.330c460000000p-2, "0.29985150694847107"},
    {0x1.99999a0000000p-4, "0.10000000149011612"},
    {0x1.99999a0000000p-3, "0.20000000298023224"},
    {0x1.4f8b580000000p-17, "9.999999747378752e-06"},
    {0x1.921fa00000000p+1, "3.141590118408203"},
    {0x1.cc80000000000p+7, "230.25"},
    {0x1.2a05f20000000p+33, "10000000000.0"},
    {0x1.0000000000000p+24, "16777216.0"},
    {0x1.16c2000000000p-133, "9.99994610111476e-41"},
    {-0x1.abbdab7d97bb5p-15, "-5.099068856106258e-05"},
    {0x1.e8d40da01c586p+15, "62570.02661217288"},
    {-0x1.b6dec1fdf2324p+51, "-3860342642807186.0"},
    {0x1.2a493750a47c7p+75, "4.4019244064970614e+22"},
    {-0x1.6c327c11dbf3fp+36, "-97763442973.74706"},
    {0x1.5d6cb121645fcp+68, "4.0285910997916215e+20"},
    {-0x1.4e1bf9c4b81a0p+14, "-21382.99391448649"},
    {-0x1.7e6e3bcca3177p-24, "-8.904156274299019e-08"},
    {0x1.b9c95c9c08f6ap+13, "14137.17021948817"},
    {-0x1.02315c6809d42p+57, "-1.453496338871522e+17"},
    {0x1.2555117ca8428p+15, "37546.534154184454"},
    {-0x1.b4a9fac598773p+17, "-223571.9591551382"},
    {-0x1.58a5499f87f2cp+46, "-94735476187644.69"},
    {-0x1.1a77db7f6b1dcp+21, "-2313979.4372160267"},
    {-0x1.b6015ce6e8600p-19, "-3.2633939670157885e-06"},
    {0x1.1692032d81dc0p-36, "1.5834891711893502e-11"},
    {-0x1.7799a7417dd7fp+42, "-6452762445303.374"},
    {-0x1.771494eafba5bp+74, "-2.7676048384739724e+22"},
    {0x1.d6cc4dc2c3d90p-21, "8.769297255867314e-07"},
    {-0x1.dd4841c05d6e1p+75, "-7.043442861848947e+22"},
    {-0x1.f234d50b6bfe5p+42, "-8559120362927.974"},
    {0x1.2cdaba3bdd7cbp+41, "2584319653818.974"},
    {-0x1.b313902814ad4p+32, "-7299371048.080769"},
    {-0x1.2abc34d4e65a0p+48, "-328462805296730.0"},
    {-0x1.aa885a39b560cp+4, "-26.65828917066942"},
    {-0x1.6baf94e055834p-1, "-0.7103239559026009"},
    {-0x1.1675d739a594ep-7, "-0.008497934427663136"},
    {-0x1.01e802ed0cbe3p+29, "-540868701.6312221"},
    {0x1.b651c233367e1p+45, "60242155431631.76"},
    {-0x1.2a9c08bb7f03ap-27, "-8.690680500758866e-09"},
    {0x1.a9d2c60000000p+45, "58524713353216.0"},
    {0x1.1df87e0000000p+99, "7.080290913641969e+29"},
    {0x1.1a43460000000p+27, "147986992.0"},
    {0x1.1cbe6a0000000p+111, "2.887645241862913e+33"},
    {-0x1.305cb60000000p-58, "-4.1248763316095e-18"},
    {0x1.9bc9260000000p-71, "6.812423548290992e-22"},
    {-0x1.616ef60000000p+101, "-3.5002352642959105e+30"},
    {-0x1.efc37c0000000p+33, "-16635066368.0"},
    {0x1.df97c00000000p-121, "7.046982448387181e-37"},
    {-0x1.526e1a0000000p-5, "-0.041312266141176224"},
    {0x1.fb009c0000000p-111, "7.628523954939819e-34"},
    {0x1.6edd680000000p+15, "46958.703125"},
    {0x1.cd803e0000000p+123, "1.916999929887919e+37"},
    {0x1.0bb5ae0000000p-59, "1.8140713966214157e-18"},
    {0x1.4ebcc60000000p-104, "6.446807749252827e-32"},
    {0x1.f035920000000p-81, "8.016692946124393e-25"},
    {0x1.9c5fb00000000p-84, "8.327822152333889e-26"},
    {-0x1.c6e30e0000000p-125, "-4.1774767130265354e-38"},
    {-0x1.8337ae0000000p+118, "-5.0263705062036415e+35"},
    {0x1.c8b2d00000000p+105, "7.236676378964643e+31"},
};

double parse_double(const std::string& text) {
  double d = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  REQUIRE(ec == std::errc{});
  REQUIRE(ptr == text.data() + text.size());
  return d;
}

// The decimal exponent of the first significant digit of a finite, non-zero double.
int decimal_exponent(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v), std::chars_format::scientific);
  const std::string s(buf, r.ptr);
  return std::stoi(s.substr(s.find('e') + 1));
}

}  // namespace

TEST_CASE("python_repr prints what Python's repr prints", "[python_float]") {
  for (const ReprCase& c : kReprCases) {
    INFO("expected " << c.repr);
    CHECK(rct::python_repr(c.value) == c.repr);
  }
}

TEST_CASE("python_repr handles the non-finite values", "[python_float]") {
  CHECK(rct::python_repr(std::numeric_limits<double>::infinity()) == "inf");
  CHECK(rct::python_repr(-std::numeric_limits<double>::infinity()) == "-inf");
  CHECK(rct::python_repr(std::numeric_limits<double>::quiet_NaN()) == "nan");
  // Python prints every NaN as "nan", whatever its sign.
  CHECK(rct::python_repr(-std::numeric_limits<double>::quiet_NaN()) == "nan");
  CHECK(rct::python_repr(std::numeric_limits<double>::signaling_NaN()) == "nan");
}

TEST_CASE("python_repr round-trips and follows the layout rules on random doubles",
          "[python_float]") {
  const std::regex scientific_layout(R"(-?[1-9](\.[0-9]*[1-9])?e[+-][0-9]{2,3})");
  const std::regex positional_layout(R"(-?[0-9]+\.[0-9]+)");
  std::mt19937_64 rng(12345);
  int checked = 0;
  for (int i = 0; i < 50000; ++i) {
    // Random bit patterns cover every exponent; every 4th value is a widened float32.
    double v = std::bit_cast<double>(rng());
    if (i % 4 == 0) v = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (!std::isfinite(v)) continue;
    const std::string s = rct::python_repr(v);
    INFO(s);
    const double back = parse_double(s);
    REQUIRE(std::bit_cast<std::uint64_t>(back) == std::bit_cast<std::uint64_t>(v));
    const bool scientific = s.find('e') != std::string::npos;
    if (v != 0.0) {
      const int e = decimal_exponent(v);
      REQUIRE(scientific == (e < -4 || e >= 16));
    } else {
      REQUIRE_FALSE(scientific);
    }
    if (scientific) {
      // Mantissa "d" or "d.ddd", exponent sign and at least two digits.
      REQUIRE(std::regex_match(s, scientific_layout));
    } else {
      REQUIRE(std::regex_match(s, positional_layout));
    }
    ++checked;
  }
  CHECK(checked > 35000);
}

TEST_CASE("python_repr reproduces the float text of the reference vectors",
          "[python_float][vectors]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: reference float texts not checked");
    return;
  }
  const auto dir = *shared / "reference/vectors";
  int checked = 0;
  // values.tsv: every float text is Python's repr of a double (the widened float32 on decode rows).
  for (const auto& row : rct::test::read_tsv(dir / "values.tsv")) {
    if (row["data_type"] != "float" || row["value"].empty()) continue;
    INFO("values.tsv:" << row.line << ": " << row["value"]);
    CHECK(rct::python_repr(parse_double(row["value"])) == row["value"]);
    ++checked;
  }
  // The decoded JSON was written by Python's json module, which prints floats with repr().
  const std::regex number(R"re("(value|mohm)":(-?[0-9][0-9.e+-]*))re");
  for (const char* file : {"timeseries.tsv", "event_table.tsv", "battery.tsv"}) {
    for (const auto& row : rct::test::read_tsv(dir / file)) {
      const std::string& json = row["decoded_json"];
      for (auto it = std::sregex_iterator(json.begin(), json.end(), number);
           it != std::sregex_iterator(); ++it) {
        const std::string text = (*it)[2];
        INFO(file << ":" << row.line << ": " << text);
        CHECK(rct::python_repr(parse_double(text)) == text);
        ++checked;
      }
    }
  }
  CHECK(checked > 500);
}
