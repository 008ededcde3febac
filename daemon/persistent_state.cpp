#include "daemon/persistent_state.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/hex.h"

namespace rct::daemon {
namespace {

using StateJson = nlohmann::json;

constexpr int kVersion = 1;

// The state file holds OIDs as format_oid() writes them; a key without the 0x is not one.
std::optional<std::uint32_t> parse_state_oid(std::string_view s) {
  if (!s.starts_with("0x")) return std::nullopt;
  return parse_oid(s);
}

StateJson discovery_to_json(const AnnouncedDiscovery& d) {
  StateJson j;
  j["mode"] = std::string(discovery_mode_name(d.mode));
  StateJson devices = StateJson::array();
  for (const AnnouncedDevice& device : d.devices) {
    devices.push_back(StateJson{{"topic", device.topic},
                                {"components", device.components.to_map()},
                                {"removed", device.removed.to_map()}});
  }
  j["devices"] = std::move(devices);
  j["topics"] = d.topics;
  j["components"] = live_components(d);  // device mode too: the file reads as it always did
  return j;
}

AnnouncedDiscovery discovery_from_json(const StateJson& j) {
  using Components = std::map<std::string, std::string>;
  AnnouncedDiscovery d;
  const auto mode = discovery_mode_from_name(j.at("mode").get<std::string>());
  if (!mode) throw std::runtime_error("unknown discovery mode");
  d.mode = *mode;
  d.topics = j.value("topics", std::vector<std::string>());
  d.components = ComponentMap(j.value("components", Components()));
  if (const auto it = j.find("devices"); it != j.end() && it->is_array()) {
    for (const StateJson& device : *it) {
      d.devices.push_back(AnnouncedDevice{device.at("topic").get<std::string>(),
                                          ComponentMap(device.value("components", Components())),
                                          ComponentMap(device.value("removed", Components()))});
    }
  } else if (const std::string topic = j.value("device_topic", std::string()); !topic.empty()) {
    // Written before several device messages: one, holding every component.
    d.devices.push_back(
        AnnouncedDevice{topic, d.components, ComponentMap(j.value("removed", Components()))});
  }
  if (d.mode == DiscoveryMode::kDevice) d.components = {};  // the devices hold them
  return d;
}

StateJson battery_mode_to_json(const BatteryModeRecord& b) {
  StateJson j = StateJson::object();
  auto put = [&j](const char* key, const std::optional<double>& v) {
    if (v) j[key] = *v;
  };
  put("user_soc_min", b.user_soc_min);
  put("hold_soc_min", b.hold_soc_min);
  put("charge_target", b.charge_target);
  put("charge_power", b.charge_power);
  put("external_power", b.external_power);
  j["mode"] = b.mode;
  j["commanded"] = b.commanded;
  j["since"] = b.since;
  return j;
}

BatteryModeRecord battery_mode_from_json(const StateJson& j) {
  BatteryModeRecord b;
  auto get = [&j](const char* key, std::optional<double>& v) {
    if (const auto it = j.find(key); it != j.end() && it->is_number()) {
      const double d = it->get<double>();
      if (std::isfinite(d)) v = d;
    }
  };
  get("user_soc_min", b.user_soc_min);
  get("hold_soc_min", b.hold_soc_min);
  get("charge_target", b.charge_target);
  get("charge_power", b.charge_power);
  get("external_power", b.external_power);
  b.mode = j.value("mode", std::string());
  b.commanded = j.value("commanded", false);
  b.since = j.value("since", std::string());
  return b;
}

StateJson record_to_json(const InverterRecord& record) {
  StateJson r;
  StateJson totals = StateJson::object();
  for (const auto& [oid, total] : record.totals) totals[format_oid(oid)] = total;
  r["totals"] = std::move(totals);
  if (record.discovery) r["discovery"] = discovery_to_json(*record.discovery);
  if (record.battery_mode) r["battery_mode"] = battery_mode_to_json(*record.battery_mode);
  if (record.fault_words) r["fault_words"] = *record.fault_words;
  if (record.event_log) {
    r["event_log"] = {{"time", record.event_log->time}, {"at_time", record.event_log->at_time}};
  }
  return r;
}

}  // namespace

// The text is what dump(2) of the whole tree would be ({"inverters": {...}, "version": 1}, keys
// in order): each record is dumped on its own and indented by its depth of two levels. A JSON
// text has no raw newline inside a string, so every newline in a dump is one of its line breaks.
void write_state_json(const PersistentState& state,
                      const std::function<void(std::string_view)>& sink) {
  constexpr std::string_view kRecordIndent = "\n    ";
  sink("{\n  \"inverters\": {");
  bool first = true;
  for (const auto& [serial, record] : state.inverters) {
    std::string piece(first ? "\n    " : ",\n    ");
    first = false;
    piece += StateJson(serial).dump();
    piece += ": ";
    const std::string text = record_to_json(record).dump(2);
    for (const char c : text) {
      if (c == '\n') {
        piece += kRecordIndent;
      } else {
        piece += c;
      }
    }
    sink(piece);
  }
  sink(first ? "}" : "\n  }");
  sink(",\n  \"version\": " + std::to_string(kVersion) + "\n}\n");
}

std::string state_to_json(const PersistentState& state) {
  std::string text;
  write_state_json(state, [&text](std::string_view piece) { text += piece; });
  return text;
}

Result<PersistentState, std::string> state_from_json(std::string_view text) {
  // nlohmann reports malformed input and type mismatches by exception; they stay in here.
  try {
    const StateJson root = StateJson::parse(text);
    if (!root.is_object()) return std::string("not a JSON object");
    if (root.value("version", 0) != kVersion) {
      return std::string("unsupported version (expected ") + std::to_string(kVersion) + ")";
    }
    PersistentState state;
    for (const auto& [serial, r] : root.at("inverters").items()) {
      InverterRecord record;
      if (r.contains("totals")) {
        for (const auto& [oid_key, total] : r.at("totals").items()) {
          const auto oid = parse_state_oid(oid_key);
          if (!oid) {
            std::string error = "bad OID '";
            error.append(oid_key).append("' in the totals of ").append(serial);
            return error;
          }
          if (!total.is_number()) continue;
          const double v = total.get<double>();
          if (std::isfinite(v) && v > 0) record.totals[*oid] = v;
        }
      }
      if (r.contains("discovery")) record.discovery = discovery_from_json(r.at("discovery"));
      if (r.contains("battery_mode") && r.at("battery_mode").is_object()) {
        record.battery_mode = battery_mode_from_json(r.at("battery_mode"));
      }
      if (r.contains("fault_words")) record.fault_words = r.at("fault_words").get<FaultWords>();
      if (r.contains("event_log")) {
        const StateJson& e = r.at("event_log");
        record.event_log = EventLogPosition{e.at("time").get<std::uint32_t>(),
                                            e.value("at_time", std::vector<EventLogKey>())};
      }
      state.inverters[serial] = std::move(record);
    }
    return state;
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

}  // namespace rct::daemon
