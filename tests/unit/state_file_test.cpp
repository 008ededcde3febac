#include "daemon/state_file.h"

#include <stdlib.h>  // mkdtemp

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/persistent_state.h"
#include "tests/support/catch.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using rct::daemon::PersistentState;

namespace {

using rct::test::TempDir;

PersistentState sample() {
  PersistentState s;
  auto& a = s.inverters["0123456789"];
  a.totals = {{0xB1EF67CE, 12345678.25}, {0x44D4C533, 0.1 + 0.2}, {0xC0DF2978, 150}};
  rct::daemon::AnnouncedDiscovery d;
  d.mode = rct::DiscoveryMode::kDevice;
  d.topics = {"homeassistant/device/rct2mqtt_0123456789/config",
              "homeassistant/device/rct2mqtt_0123456789_part2/config"};
  d.devices = {{d.topics[0], {{"battery_soc", "sensor"}}, {{"old", "sensor"}}},
               {d.topics[1], {{"pv_a_connected", "binary_sensor"}}, {}}};
  a.discovery = d;
  auto& b = s.inverters["second"];
  b.totals = {{0x62FBE7DC, 1.0}};
  rct::daemon::AnnouncedDiscovery e;
  e.mode = rct::DiscoveryMode::kEntity;
  e.topics = {"homeassistant/sensor/x/config", "homeassistant/sensor/y/config"};
  e.components = {{"x", "sensor"}, {"y", "sensor"}};
  b.discovery = e;
  rct::daemon::BatteryModeRecord modes;
  modes.user_soc_min = 10;
  modes.charge_target = 80;
  modes.charge_power = 3000;
  modes.mode = "charge";
  modes.commanded = true;
  modes.since = "2026-12-04T20:00:00.000Z";
  b.battery_mode = modes;
  s.inverters["third"];  // nothing known yet
  return s;
}

}  // namespace

TEST_CASE("the state survives a round trip through a real file", "[state_file]") {
  TempDir dir;
  const fs::path file = dir.path() / std::string(rct::daemon::kStateFileName);
  const PersistentState state = sample();
  REQUIRE(rct::daemon::save_state_file(file, state).ok());
  CHECK_FALSE(fs::exists(file.string() + ".tmp"));
  const auto loaded = rct::daemon::load_state_file(file);
  REQUIRE(loaded.ok());
  CHECK(loaded.value() == state);  // doubles bit-exact, e.g. 0.1 + 0.2
  // Device mode keeps its components in the devices alone, yet the file lists them all as before.
  std::ifstream in(file);
  const auto json = nlohmann::json::parse(in);
  CHECK(json["inverters"]["0123456789"]["discovery"]["components"] ==
        nlohmann::json{{"battery_soc", "sensor"}, {"pv_a_connected", "binary_sensor"}});

  // Saving again replaces the file as a whole.
  PersistentState next = state;
  next.inverters["0123456789"].totals[0xB1EF67CE] = 12345999.0;
  next.inverters.erase("second");
  REQUIRE(rct::daemon::save_state_file(file, next).ok());
  const auto reloaded = rct::daemon::load_state_file(file);
  REQUIRE(reloaded.ok());
  CHECK(reloaded.value() == next);
}

TEST_CASE("a missing state file is a first start, a broken one an error", "[state_file]") {
  TempDir dir;
  const auto missing = rct::daemon::load_state_file(dir.path() / "state.json");
  REQUIRE(missing.ok());
  CHECK(missing.value().inverters.empty());

  const fs::path broken = dir.path() / "broken.json";
  std::ofstream(broken) << "{\"version\": 1, \"inverters\": {\"x\": {\"totals\": {";
  const auto b = rct::daemon::load_state_file(broken);
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().find("broken.json") != std::string::npos);

  const fs::path future = dir.path() / "future.json";
  std::ofstream(future) << "{\"version\": 2, \"inverters\": {}}";
  const auto f = rct::daemon::load_state_file(future);
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().find("version") != std::string::npos);

  const auto unwritable =
      rct::daemon::save_state_file(dir.path() / "no" / "dir" / "s.json", PersistentState{});
  REQUIRE_FALSE(unwritable.ok());
  CHECK(unwritable.error().find("cannot create") != std::string::npos);
}

TEST_CASE("implausible totals in a state file are dropped, bad OIDs rejected", "[state_file]") {
  const auto parsed = rct::daemon::state_from_json(
      R"({"version": 1, "inverters": {"s": {"totals": {"0xB1EF67CE": -5, "0x62FBE7DC": 0,
         "0xEFF4B537": "12", "0x44D4C533": 10.5}}}})");
  REQUIRE(parsed.ok());
  CHECK(parsed.value().inverters.at("s").totals == rct::daemon::CounterTotals{{0x44D4C533, 10.5}});
  CHECK_FALSE(rct::daemon::state_from_json(
                  R"({"version": 1, "inverters": {"s": {"totals": {"B1EF67CE": 5}}}})")
                  .ok());
  CHECK_FALSE(rct::daemon::state_from_json("[1, 2]").ok());
  // Text form: OIDs as 0x%08X, one key per inverter.
  const std::string text = rct::daemon::state_to_json(sample());
  CHECK(text.find("\"0xB1EF67CE\": 12345678.25") != std::string::npos);
  CHECK(text.find("\"version\": 1") != std::string::npos);
}

TEST_CASE("the state text comes a piece per inverter and reads as the whole tree's dump",
          "[state_file]") {
  // Pieces: the opening, one per inverter, the closing two.
  std::vector<std::string> pieces;
  rct::daemon::write_state_json(sample(), [&](std::string_view p) { pieces.emplace_back(p); });
  REQUIRE(pieces.size() == 3 + 3);
  CHECK(pieces[1].find("\"0123456789\": {") != std::string::npos);
  CHECK(pieces[1].find("\"second\"") == std::string::npos);
  CHECK(pieces[3].find("\"third\": {") != std::string::npos);
  // Put together, the text is exactly the pretty dump of one tree (the layout a reader of the
  // file has always seen), with or without inverters.
  std::string joined;
  for (const std::string& p : pieces) joined += p;
  CHECK(joined == rct::daemon::state_to_json(sample()));
  CHECK(joined == nlohmann::json::parse(joined).dump(2) + "\n");
  const std::string empty = rct::daemon::state_to_json(PersistentState{});
  CHECK(empty == nlohmann::json::parse(empty).dump(2) + "\n");
  CHECK(nlohmann::json::parse(empty) ==
        nlohmann::json{{"version", 1}, {"inverters", nlohmann::json::object()}});
}
