#include "daemon/discovery.h"

#include <stdlib.h>    // mkdtemp
#include <sys/wait.h>  // WEXITSTATUS

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/number_text.h"
#include "core/registry.h"
#include "core/write_allowlist.h"
#include "daemon/bridge_health.h"
#include "daemon/discovery_abbreviations.h"
#include "daemon/persistent_state.h"
#include "daemon/poll_list.h"
#include "daemon/setting_presentation.h"
#include "daemon/settings_state.h"
#include "daemon/topics.h"
#include "daemon/value_policy.h"
#include "tests/support/catch.h"
#include "tests/support/inventories.h"
#include "tests/support/shared_dir.h"
#include "tests/support/temp_dir.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;
using rct::daemon::AnnouncedDevice;
using rct::daemon::AnnouncedDiscovery;
using rct::daemon::DiscoveryMessage;
using rct::daemon::DiscoverySettings;
using rct::daemon::Inventory;
using rct::daemon::PollItem;

namespace {

using rct::test::complete_inventory;
using rct::test::TempDir;

DiscoverySettings settings(rct::DiscoveryMode mode = rct::DiscoveryMode::kDevice) {
  DiscoverySettings s;
  s.mode = mode;
  s.sw_version = "0.1.0";
  s.support_url = "https://example.org/rct2mqtt/issues";
  return s;
}

std::vector<PollItem> default_items() {
  return rct::daemon::build_poll_list(rct::Config{}, rct::Registry{}, complete_inventory());
}

// A few values of every kind: a fraction, a signed power with its split sensors, a lifetime
// counter, an enum text, a flag, a static string.
std::vector<PollItem> golden_items() {
  const std::set<std::uint32_t> wanted = {0x959930BF, 0x91617C58, 0x62FBE7DC,
                                          0x5F33284E, 0x701A0482, 0xDDD1C2D0};
  std::vector<PollItem> items;
  for (const PollItem& i : default_items()) {
    if (wanted.count(i.oid) != 0) items.push_back(i);
  }
  REQUIRE(items.size() == wanted.size());
  return items;
}

fs::path golden_path(const std::string& name) {
  return rct::test::source_dir() / "tests" / "golden" / name;
}

// Compares `actual` with the golden file, as parsed JSON. RCT_UPDATE_GOLDEN=1 rewrites it.
void check_golden(const std::string& name, const json& actual) {
  const fs::path path = golden_path(name);
  if (const char* update = std::getenv("RCT_UPDATE_GOLDEN"); update != nullptr && *update) {
    std::ofstream(path) << actual.dump(2) << "\n";
    WARN("rewrote " << path);
  }
  std::ifstream in(path);
  REQUIRE(in.good());
  const json golden = json::parse(in);
  INFO("golden " << path << "\nactual:\n" << actual.dump(2));
  CHECK(golden == actual);
}

// A payload as Home Assistant reads it: parsed, abbreviations expanded to full key names.
json parse_payload(const std::string& text) {
  return rct::daemon::expand_discovery(json::parse(text));
}

// Messages as they go on the wire (abbreviated keys), for the golden files.
json as_json(const std::vector<DiscoveryMessage>& messages) {
  json out = json::array();
  for (const DiscoveryMessage& m : messages) {
    out.push_back(json{{"topic", m.topic},
                       {"payload", m.payload.empty() ? json(nullptr) : json::parse(m.payload)}});
  }
  return out;
}

struct CheckerRun {
  bool ran = false;
  int status = -1;
  std::string output;
};

// Runs ../shared/tools/ha-discovery-check --strict on `messages` (and `states`).
CheckerRun run_checker(const std::vector<DiscoveryMessage>& messages,
                       const std::vector<std::pair<std::string, std::string>>& states = {}) {
  CheckerRun run;
  const auto shared = rct::test::shared_dir();
  if (!shared || !fs::exists(*shared / "tools" / "ha-discovery-check")) {
    WARN("../shared/tools/ha-discovery-check is absent: the Home Assistant checks are skipped");
    return run;
  }
  TempDir dir;
  const fs::path file = dir.path() / "discovery.txt";
  {
    std::ofstream out(file, std::ios::binary);
    for (const DiscoveryMessage& m : messages) out << m.topic << " " << m.payload << "\n";
  }
  std::string command = "python3 '" + (*shared / "tools" / "ha-discovery-check").string() +
                        "' --strict --file '" + file.string() + "'";
  if (!states.empty()) {
    const fs::path sfile = dir.path() / "states.txt";
    std::ofstream out(sfile, std::ios::binary);
    for (const auto& [topic, payload] : states) out << topic << " " << payload << "\n";
    out.close();
    command += " --states '" + sfile.string() + "'";
  }
  command += " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) run.output.append(buf, n);
  const int status = ::pclose(pipe);
  run.ran = true;
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// A plausible reading for every polled value, so that the policy yields a state for every
// sensor (counters are read twice: the first reading only arms the counter guard).
rct::Value sample_value(const PollItem& item) {
  const auto q = item.sensors.front().quantity;
  using Q = rct::daemon::Quantity;
  switch (item.type) {
    case rct::DataType::kBool:
      return true;
    case rct::DataType::kEnum:
      return rct::EnumValue{3};
    case rct::DataType::kString:
      return std::string("sample text");
    case rct::DataType::kUint8:
      return std::uint8_t{4};
    case rct::DataType::kInt8:
      return std::int8_t{4};
    case rct::DataType::kUint16:
      return std::uint16_t{400};
    case rct::DataType::kInt16:
      return std::int16_t{400};
    case rct::DataType::kUint32:
      return std::uint32_t{5126};
    case rct::DataType::kInt32:
      return std::int32_t{321};
    case rct::DataType::kFloat:
      switch (q) {
        case Q::kSoc:
        case Q::kFraction:
          return 0.563f;
        case Q::kCellVoltage:
          return 3.312f;
        case Q::kVoltage:
          return 231.7f;
        case Q::kCurrent:
          return -5.25f;
        case Q::kCharge:
        case Q::kCount:
          return 1234.5f;
        case Q::kFrequency:
          return 50.02f;
        case Q::kTemperature:
          return 27.4f;
        case Q::kPowerFactor:
          return 0.98f;
        case Q::kEnergy:
          return item.sensors.front().sign == rct::daemon::Sign::kAbsolute ? -1234567.5f
                                                                           : 1234567.5f;
        case Q::kResistance:
          return 2.5e6f;
        default:
          return -1234.5f;
      }
    default:
      return rct::RawBytes{};
  }
}

std::vector<std::pair<std::string, std::string>> sample_states(const std::vector<PollItem>& items,
                                                               const Inventory& inv) {
  rct::daemon::ValuePolicy policy;
  const rct::daemon::Instant t0 = rct::daemon::Instant{} + 100h;
  for (const PollItem& item : items) {
    if (item.sensors.empty()) continue;
    policy.on_reading(item, sample_value(item), t0);
    policy.on_reading(item, sample_value(item), t0 + 60s);
  }
  std::vector<std::pair<std::string, std::string>> states;
  for (const auto& p : policy.current()) {
    states.emplace_back(rct::daemon::value_topic("rct2mqtt", inv.serial, p.key), p.payload);
  }
  states.emplace_back(rct::daemon::inverter_status_topic("rct2mqtt", inv.serial), "online");
  states.emplace_back(rct::daemon::bridge_status_topic("rct2mqtt"), "online");
  states.emplace_back(
      rct::daemon::value_topic("rct2mqtt", inv.serial, rct::daemon::kBridgeFramesPerSecondKey),
      rct::payload_number(4.2, false));
  states.emplace_back(
      rct::daemon::value_topic("rct2mqtt", inv.serial, rct::daemon::kBridgeErrorsKey),
      rct::daemon::format_integer(0));
  // The health as the builder makes it: once with rates, once with nothing sent (null rates).
  for (const std::uint64_t sent : {std::uint64_t{300}, std::uint64_t{0}}) {
    rct::daemon::BridgeSnapshot snapshot;
    snapshot.taken = t0 + 60s;
    rct::daemon::InverterFigures f;
    f.name = "inverter1";
    f.serial = inv.serial;
    f.counting_since = t0;
    f.frames_sent = sent;
    f.frames_answered = sent * 9 / 10;
    f.timeouts = sent / 10;
    snapshot.inverters.push_back(f);
    for (const auto& m : rct::daemon::bridge_health("rct2mqtt", snapshot, nullptr)) {
      states.emplace_back(m.topic, m.payload);
    }
  }
  return states;
}

const json* component(const json& payload, const std::string& id) {
  const auto& c = payload.at("components");
  return c.contains(id) ? &c.at(id) : nullptr;
}

}  // namespace

TEST_CASE("device discovery matches the golden file", "[discovery]") {
  const auto build =
      rct::daemon::build_discovery(settings(), complete_inventory(), golden_items(), nullptr);
  REQUIRE(build.messages.size() == 1);
  check_golden("discovery_device.json", as_json(build.messages).at(0));
  CHECK(build.announced.topics ==
        std::vector<std::string>{"homeassistant/device/rct2mqtt_0123456789/config"});
  // + split power, + bridge diagnostics, + bridge health, + bridge buttons
  CHECK(live_components(build.announced).size() == 6 + 2 + 3 + 3 + 2);
}

TEST_CASE("per-entity discovery matches the golden file", "[discovery]") {
  const auto build = rct::daemon::build_discovery(settings(rct::DiscoveryMode::kEntity),
                                                  complete_inventory(), golden_items(), nullptr);
  CHECK(build.messages.size() == 6 + 2 + 3 + 3 + 2);
  check_golden("discovery_entity.json", as_json(build.messages));
}

TEST_CASE("discovery of the whole default set passes ha-discovery-check --strict",
          "[discovery][ha-check]") {
  const auto items = default_items();
  for (const auto mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    INFO("mode " << rct::discovery_mode_name(mode));
    const auto build =
        rct::daemon::build_discovery(settings(mode), complete_inventory(), items, nullptr);
    const auto run = run_checker(build.messages);
    if (!run.ran) return;
    INFO(run.output);
    CHECK(run.status == 0);
    CHECK(run.output.find(" 0 failed") != std::string::npos);
  }
}

TEST_CASE("the states the value policy produces pass ha-discovery-check --states",
          "[discovery][ha-check]") {
  const auto inv = complete_inventory();
  const auto items = default_items();
  const auto states = sample_states(items, inv);
  for (const auto mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    INFO("mode " << rct::discovery_mode_name(mode));
    const auto build = rct::daemon::build_discovery(settings(mode), inv, items, nullptr);
    const auto run = run_checker(build.messages, states);
    if (!run.ran) return;
    INFO(run.output);
    CHECK(run.status == 0);
    // Every sensor got a state: the checker warns (= fails with --strict) otherwise.
    CHECK(run.output.find("no state message") == std::string::npos);
  }
}

TEST_CASE("entities carry ids, availability and expiry as docs/mqtt.md asks", "[discovery]") {
  const auto build =
      rct::daemon::build_discovery(settings(), complete_inventory(), default_items(), nullptr);
  REQUIRE(build.messages.size() == 1);
  const json payload = parse_payload(build.messages[0].payload);
  CHECK(payload.at("availability_mode") == "all");
  CHECK(payload.at("availability").size() == 2);
  CHECK(payload.at("device").at("identifiers") == json::array({"rct2mqtt_0123456789"}));
  CHECK(payload.at("device").at("manufacturer") == "RCT Power");
  CHECK(payload.at("device").at("model") == "Power Storage");
  CHECK(payload.at("origin").at("name") == "rct2mqtt");

  const json* soc = component(payload, "battery_soc");
  REQUIRE(soc != nullptr);
  CHECK(soc->at("unique_id") == "rct2mqtt_0123456789_battery_soc");
  CHECK(soc->at("default_entity_id") == "sensor.rct2mqtt_0123456789_battery_soc");
  CHECK(soc->at("state_topic") == "rct2mqtt/0123456789/battery/soc");
  CHECK(soc->at("expire_after") == 900);       // 3 × heartbeat (300 s) > 3 × 10 s
  CHECK_FALSE(soc->contains("availability"));  // the root's list applies

  const json* total = component(payload, "energy_grid_import_total");
  REQUIRE(total != nullptr);
  CHECK(total->at("device_class") == "energy");
  CHECK(total->at("state_class") == "total_increasing");
  CHECK(total->at("unit_of_measurement") == "Wh");

  const json* firmware = component(payload, "inverter_firmware");
  REQUIRE(firmware != nullptr);
  CHECK(firmware->at("expire_after") == 3 * 3600);  // static values: 3 × static interval
  CHECK(firmware->at("entity_category") == "diagnostic");

  const json* tail = component(payload, "inverter_l1_current");
  REQUIRE(tail != nullptr);
  CHECK(tail->at("enabled_by_default") == false);

  for (const char* id : {"grid_import_power", "grid_export_power", "battery_charge_power",
                         "battery_discharge_power"}) {
    INFO(id);
    const json* c = component(payload, id);
    REQUIRE(c != nullptr);
    CHECK(c->at("device_class") == "power");
    CHECK(c->at("state_class") == "measurement");
  }

  // Bridge diagnostics follow only the bridge LWT, so they stay visible without the inverter.
  const json* link = component(payload, "bridge_link");
  REQUIRE(link != nullptr);
  CHECK(link->at("platform") == "binary_sensor");
  CHECK(link->at("state_topic") == "rct2mqtt/0123456789/status");
  CHECK(link->at("availability") == json::array({json{{"topic", "rct2mqtt/bridge/status"}}}));
  CHECK(component(payload, "bridge_frames_per_second") != nullptr);
  CHECK(component(payload, "bridge_errors") != nullptr);

  // The bridge's buttons (daemon/button_discovery.h): bridge LWT only, like the diagnostics.
  for (const std::string action : {"republish_discovery", "reconnect"}) {
    const json* button = component(payload, "bridge_" + action);
    REQUIRE(button != nullptr);
    CHECK(button->at("platform") == "button");
    CHECK(button->at("command_topic") == "rct2mqtt/0123456789/bridge/" + action + "/set");
    CHECK(button->at("payload_press") == "PRESS");
    CHECK(button->at("qos") == 1);
    CHECK(button->at("entity_category") == "config");
    CHECK(button->at("availability") == json::array({json{{"topic", "rct2mqtt/bridge/status"}}}));
    CHECK(button->at("default_entity_id") == "button.rct2mqtt_0123456789_bridge_" + action);
  }
}

TEST_CASE("dropped device components stay as platform-only stubs", "[discovery]") {
  AnnouncedDiscovery previous;
  previous.mode = rct::DiscoveryMode::kDevice;
  const std::string topic = "homeassistant/device/rct2mqtt_0123456789/config";
  previous.topics = {topic};
  previous.components = {{"battery_soc", "sensor"}, {"old_flag", "binary_sensor"}};
  previous.devices = {AnnouncedDevice{
      topic, previous.components, {{"older_value", "sensor"}, {"grid_power", "sensor"}}}};

  const auto build =
      rct::daemon::build_discovery(settings(), complete_inventory(), golden_items(), &previous);
  REQUIRE(build.messages.size() == 1);  // same topic: no empty payload, no hand-over
  const json payload = parse_payload(build.messages[0].payload);
  CHECK(*component(payload, "old_flag") == json{{"platform", "binary_sensor"}});
  CHECK(*component(payload, "older_value") == json{{"platform", "sensor"}});
  // Polled again: a full component, and no longer listed as removed.
  CHECK(component(payload, "battery_soc")->contains("unique_id"));
  CHECK(component(payload, "grid_power")->contains("unique_id"));
  REQUIRE(build.announced.devices.size() == 1);
  CHECK(
      build.announced.devices[0].removed.to_map() ==
      std::map<std::string, std::string>{{"old_flag", "binary_sensor"}, {"older_value", "sensor"}});
  const auto run = run_checker(build.messages);
  if (!run.ran) return;
  INFO(run.output);
  CHECK(run.status == 0);
}

namespace {

std::vector<std::string> topics_with(const std::vector<DiscoveryMessage>& messages,
                                     const std::string& payload) {
  std::vector<std::string> out;
  for (const auto& m : messages) {
    if (m.payload == payload) out.push_back(m.topic);
  }
  return out;
}

std::vector<std::string> topics_of(const std::vector<DiscoveryMessage>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.topic);
  return out;
}

}  // namespace

