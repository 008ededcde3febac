#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/catch.h"
#include "tests/support/process.h"

using nlohmann::json;
using rct::test::run_process;

namespace {

rct::test::RunResult rctclient(std::vector<std::string> args, const std::string& input = {}) {
  args.insert(args.begin(), RCTCLIENT_PATH);
  return run_process(args, input);
}

std::vector<json> json_lines(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(json::parse(line));
  return out;
}

}  // namespace

TEST_CASE("frame decode prints one JSON object per outcome with the decoded value", "[cli]") {
  // Real device answer for battery.soc with the leading 00, then a READ for it.
  auto r = rctclient({"frame", "decode", "002b0508959930bf3e97b1919c862b0104959930bf0d65"});
  REQUIRE(r.exit_code == 0);
  auto lines = json_lines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["outcome"] == "ok");
  CHECK(lines[0]["consumed"] == 14);
  CHECK(lines[0]["command"] == "RESPONSE");
  CHECK(lines[0]["address"].is_null());
  CHECK(lines[0]["oid"] == "0x959930BF");
  CHECK(lines[0]["name"] == "battery.soc");
  CHECK(lines[0]["payload"] == "3e97b191");
  CHECK(lines[0]["value"].get<double>() == static_cast<double>(0.296276599168777466f));
  CHECK(lines[1]["command"] == "READ");
  CHECK(lines[1]["value"].is_null());
}

TEST_CASE("frame decode gives the same outcomes for any chunking", "[cli]") {
  const std::string stream = "2b0104959930bf0d6541542b0d2b3ce12b0104959930bf0d65";
  auto whole = rctclient({"frame", "decode", stream});
  auto split = rctclient({"frame", "decode", "--chunks", "1,1,1,3,5,2,2,1", stream});
  REQUIRE(whole.exit_code == 0);
  REQUIRE(split.exit_code == 0);
  CHECK(json_lines(whole.out) == json_lines(split.out));
  auto lines = json_lines(whole.out);
  REQUIRE(lines.size() >= 3);
  std::size_t consumed = 0;
  for (const json& l : lines) consumed += l["consumed"].get<std::size_t>();
  CHECK(consumed == stream.size() / 2);
}

TEST_CASE("frame decode reads hex from standard input and reports a cut frame", "[cli]") {
  auto r = rctclient({"frame", "decode", "-"}, "2b050cd876a4acf0\n");
  REQUIRE(r.exit_code == 0);
  auto lines = json_lines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["outcome"] == "incomplete");
  CHECK(lines[0]["consumed"] == 8);
}

TEST_CASE("frame encode prints the escaped wire bytes", "[cli]") {
  auto r = rctclient({"frame", "encode", "--command", "READ", "--id", "0xDB2D69AE"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2b0104db2d2d69ae55ab\n");
  auto plant = rctclient({"frame", "encode", "--command", "PLANT_READ", "--id", "0x959930BF",
                          "--address", "0x12345678"});
  CHECK(plant.exit_code == 0);
  CHECK(plant.out == "2b410812345678959930bfd2cd\n");
}

TEST_CASE("frame encode refuses what cannot be encoded with exit 1 and one line", "[cli]") {
  auto r = rctclient({"frame", "encode", "--command", "WRITE", "--id", "0x959930BF", "--payload",
                      std::string(252 * 2, 'a')});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  CHECK(rctclient({"frame", "encode", "--command", "NOPE", "--id", "0x1"}).exit_code == 1);
  CHECK(rctclient({"frame", "encode", "--command", "READ", "--id", "zz"}).exit_code == 1);
}

TEST_CASE("value decode and encode print values and payloads", "[cli]") {
  CHECK(rctclient({"value", "decode", "--type", "float", "3e97b191"}).out ==
        "0.29627659916877747\n");
  CHECK(rctclient({"value", "decode", "--type", "uint8", "ff"}).out == "255\n");
  CHECK(rctclient({"value", "encode", "--type", "uint16", "65535"}).out == "ffff\n");
  CHECK(rctclient({"value", "encode", "--type", "int16", "--", "-2"}).out == "fffe\n");
  CHECK(rctclient({"value", "encode", "--type", "uint32", "3000000000"}).out == "b2d05e00\n");
  auto bad = rctclient({"value", "decode", "--type", "float", "3e97b1"});
  CHECK(bad.exit_code == 1);
  CHECK_FALSE(bad.err.empty());
  CHECK(rctclient({"value", "encode", "--type", "uint8", "256"}).exit_code == 1);
  CHECK(rctclient({"value", "decode", "--type", "nosuchtype", "00"}).exit_code == 1);
}

TEST_CASE("value decode prints structured types as JSON", "[cli]") {
  std::string status;
  for (int i = 0; i < 24; ++i) status += "19f60c00";
  auto r = rctclient({"value", "decode", "--type", "battery_module_status", status});
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  CHECK(j["cells"].size() == 24);
  CHECK(j["cells"][0]["voltage_mv"] == 3318);
  CHECK(j["cells"][0]["temperature_c"] == 25);
}

TEST_CASE("registry list and show describe objects", "[cli]") {
  auto all = rctclient({"registry", "list"});
  REQUIRE(all.exit_code == 0);
  CHECK(std::count(all.out.begin(), all.out.end(), '\n') == 895);
  auto battery = rctclient({"registry", "list", "--group", "battery", "--json"});
  REQUIRE(battery.exit_code == 0);
  json list = json::parse(battery.out);
  REQUIRE_FALSE(list.empty());
  for (const json& o : list) CHECK(o["group"] == "battery");
  auto by_name = rctclient({"registry", "show", "battery.soc", "--json"});
  auto by_id = rctclient({"registry", "show", "0x959930BF", "--json"});
  REQUIRE(by_name.exit_code == 0);
  CHECK(by_name.out == by_id.out);
  CHECK(json::parse(by_name.out)["response_type"] == "float");
  CHECK(rctclient({"registry", "show", "no.such.thing"}).exit_code == 1);
  CHECK(rctclient({"registry", "list", "--group", "nosuchgroup"}).exit_code == 1);
}
