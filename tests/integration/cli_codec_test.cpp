#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/catch.h"
#include "tests/support/process.h"
#include "tests/support/shared_dir.h"

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

TEST_CASE(
    "value decode --oid and frame decode decode the second tower's cells with the module "
    "layout, as the client does",
    "[cli]") {
  // 24 cells of 3318 mV at -10 °C (a signed temperature byte): battery_placeholder[0].cells[0],
  // typed as a string in the registry (core/layout_override.h).
  std::string status;
  for (int i = 0; i < 24; ++i) status += "f6f60c00";
  const auto check_cells = [](const json& j) {
    REQUIRE(j.contains("cells"));
    REQUIRE(j["cells"].size() == 24);
    CHECK(j["cells"][23]["voltage_mv"] == 3318);
    CHECK(j["cells"][23]["temperature_c"] == -10);
  };
  for (const std::string oid : {"battery_placeholder[0].cells[0]", "0x4D684EF2"}) {
    INFO(oid);
    auto r = rctclient({"value", "decode", "--oid", oid, status});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    check_cells(json::parse(r.out));
  }
  // Another size is no module status: the registry's type, a string.
  auto short_payload = rctclient({"value", "decode", "--json", "--oid", "0x4D684EF2", "4142"});
  REQUIRE(short_payload.exit_code == 0);
  CHECK(json::parse(short_payload.out) == json("AB"));
  // --type and --oid exclude each other; one of them is needed; unknown names are refused.
  CHECK(rctclient({"value", "decode", "--type", "string", "--oid", "0x4D684EF2", "41"}).exit_code ==
        1);
  CHECK(rctclient({"value", "decode", "41"}).exit_code == 1);
  CHECK(rctclient({"value", "decode", "--oid", "no.such.thing", "41"}).exit_code == 1);

  // The same payload in a device's response frame.
  auto frame = rctclient(
      {"frame", "encode", "--command", "RESPONSE", "--id", "0x4D684EF2", "--payload", status});
  INFO(frame.err);
  REQUIRE(frame.exit_code == 0);
  auto decoded = rctclient({"frame", "decode", frame.out.substr(0, frame.out.size() - 1)});
  REQUIRE(decoded.exit_code == 0);
  const auto lines = json_lines(decoded.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["name"] == "battery_placeholder[0].cells[0]");
  check_cells(lines[0]["value"]);
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

TEST_CASE("value decode --json prints every type as JSON; CSV stays the default", "[cli]") {
  const auto decode_json = [](const std::string& type, const std::string& hex) {
    auto r = rctclient({"value", "decode", "--json", "--type", type, hex});
    INFO(type << " " << r.err);
    REQUIRE(r.exit_code == 0);
    REQUIRE(std::count(r.out.begin(), r.out.end(), '\n') == 1);
    return json::parse(r.out);
  };
  CHECK(decode_json("bool", "02") == json(true));
  CHECK(decode_json("uint8", "ff") == json(255));
  CHECK(decode_json("int8", "f6") == json(-10));
  CHECK(decode_json("uint16", "ffff") == json(65535));
  CHECK(decode_json("int16", "fffe") == json(-2));
  CHECK(decode_json("uint32", "b2d05e00") == json(3000000000U));
  CHECK(decode_json("int32", "fffffc18") == json(-1000));
  CHECK(decode_json("enum", "04") == json(4));
  CHECK(decode_json("float", "3e97b191").get<double>() ==
        static_cast<double>(0.296276599168777466f));
  CHECK(decode_json("float", "7fc00000").is_null());  // NaN has no JSON form
  CHECK(decode_json("string", "505320362e300000") == json("PS 6.0"));
  CHECK(decode_json("unknown", "00ff2b") == json("00ff2b"));

  // docs/protocol.md §9.1: the echoed query time and three SOC samples.
  const std::string series = "6553f100 6553ef0c3f000000 6553f0383f051eb8 6553f1003f0ccccd";
  const json ts = decode_json("timeseries", series);
  CHECK(ts["timestamp"] == 1700000000);
  CHECK(ts["timestamp_iso"] == "2023-11-14T22:13:20+00:00");
  REQUIRE(ts["points"].size() == 3);
  CHECK(ts["points"][0]["timestamp"] == 1700000000 - 500);
  CHECK(ts["points"][0]["value"] == 0.5);
  CHECK(ts["points"][2]["bits"] == "3f0ccccd");
  auto csv = rctclient({"value", "decode", "--type", "timeseries", series});
  CHECK(csv.out ==
        "timestamp,value\n1699999500,0.5\n1699999800,0.5199999809265137\n"
        "1700000000,0.550000011920929\n");

  // docs/protocol.md §10.1: a parameter change and a grid loss.
  const std::string events =
      "6553f100 00000073 6553c9f0 8fc89b10 00000000 00000005"
      " 0000005a 6553a2e0 6553a344 00000003 00000000";
  const json table = decode_json("event_table", events);
  CHECK(table["timestamp"] == 1700000000);
  REQUIRE(table["entries"].size() == 2);
  CHECK(table["entries"][0]["type"] == 0x73);
  CHECK(table["entries"][0]["element2"] == 0x8FC89B10U);
  CHECK(table["entries"][0]["element4"] == 5);
  CHECK(table["entries"][1]["type"] == 0x5A);
  CHECK(table["entries"][1]["timestamp"] == 1699980000);
  CHECK(table["entries"][1]["element2"] == 1699980100);
  CHECK(table["entries"][1]["element3"] == 3);
  CHECK(rctclient({"value", "decode", "--type", "event_table", events})
            .out.starts_with("type,timestamp,element2,element3,element4\n115,1699990000,"));

  std::string status;
  std::string resistance;
  for (int i = 0; i < 24; ++i) {
    status += "19f60c00";
    resistance += i == 5 ? "01520000" : "01fb0000";
  }
  const json cells = decode_json("battery_module_status", status);
  REQUIRE(cells["cells"].size() == 24);
  CHECK(cells["cells"][23]["voltage_mv"] == 3318);
  CHECK(cells["cells"][23]["status"] == 0);

  // docs/protocol.md §8.9 example.
  const json stats = decode_json("battery_module_statistics",
                                 "00000000 46d25b62 23db4140 00000000 f163ab66 19045e40"
                                 " 00000000 baeea065 00009041 0e000000 1ba4e260 00002442");
  CHECK(stats["u_min"]["timestamp"] == 1650184774);
  CHECK(stats["u_min"]["bits"] == "4041db23");
  CHECK(stats["u_max"]["timestamp"] == 1722508273);
  CHECK(stats["t_min"]["value"] == 18.0);
  CHECK(stats["t_max"]["cell"] == 14);
  CHECK(stats["t_max"]["value"] == 41.0);

  const json resist = decode_json("battery_module_resistance", resistance);
  REQUIRE(resist["cells"].size() == 24);
  CHECK(resist["cells"][0]["raw"] == 507);
  CHECK(resist["cells"][0]["mohm"] == 1.98046875);
  CHECK(resist["cells"][5]["mohm"] == 1.3203125);

  auto bad = rctclient({"value", "decode", "--json", "--type", "timeseries", "6553f100 00"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.empty());
}

TEST_CASE("frame decode and encode handle a long frame of the largest length", "[cli]") {
  // A LONG_RESPONSE of android_description with a 65531-byte string: L = 0xFFFF.
  const std::string text(65531, 'A');
  std::string payload_hex;
  for (std::size_t i = 0; i < text.size(); ++i) payload_hex += "41";
  auto encoded = rctclient({"frame", "encode", "--command", "LONG_RESPONSE", "--id", "0xEBC62737",
                            "--payload", payload_hex});
  REQUIRE(encoded.exit_code == 0);
  CHECK(encoded.out.starts_with("2b06ffffebc62737"));
  auto decoded = rctclient({"frame", "decode", "-"}, encoded.out);
  REQUIRE(decoded.exit_code == 0);
  const auto lines = json_lines(decoded.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["outcome"] == "ok");
  CHECK(lines[0]["name"] == "android_description");
  CHECK(lines[0]["value"] == text);

  // One payload byte more does not fit the length field: refused with a message saying why.
  auto over = rctclient({"frame", "encode", "--command", "LONG_RESPONSE", "--id", "0xEBC62737",
                         "--payload", payload_hex + "41"});
  CHECK(over.exit_code == 1);
  CHECK(over.out.empty());
  CHECK(over.err.find("65531") != std::string::npos);
}

namespace {

std::string read_golden(const std::string& name) {
  std::ifstream in(rct::test::source_dir() / "tests" / "golden" / name, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("frame decode prints exactly the pinned lines for a sample capture", "[cli]") {
  // tests/golden/frame_decode_sample.hex: responses of every registry type (floats that print
  // as whole numbers, exponents, NaN and infinity; strings with quotes, control characters and
  // bytes that are no UTF-8; time series, event table, battery structures), requests, plant
  // frames, an unknown OID, a CRC mismatch, garbage, an invalid command byte and a frame cut
  // short at the end. The expected output is byte for byte what rctclient printed for it.
  const std::string hex = read_golden("frame_decode_sample.hex");
  const std::string expected = read_golden("frame_decode_sample.jsonl");
  auto piped = rctclient({"frame", "decode", "-"}, hex);
  REQUIRE(piped.exit_code == 0);
  CHECK(piped.out == expected);
  CHECK(piped.err.empty());
  auto argument = rctclient({"frame", "decode", hex.substr(0, hex.size() - 1)});
  REQUIRE(argument.exit_code == 0);
  CHECK(argument.out == expected);

  // The same bytes in upper case, split into lines of 32 digits and pairs joined by ':'.
  std::string spaced;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    spaced += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i])));
    spaced += static_cast<char>(std::toupper(static_cast<unsigned char>(hex[i + 1])));
    spaced += (i / 2) % 16 == 15 ? "\r\n" : ":";
  }
  auto reformatted = rctclient({"frame", "decode", "-"}, spaced);
  REQUIRE(reformatted.exit_code == 0);
  CHECK(reformatted.out == expected);
  auto chunked = rctclient({"frame", "decode", "--chunks", "1,2,3,5,7,11,13,17,19,23", "-"}, hex);
  REQUIRE(chunked.exit_code == 0);
  CHECK(chunked.out == expected);
}

TEST_CASE("frame decode refuses input that is no hex with exit 1 and one line", "[cli]") {
  for (const std::string input : {"2b0", "2b01zz", "2b01 0x04"}) {
    INFO(input);
    auto r = rctclient({"frame", "decode", "-"}, input);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err == "rctclient: HEX: not an even number of hex digits\n");
    CHECK(r.err.find("HEX: not an even number of hex digits") != std::string::npos);
  }
}