TEST_CASE("switching modes hands the entities over with migrate_discovery", "[discovery]") {
  const std::string migrate(rct::daemon::kMigratePayload);
  const std::string device_topic = "homeassistant/device/rct2mqtt_0123456789/config";
  const auto entity = rct::daemon::build_discovery(settings(rct::DiscoveryMode::kEntity),
                                                   complete_inventory(), golden_items(), nullptr);
  const auto entity_topics = topics_of(entity.messages);

  // Entity → device: every old topic gets the hand-over first, then the device payload takes
  // the entities over, then the old topics are cleared (Home Assistant keeps the entities).
  const auto device = rct::daemon::build_discovery(settings(), complete_inventory(), golden_items(),
                                                   &entity.announced);
  REQUIRE(device.messages.size() == 2 * entity.messages.size() + 1);
  const std::size_t n = entity.messages.size();
  const auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  const std::vector<DiscoveryMessage> handed(device.messages.begin(), device.messages.begin() + n);
  const std::vector<DiscoveryMessage> cleared(device.messages.end() - n, device.messages.end());
  CHECK(sorted(topics_with(handed, migrate)) == sorted(entity_topics));
  CHECK(sorted(topics_with(cleared, "")) == sorted(entity_topics));
  CHECK(device.messages[n].topic == device_topic);
  CHECK(parse_payload(device.messages[n].payload).at("components").size() == n);
  CHECK(device.announced.topics == std::vector<std::string>{device_topic});
  REQUIRE(device.announced.devices.size() == 1);
  CHECK(device.announced.devices[0].removed.empty());
  CHECK(live_components(device.announced) == live_components(entity.announced));

  // Device → entity: the device topic is handed over, the entity configs follow, then the
  // device topic is cleared.
  const auto back =
      rct::daemon::build_discovery(settings(rct::DiscoveryMode::kEntity), complete_inventory(),
                                   golden_items(), &device.announced);
  REQUIRE(back.messages.size() == n + 2);
  CHECK(back.messages.front() == DiscoveryMessage{device_topic, migrate});
  CHECK(back.messages.back() == DiscoveryMessage{device_topic, ""});
  CHECK(std::vector<DiscoveryMessage>(back.messages.begin() + 1, back.messages.end() - 1) ==
        entity.messages);

  // Once switched, a rebuild against what was announced hands nothing over again.
  const auto again = rct::daemon::build_discovery(settings(), complete_inventory(), golden_items(),
                                                  &device.announced);
  CHECK(again.messages == std::vector<DiscoveryMessage>{device.messages[n]});

  // Each side as Home Assistant sees it from the retained messages passes the checker.
  for (const auto* build : {&device, &back}) {
    std::vector<DiscoveryMessage> retained;
    for (const auto& m : build->messages) {
      if (m.payload != migrate) retained.push_back(m);
    }
    const auto run = run_checker(retained);
    if (!run.ran) return;
    INFO(run.output);
    CHECK(run.status == 0);
  }
  // The hand-over payload itself is one the checker recognises as a migration request.
  const auto run = run_checker(
      {DiscoveryMessage{entity_topics[0], migrate}, DiscoveryMessage{device_topic, migrate}});
  if (!run.ran) return;
  INFO(run.output);
  CHECK(run.status == 0);
  CHECK(run.output.find("migration") != std::string::npos);
}

