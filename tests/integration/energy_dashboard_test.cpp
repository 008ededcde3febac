// docs/energy-dashboard.md against what the real rct2mqtt publishes for the simulator: every
// entity its mapping table names exists in the Home Assistant discovery with the device class,
// state class, unit and default enablement the table states, and the enabled ones get numbers.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using namespace rct::test::e2e;
using nlohmann::json;

namespace {

struct DashboardRow {
  std::string field;
  std::string entity_id;  // with "<serial>" as written in the page
  std::string device_class;
  std::string state_class;
  std::string unit;
  bool enabled = true;
};

std::string trim_cell(std::string s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(' ');
  s = s.substr(first, last - first + 1);
  if (s.size() >= 2 && s.front() == '`' && s.back() == '`') s = s.substr(1, s.size() - 2);
  return s == "–" ? "" : s;
}

std::vector<std::string> table_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t at = 1;
  for (std::size_t bar; (bar = line.find('|', at)) != std::string::npos; at = bar + 1) {
    cells.push_back(trim_cell(line.substr(at, bar - at)));
  }
  return cells;
}

// The rows of the page's table that starts with a "| Dashboard field |" header.
std::vector<DashboardRow> dashboard_rows() {
  const auto path = std::filesystem::path(RCT_SOURCE_DIR) / "docs/energy-dashboard.md";
  std::ifstream in(path);
  REQUIRE(in);
  std::vector<DashboardRow> rows;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| Dashboard field |", 0) == 0) {
      const auto header = table_cells(line);
      REQUIRE(header == std::vector<std::string>{"Dashboard field", "Entity id", "Device class",
                                                 "State class", "Unit", "Enabled"});
      in_table = true;
      continue;
    }
    if (!in_table) continue;
    if (line.rfind("|---", 0) == 0) continue;
    if (line.rfind('|', 0) != 0) break;
    const auto cells = table_cells(line);
    REQUIRE(cells.size() == 6);
    REQUIRE((cells[5] == "yes" || cells[5] == "no"));
    rows.push_back({cells[0], cells[1], cells[2], cells[3], cells[4], cells[5] == "yes"});
  }
  return rows;
}

// A discovery field under its full name or Home Assistant's abbreviation.
const json* discovery_field(const json& j, const char* full, const char* abbreviated) {
  if (auto it = j.find(full); it != j.end()) return &*it;
  if (auto it = j.find(abbreviated); it != j.end()) return &*it;
  return nullptr;
}

std::string text_field(const json& j, const char* full, const char* abbreviated) {
  const json* v = discovery_field(j, full, abbreviated);
  return v != nullptr && v->is_string() ? v->get<std::string>() : "";
}

// Every entity of the latest discovery messages, by default_entity_id; device messages carry a
// components map, entity messages are the entity itself (docs/mqtt.md §6.1).
std::map<std::string, json> discovered_entities(const std::vector<Line>& lines) {
  std::map<std::string, json> latest_by_topic;
  for (const Line& l : lines) {
    if (l.topic.rfind("homeassistant/", 0) != 0 || l.payload == "(null)") continue;
    json j = json::parse(l.payload, nullptr, false);
    if (!j.is_discarded()) latest_by_topic[l.topic] = std::move(j);
  }
  std::map<std::string, json> out;
  for (const auto& [topic, payload] : latest_by_topic) {
    const json* components = discovery_field(payload, "components", "cmps");
    if (components != nullptr) {
      for (const auto& [key, component] : components->items()) {
        json entity = component;
        // A base topic ("~") given once for the device applies to every component.
        if (payload.contains("~") && !entity.contains("~")) entity["~"] = payload["~"];
        const std::string id = text_field(entity, "default_entity_id", "def_ent_id");
        if (!id.empty()) out[id] = std::move(entity);
      }
      continue;
    }
    const std::string id = text_field(payload, "default_entity_id", "def_ent_id");
    if (!id.empty()) out[id] = payload;
  }
  return out;
}

// The state topic with a leading "~" expanded to the base topic.
std::string entity_state_topic(const json& entity) {
  std::string topic = text_field(entity, "state_topic", "stat_t");
  if (topic.rfind('~', 0) == 0 && entity.contains("~")) {
    topic.replace(0, 1, entity["~"].get<std::string>());
  }
  return topic;
}

std::string with_serial(std::string entity_id, const std::string& serial) {
  const std::string placeholder = "<serial>";
  const auto at = entity_id.find(placeholder);
  if (at != std::string::npos) entity_id.replace(at, placeholder.size(), serial);
  return entity_id;
}

}  // namespace