TEST_CASE("switching modes while an entity is dropped removes it instead of handing it over",
          "[discovery]") {
  const std::string migrate(rct::daemon::kMigratePayload);
  auto fewer = golden_items();
  fewer.erase(std::remove_if(fewer.begin(), fewer.end(),
                             [](const PollItem& i) { return i.oid == 0x959930BF; }),
              fewer.end());
  const std::string soc_topic = "homeassistant/sensor/rct2mqtt_0123456789_battery_soc/config";
  const std::string device_topic = "homeassistant/device/rct2mqtt_0123456789/config";

  // Entity → device: the dropped entity's topic is emptied first, and never handed over.
  const auto entity = rct::daemon::build_discovery(settings(rct::DiscoveryMode::kEntity),
                                                   complete_inventory(), golden_items(), nullptr);
  const auto device =
      rct::daemon::build_discovery(settings(), complete_inventory(), fewer, &entity.announced);
  CHECK(device.messages.front() == DiscoveryMessage{soc_topic, ""});
  CHECK(std::count(device.messages.begin(), device.messages.end(),
                   DiscoveryMessage{soc_topic, migrate}) == 0);

  // Device → entity: a stub-only device payload removes the dropped component before the
  // hand-over (a migrated component nobody takes over would stay behind as a stale entity).
  const auto full =
      rct::daemon::build_discovery(settings(), complete_inventory(), golden_items(), nullptr);
  const auto back = rct::daemon::build_discovery(settings(rct::DiscoveryMode::kEntity),
                                                 complete_inventory(), fewer, &full.announced);
  REQUIRE(back.messages.size() >= 3);
  CHECK(back.messages[0].topic == device_topic);
  const json stub_only = parse_payload(back.messages[0].payload);
  CHECK(stub_only.at("components") == json{{"battery_soc", {{"platform", "sensor"}}}});
  CHECK(back.messages[1] == DiscoveryMessage{device_topic, migrate});
  CHECK(back.messages.back() == DiscoveryMessage{device_topic, ""});
  CHECK(live_components(back.announced).count("battery_soc") == 0);
  const auto run = run_checker({back.messages[0]});
  if (!run.ran) return;
  INFO(run.output);
  CHECK(run.status == 0);
}

TEST_CASE("dropping entities in entity mode empties their configs, and --remove-discovery all",
          "[discovery]") {
  const auto entity = rct::daemon::build_discovery(settings(rct::DiscoveryMode::kEntity),
                                                   complete_inventory(), golden_items(), nullptr);
  auto fewer = golden_items();
  fewer.erase(std::remove_if(fewer.begin(), fewer.end(),
                             [](const PollItem& i) { return i.oid == 0x959930BF; }),
              fewer.end());
  const auto dropped = rct::daemon::build_discovery(settings(rct::DiscoveryMode::kEntity),
                                                    complete_inventory(), fewer, &entity.announced);
  CHECK(topics_with(dropped.messages, "") ==
        std::vector<std::string>{"homeassistant/sensor/rct2mqtt_0123456789_battery_soc/config"});
  CHECK(dropped.messages.front().payload.empty());  // removals first
  CHECK(topics_with(dropped.messages, std::string(rct::daemon::kMigratePayload)).empty());

  const auto removal = rct::daemon::removal_messages(entity.announced);
  CHECK(removal.size() == entity.messages.size());
  CHECK(std::all_of(removal.begin(), removal.end(),
                    [](const DiscoveryMessage& m) { return m.payload.empty(); }));

  std::vector<DiscoveryMessage> sequence = entity.messages;
  sequence.insert(sequence.end(), dropped.messages.begin(), dropped.messages.end());
  const auto run = run_checker(sequence);
  if (!run.ran) return;
  INFO(run.output);
  CHECK(run.status == 0);
}

TEST_CASE("discovery waits for the serial number and sanitises it", "[discovery]") {
  Inventory none;
  CHECK(rct::daemon::build_discovery(settings(), none, golden_items(), nullptr).messages.empty());
  Inventory odd = complete_inventory();
  odd.serial = "AB 12/3+#";
  odd.device_name.clear();
  const auto build = rct::daemon::build_discovery(settings(), odd, golden_items(), nullptr);
  REQUIRE(build.messages.size() == 1);
  CHECK(build.messages[0].topic == "homeassistant/device/rct2mqtt_AB_12_3__/config");
  const json payload = parse_payload(build.messages[0].payload);
  CHECK(payload.at("device").at("serial_number") == "AB 12/3+#");
  CHECK(payload.at("device").at("name") == "RCT Power AB 12/3+#");
  CHECK(component(payload, "battery_soc")->at("state_topic") == "rct2mqtt/AB_12_3__/battery/soc");
}