TEST_CASE("every entity of the Energy dashboard page is published with its stated classes",
          "[daemon][e2e][energy]") {
  const std::vector<DashboardRow> rows = dashboard_rows();
  // Grid in/out, solar, battery in/out, their power sensors, SOC and capacity.
  REQUIRE(rows.size() >= 10);

  World w;
  auto daemon = w.start();
  REQUIRE(w.sub->wait_line("rct2mqtt/bridge/status", "online", 15s));
  const std::string serial = serial_of(*w.sub);

  // Discovery grows as the inventory learns which hardware exists: wait for the whole table.
  std::map<std::string, json> entities;
  const auto all_there = [&] {
    entities = discovered_entities(w.sub->lines());
    for (const DashboardRow& row : rows) {
      if (!entities.contains(with_serial(row.entity_id, serial))) return false;
    }
    return true;
  };
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool complete = all_there();
  while (!complete && std::chrono::steady_clock::now() < deadline) {
    w.sub->pump(500ms);
    complete = all_there();
  }

  for (const DashboardRow& row : rows) {
    const std::string id = with_serial(row.entity_id, serial);
    INFO(row.field << ": " << id);
    const auto it = entities.find(id);
    REQUIRE(it != entities.end());
    const json& e = it->second;
    CHECK(id.rfind("sensor.", 0) == 0);
    CHECK(text_field(e, "device_class", "dev_cla") == row.device_class);
    CHECK(text_field(e, "state_class", "stat_cla") == row.state_class);
    CHECK(text_field(e, "unit_of_measurement", "unit_of_meas") == row.unit);
    const json* enabled = discovery_field(e, "enabled_by_default", "en");
    CHECK((enabled == nullptr || enabled->get<bool>()) == row.enabled);
    CHECK_FALSE(entity_state_topic(e).empty());
  }
  CHECK(complete);

  // The enabled entities get numeric states on their state topics.
  for (const DashboardRow& row : rows) {
    if (!row.enabled) continue;
    const json& e = entities.at(with_serial(row.entity_id, serial));
    const std::string topic = entity_state_topic(e);
    INFO(row.field << ": " << topic);
    const auto state = w.sub->wait_line_topic(topic, 20s);
    REQUIRE(state);
    const std::string payload = w.sub->lines()[*state].payload;
    std::size_t used = 0;
    const double value = std::stod(payload, &used);
    CHECK(used == payload.size());
    if (row.state_class == "total_increasing") CHECK(value > 0.0);
  }

  // Signs: grid/power and battery/power carry the device's own values, which are Home
  // Assistant's convention (positive = import / discharge, docs/protocol.md §15.2), never
  // inverted; the split sensors are their positive and negative parts. Every published value
  // matches a value the simulator sent (to the watt the state is rounded to).
  const std::string base = "rct2mqtt/" + serial + "/";
  struct SignCase {
    std::uint32_t oid;
    const char* key;
    double factor;  // the device value times this (−1 for the negative part) …
    bool clamp;     // … and then max(·, 0)
  };
  const SignCase sign_cases[] = {
      {0x91617C58, "grid/power", 1.0, false},
      {0x91617C58, "grid/import_power", 1.0, true},
      {0x91617C58, "grid/export_power", -1.0, true},
      {0x400F015B, "battery/power", 1.0, false},
      {0x400F015B, "battery/discharge_power", 1.0, true},
      {0x400F015B, "battery/charge_power", -1.0, true},
  };
  for (const SignCase& c : sign_cases) {
    bool nonzero = false;
    INFO(c.key);
    REQUIRE(w.sub->wait_line_topic(base + c.key, 20s));
    std::vector<double> expected;
    for (const rct::Value& v : sent_values(*w.sim.operator->(), c.oid, rct::DataType::kFloat)) {
      const double x = c.factor * static_cast<double>(std::get<float>(v));
      expected.push_back(c.clamp ? std::max(x, 0.0) : x);
    }
    for (const Line& l : w.sub->lines()) {
      if (l.topic != base + c.key) continue;
      const double published = std::stod(l.payload);
      INFO("published " << published);
      if (c.clamp) CHECK(published >= 0.0);
      const bool sent = std::any_of(expected.begin(), expected.end(),
                                    [&](double e) { return std::abs(e - published) <= 0.5; });
      CHECK(sent);
      if (std::abs(published) >= 1.0) nonzero = true;
    }
    // The simulated house has a flow through the grid and the battery, so the sign is tested.
    if (!c.clamp) CHECK(nonzero);
  }
  stop_daemon(*daemon);
}