namespace {

DiscoverySettings with_writes(rct::DiscoveryMode mode,
                              std::vector<const rct::WritableEntry*> writable) {
  DiscoverySettings s = settings(mode);
  s.writable = std::move(writable);
  return s;
}

std::vector<const rct::WritableEntry*> entries(std::initializer_list<std::string_view> keys) {
  std::vector<const rct::WritableEntry*> out;
  for (std::string_view k : keys) {
    const rct::WritableEntry* e = rct::find_writable_key(k);
    REQUIRE(e != nullptr);
    out.push_back(e);
  }
  return out;
}

std::vector<const rct::WritableEntry*> every_writable() {
  std::vector<const rct::WritableEntry*> out;
  for (const rct::WritableEntry& e : rct::writable_entries()) out.push_back(&e);
  return out;
}

// "number", "select" or "switch".
std::string platform_of(const rct::WritableEntry& e) {
  return std::string(rct::ha::platform_name(rct::daemon::setting_platform(e)));
}

// The states rct2mqtt publishes for the settings: the simulator's defaults in the user unit.
std::vector<std::pair<std::string, std::string>> setting_states() {
  rct::daemon::SettingsState state;
  std::vector<std::pair<std::string, std::string>> out;
  for (const rct::WritableEntry& e : rct::writable_entries()) {
    rct::Value v = 0.5f;
    if (rct::write_kind(e) == rct::WriteKind::kEnum) v = rct::EnumValue{4};
    if (rct::write_kind(e) == rct::WriteKind::kBool) v = false;
    const auto payload = state.on_reading(e, v, rct::daemon::Instant{});
    REQUIRE(payload);
    out.emplace_back(rct::daemon::setting_topic("rct2mqtt", "0123456789", e.key), *payload);
  }
  return out;
}

}  // namespace

TEST_CASE("writable settings become number, select and switch entities (golden file)",
          "[discovery][writes]") {
  const auto writable = entries({"soc_target", "soc_strategy", "grid_charging"});
  const auto device =
      rct::daemon::build_discovery(with_writes(rct::DiscoveryMode::kDevice, writable),
                                   complete_inventory(), golden_items(), nullptr);
  REQUIRE(device.messages.size() == 1);
  const json payload = parse_payload(device.messages[0].payload);
  json components = json::object();
  for (const auto& [id, c] : payload.at("components").items()) {
    if (id.rfind("settings_", 0) == 0) components[id] = c;
  }
  const auto entity =
      rct::daemon::build_discovery(with_writes(rct::DiscoveryMode::kEntity, writable),
                                   complete_inventory(), golden_items(), nullptr);
  std::vector<DiscoveryMessage> entity_settings;
  for (const auto& m : entity.messages) {
    if (m.topic.find("_settings_") != std::string::npos) entity_settings.push_back(m);
  }
  check_golden("discovery_settings.json", json{{"device_components", components},
                                               {"entity_messages", as_json(entity_settings)}});
  CHECK(components.size() == 3);
  CHECK(entity_settings.size() == 3);
  CHECK(live_components(device.announced).at("settings_soc_strategy") == "select");
  CHECK(live_components(entity.announced).at("settings_grid_charging") == "switch");
}

TEST_CASE("setting entities follow the topic contract", "[discovery][writes]") {
  const auto build =
      rct::daemon::build_discovery(with_writes(rct::DiscoveryMode::kDevice, every_writable()),
                                   complete_inventory(), golden_items(), nullptr);
  REQUIRE(build.messages.size() == 1);
  const json payload = parse_payload(build.messages[0].payload);
  for (const rct::WritableEntry& e : rct::writable_entries()) {
    const std::string key(e.key);
    INFO(key);
    const json* c = component(payload, "settings_" + key);
    REQUIRE(c != nullptr);
    CHECK(c->at("platform") == platform_of(e));
    CHECK(c->at("unique_id") == "rct2mqtt_0123456789_settings_" + key);
    CHECK(c->at("default_entity_id") == platform_of(e) + ".rct2mqtt_0123456789_settings_" + key);
    CHECK(c->at("state_topic") == "rct2mqtt/0123456789/settings/" + key);
    CHECK(c->at("command_topic") == "rct2mqtt/0123456789/settings/" + key + "/set");
    CHECK(c->at("qos") == 1);
    CHECK(c->at("entity_category") == "config");
    CHECK(c->at("name") == std::string(rct::daemon::setting_presentation(e).label));
    CHECK_FALSE(c->contains("availability"));  // the device's: bridge and inverter
    switch (rct::write_kind(e)) {
      case rct::WriteKind::kNumber:
        CHECK(c->at("min").get<double>() == e.min);
        CHECK(c->at("max").get<double>() == e.max);
        CHECK(c->at("step").get<double>() == e.step);
        CHECK(c->value("unit_of_measurement", "") == std::string(e.unit));
        CHECK(c->value("device_class", "") ==
              std::string(rct::daemon::setting_presentation(e).device_class));
        break;
      case rct::WriteKind::kEnum:
        CHECK(c->at("options").size() == rct::enum_options(e).size());
        CHECK(c->at("options").at(2) == "External");
        break;
      case rct::WriteKind::kBool:
        CHECK(c->at("payload_on") == "ON");
        CHECK(c->at("payload_off") == "OFF");
        break;
    }
  }
  // From the configuration: only with writes enabled, and only the allowed keys.
  rct::Config config;
  config.writes.allow = std::vector<std::string>{"soc_min"};
  CHECK(rct::daemon::discovery_settings(config, "1").writable.empty());
  config.writes.enabled = true;
  CHECK(rct::daemon::discovery_settings(config, "1").writable == entries({"soc_min"}));
}

TEST_CASE("every writable setting passes ha-discovery-check --strict, with its states",
          "[discovery][writes][ha-check]") {
  const auto inv = complete_inventory();
  const auto items = default_items();
  auto states = sample_states(items, inv);
  for (auto& s : setting_states()) states.push_back(std::move(s));
  for (const auto mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    INFO("mode " << rct::discovery_mode_name(mode));
    const auto build =
        rct::daemon::build_discovery(with_writes(mode, every_writable()), inv, items, nullptr);
    const auto run = run_checker(build.messages, states);
    if (!run.ran) return;
    INFO(run.output);
    CHECK(run.status == 0);
    CHECK(run.output.find(" 0 failed") != std::string::npos);
    CHECK(run.output.find("no state message") == std::string::npos);
  }
}

TEST_CASE("disabling writes removes the setting entities in both modes", "[discovery][writes]") {
  for (const auto mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    INFO("mode " << rct::discovery_mode_name(mode));
    const auto on = rct::daemon::build_discovery(with_writes(mode, every_writable()),
                                                 complete_inventory(), golden_items(), nullptr);
    const auto off = rct::daemon::build_discovery(settings(mode), complete_inventory(),
                                                  golden_items(), &on.announced);
    for (const rct::WritableEntry& e : rct::writable_entries()) {
      const std::string id = "settings_" + std::string(e.key);
      INFO(id);
      CHECK(live_components(off.announced).count(id) == 0);
      if (mode == rct::DiscoveryMode::kDevice) {
        // A platform-only stub: HA drops the entity.
        const json payload = parse_payload(off.messages.back().payload);
        REQUIRE(component(payload, id) != nullptr);
        CHECK(*component(payload, id) == json{{"platform", platform_of(e)}});
      } else {
        const std::string topic =
            "homeassistant/" + platform_of(e) + "/rct2mqtt_0123456789_" + id + "/config";
        CHECK(std::count(off.messages.begin(), off.messages.end(), DiscoveryMessage{topic, ""}) ==
              1);
      }
    }
    std::vector<DiscoveryMessage> sequence = on.messages;
    sequence.insert(sequence.end(), off.messages.begin(), off.messages.end());
    const auto run = run_checker(sequence);
    if (!run.ran) return;
    INFO(run.output);
    CHECK(run.status == 0);
  }
}

TEST_CASE("the battery mode is a select of the five modes and passes ha-discovery-check",
          "[discovery][writes][ha-check]") {
  const auto inv = complete_inventory();
  const auto items = default_items();
  auto states = sample_states(items, inv);
  states.emplace_back("rct2mqtt/0123456789/battery/mode", "hold");
  states.emplace_back("rct2mqtt/0123456789/battery/mode/attributes",
                      R"({"mode":"hold","soc_min":45,"since":"2026-12-04T20:00:00.000Z"})");
  for (const auto mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    INFO("mode " << rct::discovery_mode_name(mode));
    DiscoverySettings s = with_writes(mode, {});
    s.battery_mode = true;
    const auto build = rct::daemon::build_discovery(s, inv, items, nullptr);
    CHECK(live_components(build.announced).at("battery_mode") == "select");
    json c;
    for (const auto& m : build.messages) {
      const json p = parse_payload(m.payload);
      if (mode == rct::DiscoveryMode::kDevice) {
        c = p.at("components").at("battery_mode");
      } else if (m.topic == "homeassistant/select/rct2mqtt_0123456789_battery_mode/config") {
        c = p;
      }
    }
    REQUIRE(c.is_object());
    CHECK(c.at("name") == "Battery mode");
    CHECK(c.at("state_topic") == "rct2mqtt/0123456789/battery/mode");
    CHECK(c.at("command_topic") == "rct2mqtt/0123456789/battery/mode/set");
    CHECK(c.at("json_attributes_topic") == "rct2mqtt/0123456789/battery/mode/attributes");
    CHECK(c.at("options") ==
          json::array({"normal", "hold", "charge", "discharge_lock", "external"}));
    CHECK(c.at("entity_category") == "config");
    CHECK(c.at("qos") == 1);
    const auto run = run_checker(build.messages, states);
    if (!run.ran) return;
    INFO(run.output);
    CHECK(run.status == 0);
    CHECK(run.output.find(" 0 failed") != std::string::npos);
  }
  // From the configuration: writes enabled and battery_mode allowed (or allow not set).
  rct::Config config;
  CHECK_FALSE(rct::daemon::discovery_settings(config, "1").battery_mode);
  config.writes.enabled = true;
  CHECK(rct::daemon::discovery_settings(config, "1").battery_mode);
  config.writes.allow = std::vector<std::string>{"soc_min"};
  CHECK_FALSE(rct::daemon::discovery_settings(config, "1").battery_mode);
  config.writes.allow = std::vector<std::string>{"battery_mode"};
  CHECK(rct::daemon::discovery_settings(config, "1").battery_mode);
  CHECK(rct::daemon::discovery_settings(config, "1").writable.empty());
}

namespace {

std::size_t biggest_payload(const std::vector<DiscoveryMessage>& messages) {
  std::size_t out = 0;
  for (const auto& m : messages) out = std::max(out, m.payload.size());
  return out;
}

// Object id → the device message topic it is announced on.
std::map<std::string, std::string> component_topics(const AnnouncedDiscovery& a) {
  std::map<std::string, std::string> out;
  for (const AnnouncedDevice& d : a.devices) {
    for (const auto& [id, platform] : d.components) out[id] = d.topic;
  }
  return out;
}

}  // namespace

TEST_CASE("the default device payload stays within its bound", "[discovery]") {
  // 42,667 bytes abbreviated (128 components: the values, the bridge's diagnostics, health
  // sensors and buttons). The bound leaves room for a few more entities and stays well below
  // kDevicePayloadLimit (48 KiB), past which the device is split instead.
  constexpr std::size_t kDefaultBound = 44'000;
  const auto build =
      rct::daemon::build_discovery(settings(), complete_inventory(), default_items(), nullptr);
  REQUIRE(build.messages.size() == 1);
  const std::string& text = build.messages[0].payload;
  INFO("default device payload: " << text.size() << " bytes");
  CHECK(text.size() <= kDefaultBound);
  // The abbreviations are what keeps it there.
  const json full = parse_payload(text);
  CHECK(full.dump().size() > text.size() + 6'000);
  CHECK(rct::daemon::expand_discovery(
            rct::daemon::abbreviate_discovery(nlohmann::ordered_json::parse(text))) ==
        nlohmann::ordered_json(rct::daemon::expand_discovery(nlohmann::ordered_json::parse(text))));

  // Everything enabled (writes, battery mode) still fits one message.
  DiscoverySettings all = with_writes(rct::DiscoveryMode::kDevice, every_writable());
  all.battery_mode = true;
  const auto everything =
      rct::daemon::build_discovery(all, complete_inventory(), default_items(), nullptr);
  REQUIRE(everything.messages.size() == 1);
  CHECK(everything.messages[0].payload.size() <= rct::daemon::kDevicePayloadLimit);
}

TEST_CASE("every abbreviation sent is one Home Assistant documents", "[discovery][ha-check]") {
  using rct::daemon::AbbreviationScope;
  const auto shared = rct::test::shared_dir();
  if (!shared || !fs::exists(*shared / "tools" / "ha-discovery-check")) {
    WARN("../shared/tools/ha-discovery-check is absent: its abbreviation table is not compared");
    return;
  }
  TempDir dir;
  const fs::path pairs = dir.path() / "pairs.txt";
  {
    std::ofstream out(pairs);
    const std::pair<AbbreviationScope, const char*> scopes[] = {
        {AbbreviationScope::kEntity, "ABBREVIATIONS"},
        {AbbreviationScope::kDevice, "DEVICE_ABBREVIATIONS"},
        {AbbreviationScope::kOrigin, "ORIGIN_ABBREVIATIONS"}};
    for (const auto& [scope, table] : scopes) {
      for (const auto& [full, abbreviation] : rct::daemon::abbreviations(scope)) {
        out << table << ' ' << abbreviation << ' ' << full << '\n';
        CHECK(rct::daemon::abbreviate_key(scope, full) == abbreviation);
        CHECK(rct::daemon::expand_key(scope, abbreviation) == full);
      }
    }
  }
  // The checker's tables (HA's abbreviations.py): every pair must be there, short → full.
  const std::string script =
      "import importlib.machinery, importlib.util, sys\n"
      "loader = importlib.machinery.SourceFileLoader('hac', sys.argv[1])\n"
      "spec = importlib.util.spec_from_loader('hac', loader)\n"
      "m = importlib.util.module_from_spec(spec); sys.modules['hac'] = m\n"
      "loader.exec_module(m)\n"
      "bad = [l for l in open(sys.argv[2]).read().split('\\n') if l and\n"
      "       getattr(m, l.split()[0]).get(l.split()[1]) != l.split()[2]]\n"
      "print('\\n'.join(bad) or 'all documented'); sys.exit(1 if bad else 0)\n";
  const fs::path py = dir.path() / "compare.py";
  std::ofstream(py) << script;
  const std::string command = "python3 '" + py.string() + "' '" +
                              (*shared / "tools" / "ha-discovery-check").string() + "' '" +
                              pairs.string() + "' 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buf[1024];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) output.append(buf, n);
  const int status = ::pclose(pipe);
  INFO(output);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(output.find("all documented") != std::string::npos);
}

TEST_CASE("a device past its payload limit is split into parts that keep their components",
          "[discovery][ha-check]") {
  DiscoverySettings small = settings();
  small.device_payload_limit = 12 * 1024;
  const auto inv = complete_inventory();
  const auto items = default_items();
  const auto split = rct::daemon::build_discovery(small, inv, items, nullptr);
  REQUIRE(split.messages.size() >= 4);
  CHECK(biggest_payload(split.messages) <= small.device_payload_limit);
  CHECK(split.messages[0].topic == "homeassistant/device/rct2mqtt_0123456789/config");
  CHECK(split.messages[1].topic == "homeassistant/device/rct2mqtt_0123456789_part2/config");
  std::set<std::string> seen;
  for (const auto& m : split.messages) {
    const json p = parse_payload(m.payload);
    CHECK(p.at("device").at("identifiers") == json::array({"rct2mqtt_0123456789"}));
    for (const auto& [id, c] : p.at("components").items()) CHECK(seen.insert(id).second);
  }
  CHECK(seen.size() == live_components(split.announced).size());
  CHECK(split.announced.devices.size() == split.messages.size());

  // Rebuilt (a restart, a republish): the same messages, nothing handed over.
  CHECK(rct::daemon::build_discovery(small, inv, items, &split.announced).messages ==
        split.messages);

  // Home Assistant sees every entity once, each with a state.
  const auto run = run_checker(split.messages, sample_states(items, inv));
  if (!run.ran) return;
  INFO(run.output);
  CHECK(run.status == 0);
  CHECK(run.output.find(" 0 failed") != std::string::npos);
}

TEST_CASE("a change in the number of parts hands the moved entities over", "[discovery]") {
  const std::string migrate(rct::daemon::kMigratePayload);
  const std::string main_topic = "homeassistant/device/rct2mqtt_0123456789/config";
  DiscoverySettings small = settings();
  small.device_payload_limit = 12 * 1024;
  const auto items = default_items();
  const auto one = rct::daemon::build_discovery(settings(), complete_inventory(), items, nullptr);
  const auto split =
      rct::daemon::build_discovery(small, complete_inventory(), items, &one.announced);
  // Moving components out of the single message: it is handed over first, then re-announced
  // with what stays (the part topics are new: nothing to clear).
  CHECK(split.messages.front() == DiscoveryMessage{main_topic, migrate});
  CHECK(topics_with(split.messages, migrate).size() == 1);
  CHECK(topics_with(split.messages, "").empty());
  CHECK(std::vector<DiscoveryMessage>(split.messages.begin() + 1, split.messages.end()) ==
        rct::daemon::build_discovery(small, complete_inventory(), items, nullptr).messages);

  // Back to one message: the parts are handed over and cleared, the main topic keeps its own.
  const auto joined =
      rct::daemon::build_discovery(settings(), complete_inventory(), items, &split.announced);
  std::vector<std::string> parts;
  for (const AnnouncedDevice& d : split.announced.devices) {
    if (d.topic != main_topic) parts.push_back(d.topic);
  }
  CHECK(topics_with(joined.messages, migrate) == parts);
  CHECK(topics_with(joined.messages, "") == parts);
  CHECK(component_topics(joined.announced) == component_topics(one.announced));
  REQUIRE(joined.messages.size() == 2 * parts.size() + 1);
  CHECK(joined.messages[parts.size()] == one.messages[0]);
}

TEST_CASE("hardware leaving the inventory has its entities removed once, across a restart too",
          "[discovery]") {
  const auto items = [](const Inventory& inv) {
    return rct::daemon::build_poll_list(rct::Config{}, rct::Registry{}, inv);
  };
  const Inventory with_b = complete_inventory();
  Inventory without_b = complete_inventory();
  without_b.pv_input_b = false;  // a PV string removed

  for (const auto mode : {rct::DiscoveryMode::kDevice, rct::DiscoveryMode::kEntity}) {
    INFO("mode " << rct::discovery_mode_name(mode));
    const auto before =
        rct::daemon::build_discovery(settings(mode), with_b, items(with_b), nullptr);
    const auto after = rct::daemon::build_discovery(settings(mode), without_b, items(without_b),
                                                    &before.announced);
    std::map<std::string, std::string> gone;
    for (const auto& [id, platform] : live_components(before.announced)) {
      if (live_components(after.announced).count(id) == 0) gone.emplace(id, platform);
    }
    REQUIRE_FALSE(gone.empty());
    for (const auto& [id, platform] : gone) CHECK(id.find("pv_b") != std::string::npos);
    CHECK(topics_with(after.messages, std::string(rct::daemon::kMigratePayload)).empty());

    // The record survives a restart (the state file), and a rebuild from it removes nothing again
    // (entity mode) or keeps the stubs (device mode).
    rct::daemon::PersistentState state;
    state.inverters["0123456789"].discovery = after.announced;
    const auto loaded = rct::daemon::state_from_json(rct::daemon::state_to_json(state));
    REQUIRE(loaded.ok());
    const AnnouncedDiscovery& restored = *loaded.value().inverters.at("0123456789").discovery;
    CHECK(restored == after.announced);
    const auto restart =
        rct::daemon::build_discovery(settings(mode), without_b, items(without_b), &restored);

    if (mode == rct::DiscoveryMode::kDevice) {
      REQUIRE(after.messages.size() == 1);
      const json payload = parse_payload(after.messages[0].payload);
      for (const auto& [id, platform] : gone) {
        INFO(id);
        REQUIRE(component(payload, id) != nullptr);
        CHECK(*component(payload, id) == json{{"platform", platform}});
      }
      CHECK(after.announced.devices.at(0).removed.to_map() == gone);
      CHECK(restart.messages == after.messages);
    } else {
      std::vector<std::string> expected;
      for (const auto& [id, platform] : gone) {
        expected.push_back("homeassistant/" + platform + "/rct2mqtt_0123456789_" + id + "/config");
      }
      auto emptied = topics_with(after.messages, "");
      std::sort(emptied.begin(), emptied.end());
      std::sort(expected.begin(), expected.end());
      CHECK(emptied == expected);
      CHECK(topics_with(restart.messages, "").empty());
    }
    std::vector<DiscoveryMessage> sequence = before.messages;
    sequence.insert(sequence.end(), after.messages.begin(), after.messages.end());
    const auto run = run_checker(sequence);
    if (!run.ran) return;
    INFO(run.output);
    CHECK(run.status == 0);
  }
}

TEST_CASE("a state file written before several device messages still hands over correctly",
          "[discovery]") {
  // The record of one device message: its topic, components and stubs at the top level.
  const std::string text = R"({"version": 1, "inverters": {"0123456789": {"totals": {},
    "discovery": {"mode": "device",
                  "device_topic": "homeassistant/device/rct2mqtt_0123456789/config",
                  "topics": ["homeassistant/device/rct2mqtt_0123456789/config"],
                  "components": {"battery_soc": "sensor", "gone": "sensor"},
                  "removed": {"older": "binary_sensor"}}}}})";
  const auto loaded = rct::daemon::state_from_json(text);
  REQUIRE(loaded.ok());
  const AnnouncedDiscovery& old = *loaded.value().inverters.at("0123456789").discovery;
  REQUIRE(old.devices.size() == 1);
  CHECK(old.devices[0].topic == "homeassistant/device/rct2mqtt_0123456789/config");
  CHECK(old.devices[0].components.size() == 2);
  CHECK(old.devices[0].removed.to_map() ==
        std::map<std::string, std::string>{{"older", "binary_sensor"}});
  const auto build =
      rct::daemon::build_discovery(settings(), complete_inventory(), golden_items(), &old);
  REQUIRE(build.messages.size() == 1);
  const json payload = parse_payload(build.messages[0].payload);
  CHECK(*component(payload, "gone") == json{{"platform", "sensor"}});
  CHECK(*component(payload, "older") == json{{"platform", "binary_sensor"}});
}

TEST_CASE("a mode switch across a restart hands over from the state file's record", "[discovery]") {
  const std::string migrate(rct::daemon::kMigratePayload);
  for (const auto from : {rct::DiscoveryMode::kEntity, rct::DiscoveryMode::kDevice}) {
    const auto to = from == rct::DiscoveryMode::kEntity ? rct::DiscoveryMode::kDevice
                                                        : rct::DiscoveryMode::kEntity;
    INFO("from " << rct::discovery_mode_name(from));
    const auto first = rct::daemon::build_discovery(settings(from), complete_inventory(),
                                                    default_items(), nullptr);
    rct::daemon::PersistentState state;
    state.inverters["0123456789"].discovery = first.announced;
    const auto loaded = rct::daemon::state_from_json(rct::daemon::state_to_json(state));
    REQUIRE(loaded.ok());
    const auto second =
        rct::daemon::build_discovery(settings(to), complete_inventory(), default_items(),
                                     &*loaded.value().inverters.at("0123456789").discovery);
    const auto handed = topics_with(second.messages, migrate);
    CHECK(handed.size() == (from == rct::DiscoveryMode::kEntity ? first.messages.size() : 1U));
    REQUIRE_FALSE(second.messages.empty());
    CHECK(second.messages.front().payload == migrate);
  }
}
