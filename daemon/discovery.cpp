#include "daemon/discovery.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/enum_tables.h"
#include "daemon/battery_discovery.h"
#include "daemon/battery_mode.h"
#include "daemon/button_discovery.h"
#include "daemon/discovery_abbreviations.h"
#include "daemon/fault_discovery.h"
#include "daemon/fault_sensor.h"
#include "daemon/setting_presentation.h"
#include "daemon/topics.h"
#include "ha/vocabulary.h"

namespace rct::daemon {
namespace {

using Json = nlohmann::ordered_json;

// One entity before it is placed in a device payload or its own message.
struct Entity {
  std::string object_id;
  std::string platform;  // Home Assistant component: "sensor", "number", ...
  Json config;  // without platform, device, origin (and availability unless it has its own)
};

std::string unique_id(std::string_view serial, std::string_view object_id) {
  return device_id(serial) + "_" + std::string(object_id);
}

// The payload text, keys abbreviated, without the spare capacity serialising leaves (the string
// grows by doubling): sessions keep their payloads for every republish.
std::string payload_text(const Json& payload) {
  std::string text = abbreviate_discovery(payload).dump();
  text.shrink_to_fit();
  return text;
}

void set_if(Json& j, const char* key, const std::string& value) {
  if (!value.empty()) j[key] = value;
}

Json availability_list(const DiscoverySettings& s, std::string_view serial, bool with_inverter) {
  Json list = Json::array();
  list.push_back(Json{{"topic", bridge_status_topic(s.base_topic)}});
  if (with_inverter) list.push_back(Json{{"topic", inverter_status_topic(s.base_topic, serial)}});
  return list;
}

Json identity(std::string_view serial, std::string_view object_id, std::string_view platform,
              std::string_view name) {
  Json j;
  j["name"] = name;
  j["unique_id"] = unique_id(serial, object_id);
  j["default_entity_id"] = std::string(platform) + "." + unique_id(serial, object_id);
  return j;
}

// 5 rather than 5.0 for whole numbers.
Json number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return static_cast<std::int64_t>(v);
  return v;
}

Entity setting_entity(const DiscoverySettings& s, std::string_view serial, const WritableEntry& e) {
  const std::string object_id = std::string(kSettingsLevel) + "_" + std::string(e.key);
  const SettingPresentation look = setting_presentation(e);
  const std::string platform(platform_name(setting_platform(e)));
  Json j = identity(serial, object_id, platform, look.label);
  j["state_topic"] = setting_topic(s.base_topic, serial, e.key);
  j["command_topic"] = setting_command_topic(s.base_topic, serial, e.key);
  j["qos"] = 1;  // commands at QoS 1 (docs/mqtt.md §7.2)
  switch (write_kind(e)) {
    case WriteKind::kNumber:
      j["min"] = number(e.min);
      j["max"] = number(e.max);
      j["step"] = number(e.step);
      // Percentages fit a slider; powers over ±6000 W want typing.
      j["mode"] = e.unit == "%" ? "slider" : "box";
      set_if(j, "unit_of_measurement", std::string(e.unit));
      set_if(j, "device_class", std::string(look.device_class));
      break;
    case WriteKind::kEnum: {
      Json options = Json::array();
      for (const EnumEntry& o : enum_options(e)) options.push_back(std::string(o.text));
      j["options"] = std::move(options);
      break;
    }
    case WriteKind::kBool:
      j["payload_on"] = "ON";
      j["payload_off"] = "OFF";
      break;
  }
  j["entity_category"] = ha::kConfig;
  return Entity{object_id, platform, std::move(j)};
}

Entity battery_mode_entity(const DiscoverySettings& s, std::string_view serial) {
  const std::string object_id = "battery_mode";
  const std::string platform(platform_name(Platform::kSelect));
  Json j = identity(serial, object_id, platform, "Battery mode");
  j["state_topic"] = battery_mode_topic(s.base_topic, serial);
  j["command_topic"] = battery_mode_command_topic(s.base_topic, serial);
  j["json_attributes_topic"] = battery_mode_attributes_topic(s.base_topic, serial);
  j["qos"] = 1;
  Json options = Json::array();
  std::string listed;
  for (BatteryMode m : commandable_battery_modes()) {
    options.push_back(std::string(battery_mode_name(m)));
    listed.append(listed.empty() ? "" : ", ").append("'").append(battery_mode_name(m)).append("'");
  }
  j["options"] = std::move(options);
  // "other" (a strategy set elsewhere, e.g. Constant from the vendor app) is no option: Home
  // Assistant logs an invalid option for it, and shows "unknown" for the payload None.
  j["value_template"] = "{{ value if value in [" + listed + "] else 'None' }}";
  j["icon"] = "mdi:home-battery";
  j["entity_category"] = ha::kConfig;
  return Entity{object_id, platform, std::move(j)};
}

Entity sensor_entity(const DiscoverySettings& s, std::string_view serial, const PollItem& item,
                     const SensorSpec& spec) {
  Json j = identity(serial, spec.object_id, platform_name(spec.platform), spec.name);
  j["state_topic"] = value_topic(s.base_topic, serial, spec.key);
  set_if(j, "device_class", spec.device_class);
  set_if(j, "state_class", spec.state_class);
  set_if(j, "unit_of_measurement", spec.unit);
  if (spec.display_precision && spec.platform == Platform::kSensor) {
    j["suggested_display_precision"] = *spec.display_precision;
  }
  set_if(j, "icon", spec.icon);
  if (!spec.json_attributes_key.empty()) {
    j["json_attributes_topic"] = value_topic(s.base_topic, serial, spec.json_attributes_key);
  }
  set_if(j, "entity_category", spec.entity_category);
  if (!spec.enabled_by_default) j["enabled_by_default"] = false;
  if (item.interval > Millis::zero()) {
    // Values go stale after three missed heartbeats (or poll intervals, if longer).
    const Duration period = std::max(s.heartbeat, Duration(item.interval));
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(period).count();
    j["expire_after"] = 3 * seconds;
  }
  return Entity{spec.object_id, std::string(platform_name(spec.platform)), std::move(j)};
}

std::vector<Entity> bridge_entities(const DiscoverySettings& s, std::string_view serial) {
  std::vector<Entity> out;
  {
    Json j =
        identity(serial, "bridge_link", platform_name(Platform::kBinarySensor), "Inverter link");
    j["state_topic"] = inverter_status_topic(s.base_topic, serial);
    j["payload_on"] = kOnline;
    j["payload_off"] = kOffline;
    j["device_class"] = "connectivity";
    j["entity_category"] = ha::kDiagnostic;
    j["availability"] = availability_list(s, serial, false);
    out.push_back(
        Entity{"bridge_link", std::string(platform_name(Platform::kBinarySensor)), std::move(j)});
  }
  {
    Json j = identity(serial, "bridge_frames_per_second", platform_name(Platform::kSensor),
                      "Request rate");
    j["state_topic"] = value_topic(s.base_topic, serial, kBridgeFramesPerSecondKey);
    j["state_class"] = ha::kMeasurement;
    j["unit_of_measurement"] = "frames/s";
    j["suggested_display_precision"] = 1;
    j["entity_category"] = ha::kDiagnostic;
    j["availability"] = availability_list(s, serial, false);
    out.push_back(Entity{"bridge_frames_per_second", std::string(platform_name(Platform::kSensor)),
                         std::move(j)});
  }
  {
    Json j = identity(serial, "bridge_errors", platform_name(Platform::kSensor), "Errors");
    j["state_topic"] = value_topic(s.base_topic, serial, kBridgeErrorsKey);
    j["state_class"] = ha::kTotalIncreasing;
    j["entity_category"] = ha::kDiagnostic;
    j["availability"] = availability_list(s, serial, false);
    out.push_back(
        Entity{"bridge_errors", std::string(platform_name(Platform::kSensor)), std::move(j)});
  }
  return out;
}

// The bridge's health for this inverter (daemon/bridge_health.h): one retained JSON object on
// <base>/<serial>/bridge/health, each entity reading its field. Like the other bridge
// diagnostics they follow only the bridge LWT. A null field (nothing sent in the interval)
// renders as None, which Home Assistant shows as unknown.
std::vector<Entity> bridge_health_entities(const DiscoverySettings& s, std::string_view serial) {
  struct HealthField {
    std::string_view object_id;
    std::string_view name;
    std::string_view field;
    std::string_view unit;
  };
  // The truncation rate stays in the JSON only: the device payload has a size budget
  // (kDevicePayloadLimit), and a cut answer also shows as a lower answer rate.
  static constexpr std::array<HealthField, 3> kHealthFields = {{
      {"bridge_answer_rate", "Answer rate", "answer_rate", "%"},
      {"bridge_loss_rate", "Loss rate", "loss_rate", "%"},
      {"bridge_foreign_frames_per_second", "Foreign frames", "foreign_frames_per_second",
       "frames/s"},
  }};
  std::vector<Entity> out;
  for (const HealthField& f : kHealthFields) {
    Json j = identity(serial, f.object_id, platform_name(Platform::kSensor), f.name);
    j["state_topic"] = value_topic(s.base_topic, serial, kBridgeHealthKey);
    j["value_template"] = "{{ value_json." + std::string(f.field) + " }}";
    j["state_class"] = ha::kMeasurement;
    j["unit_of_measurement"] = f.unit;
    j["suggested_display_precision"] = 1;
    j["entity_category"] = ha::kDiagnostic;
    j["availability"] = availability_list(s, serial, false);
    out.push_back(Entity{std::string(f.object_id), std::string(platform_name(Platform::kSensor)),
                         std::move(j)});
  }
  return out;
}

Json device_block(const DiscoverySettings& s, const Inventory& inv) {
  Json d;
  d["identifiers"] = Json::array({device_id(topic_id(inv.serial))});
  d["name"] =
      inv.device_name.empty() ? std::string(kManufacturer) + " " + inv.serial : inv.device_name;
  d["manufacturer"] = kManufacturer;
  d["model"] = inv.model();
  d["serial_number"] = inv.serial;
  set_if(d, "sw_version", inv.firmware);
  set_if(d, "configuration_url", s.configuration_url);
  return d;
}

Json origin_block(const DiscoverySettings& s) {
  Json o;
  o["name"] = kOriginName;
  set_if(o, "sw_version", s.sw_version);
  set_if(o, "support_url", s.support_url);
  return o;
}

std::string device_topic(const DiscoverySettings& s, std::string_view object_id) {
  return s.prefix + "/device/" + std::string(object_id) + "/config";
}

std::string entity_topic(const DiscoverySettings& s, std::string_view serial, const Entity& e) {
  return s.prefix + "/" + e.platform + "/" + unique_id(serial, e.object_id) + "/config";
}

// One Home Assistant device with its entities: the inverter (the bridge's own diagnostics and
// the settings included). Further devices (e.g. battery towers, `via_device` the inverter) get
// their own group and so their own device messages.
// NOLINTNEXTLINE(bugprone-exception-escape): only its implicit moves, which allocate nothing
struct DeviceGroup {
  std::string object_id;  // of the device message: rct2mqtt_<serial>[_<suffix>]
  Json device;
  std::vector<Entity> entities;
};

// FNV-1a: a part chosen by it never changes between versions or platforms (std::hash may).
std::uint32_t stable_hash(std::string_view text) {
  std::uint32_t h = 2166136261U;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619U;
  }
  return h;
}

// A device message before it is compared with what was announced.
// NOLINTNEXTLINE(bugprone-exception-escape): only its implicit moves, which allocate nothing
struct PlannedDevice {
  std::string topic;
  Json root;                                   // device, origin, availability (full keys)
  std::vector<const Entity*> entities;         // components in build order
  std::map<std::string, std::string> removed;  // stubs
};

Json device_payload(const PlannedDevice& d) {
  Json payload = d.root;
  Json components = Json::object();
  for (const Entity* e : d.entities) {
    Json c;
    c["platform"] = e->platform;
    for (const auto& [key, value] : e->config.items()) c[key] = value;
    components[e->object_id] = std::move(c);
  }
  for (const auto& [id, platform] : d.removed) {
    components[id] = Json{{"platform", platform}};  // HA removes a platform-only component
  }
  payload["components"] = std::move(components);
  return payload;
}

// The group's device messages: one, or as many parts as keep each under kDevicePayloadLimit.
std::vector<PlannedDevice> plan_group(const DiscoverySettings& s, const DeviceGroup& group,
                                      const Json& root) {
  for (std::uint32_t parts = 1;; ++parts) {
    std::vector<PlannedDevice> out(parts);
    for (std::uint32_t i = 0; i < parts; ++i) {
      out[i].topic = device_topic(
          s, i == 0 ? group.object_id : group.object_id + "_part" + std::to_string(i + 1));
      out[i].root = root;
    }
    for (const Entity& e : group.entities) {
      out[parts == 1 ? 0 : stable_hash(e.object_id) % parts].entities.push_back(&e);
    }
    const bool fits = std::all_of(out.begin(), out.end(), [&s](const PlannedDevice& d) {
      return abbreviate_discovery(device_payload(d)).dump().size() <= s.device_payload_limit;
    });
    if (fits || parts >= group.entities.size()) {
      std::erase_if(out, [](const PlannedDevice& d) { return d.entities.empty(); });
      return out;
    }
  }
}

// The group whose device messages `topic` is one of (its first message or a part), or the first
// group (the inverter's) when none is.
const DeviceGroup& group_of_topic(const DiscoverySettings& s,
                                  const std::vector<DeviceGroup>& groups, std::string_view topic) {
  constexpr std::string_view kSuffix = "/config";
  for (const DeviceGroup& g : groups) {
    const std::string first = device_topic(s, g.object_id);
    if (topic == first) return g;
    const std::string part = s.prefix + "/device/" + g.object_id + "_part";
    if (!topic.starts_with(part) || !topic.ends_with(kSuffix)) continue;
    const std::string_view number =
        topic.substr(part.size(), topic.size() - part.size() - kSuffix.size());
    if (!number.empty() &&
        std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return g;
    }
  }
  return groups.front();
}

}  // namespace

std::string device_id(std::string_view serial) {
  return "rct2mqtt_" + topic_id(serial);
}

DiscoverySettings discovery_settings(const Config& config, std::string sw_version) {
  DiscoverySettings s;
  s.prefix = config.homeassistant.prefix;
  s.mode = config.homeassistant.mode;
  s.base_topic = config.mqtt.base_topic;
  s.heartbeat = std::chrono::duration_cast<Duration>(config.mqtt.heartbeat);
  s.sw_version = std::move(sw_version);
  if (config.writes.enabled) s.writable = allowed_writable(config.writes);
  s.battery_mode = battery_modes_allowed(config.writes);
  return s;
}

DiscoveryBuild build_discovery(const DiscoverySettings& settings, const Inventory& inventory,
                               const std::vector<PollItem>& items,
                               const AnnouncedDiscovery* previous) {
  DiscoveryBuild out;
  if (inventory.serial.empty()) return out;
  const std::string serial = topic_id(inventory.serial);

  std::vector<DeviceGroup> groups;
  DeviceGroup& inverter = groups.emplace_back();
  inverter.object_id = device_id(serial);
  inverter.device = device_block(settings, inventory);
  for (const PollItem& item : items) {
    for (const SensorSpec& spec : item.sensors) {
      inverter.entities.push_back(sensor_entity(settings, serial, item, spec));
    }
  }
  for (Entity& e : bridge_entities(settings, serial)) inverter.entities.push_back(std::move(e));
  for (Entity& e : bridge_health_entities(settings, serial)) {
    inverter.entities.push_back(std::move(e));
  }
  for (ButtonComponent& b : bridge_buttons(settings.base_topic, serial)) {
    inverter.entities.push_back(
        Entity{std::move(b.object_id), std::string(kButtonPlatform), std::move(b.config)});
  }
  for (const WritableEntry* w : settings.writable) {
    inverter.entities.push_back(setting_entity(settings, serial, *w));
  }
  if (settings.battery_mode) inverter.entities.push_back(battery_mode_entity(settings, serial));
  for (FaultComponent& c : fault_components(
           items, device_id(serial), value_topic(settings.base_topic, serial, kFaultEventKey))) {
    inverter.entities.push_back(Entity{c.object_id, c.platform, std::move(c.config)});
  }
  // (`inverter` is not used below: the next emplace_back may move it.)
  for (TowerDevice& t : battery_tower_devices(settings, inventory, items)) {
    DeviceGroup& g = groups.emplace_back();
    g.object_id = std::move(t.object_id);
    g.device = std::move(t.device);
    for (TowerSensor& e : t.sensors) {
      g.entities.push_back(Entity{std::move(e.object_id), "sensor", std::move(e.config)});
    }
  }

  AnnouncedDiscovery& now = out.announced;
  now.mode = settings.mode;
  std::map<std::string, std::string> live;  // object id → platform
  for (const DeviceGroup& g : groups) {
    for (const Entity& e : g.entities) live[e.object_id] = e.platform;
  }
  const Json origin = origin_block(settings);
  const Json availability = availability_list(settings, serial, true);

  // Where each live entity's config goes now: object id → topic.
  std::map<std::string, std::string> home;
  std::vector<DiscoveryMessage> configs;
  std::vector<PlannedDevice> planned;
  if (settings.mode == DiscoveryMode::kDevice) {
    for (const DeviceGroup& g : groups) {
      Json root;
      root["device"] = g.device;
      root["origin"] = origin;
      root["availability"] = availability;
      root["availability_mode"] = "all";
      for (PlannedDevice& d : plan_group(settings, g, root)) {
        for (const Entity* e : d.entities) home[e->object_id] = d.topic;
        planned.push_back(std::move(d));
      }
    }
  } else {
    for (DeviceGroup& g : groups) {
      for (Entity& e : g.entities) {
        Json payload = std::move(e.config);
        // Device triggers have no availability.
        if (!payload.contains("availability") && e.platform != "device_automation") {
          payload["availability"] = availability;
          payload["availability_mode"] = "all";
        }
        payload["device"] = g.device;
        payload["origin"] = origin;
        const std::string topic = entity_topic(settings, serial, e);
        home[e.object_id] = topic;
        now.topics.push_back(topic);
        configs.push_back(DiscoveryMessage{topic, payload_text(payload)});
      }
    }
  }

  // What was announced before, per topic: its live entities and (device mode) its stubs.
  std::vector<AnnouncedDevice> before;
  if (previous != nullptr && previous->mode == DiscoveryMode::kDevice) {
    before = previous->devices;
  } else if (previous != nullptr) {
    for (const auto& [id, platform] : previous->components) {
      Entity probe{id, platform, Json()};
      before.push_back(
          AnnouncedDevice{entity_topic(settings, serial, probe), {{id, platform}}, {}});
    }
  }
  const auto in_use = [&](const std::string& topic) {
    return std::any_of(planned.begin(), planned.end(),
                       [&](const PlannedDevice& d) { return d.topic == topic; }) ||
           std::find(now.topics.begin(), now.topics.end(), topic) != now.topics.end();
  };

  std::vector<DiscoveryMessage> first;     // removals, stub-only payloads
  std::vector<DiscoveryMessage> migrates;  // hand-overs
  std::vector<DiscoveryMessage> last;      // handed-over topics no longer used
  std::map<std::string, std::map<std::string, std::string>> stubs;  // topic → dropped
  const bool device_mode_before = previous != nullptr && previous->mode == DiscoveryMode::kDevice;
  for (const AnnouncedDevice& old : before) {
    std::map<std::string, std::string> dropped = old.removed.to_map();
    bool moves = false;
    for (const auto& [id, platform] : old.components) {
      const auto it = home.find(id);
      if (it == home.end() || live.at(id) != platform) {
        dropped.emplace(id, platform);
      } else if (it->second != old.topic) {
        moves = true;
      }
    }
    for (const auto& [id, platform] : live) dropped.erase(id);
    const bool kept = in_use(old.topic);
    if (moves) {
      if (device_mode_before && !dropped.empty()) {
        Json root;
        root["device"] = group_of_topic(settings, groups, old.topic).device;
        root["origin"] = origin;
        PlannedDevice stub_only{old.topic, root, {}, dropped};
        first.push_back(DiscoveryMessage{old.topic, payload_text(device_payload(stub_only))});
      }
      migrates.push_back(DiscoveryMessage{old.topic, std::string(kMigratePayload)});
      if (!kept) last.push_back(DiscoveryMessage{old.topic, ""});
    } else if (!kept) {
      first.push_back(DiscoveryMessage{old.topic, ""});
    } else if (device_mode_before) {
      stubs[old.topic] = std::move(dropped);
    }
  }

  if (previous != nullptr) {
    // Topics recorded without their entities (nothing to hand over): cleared if unused.
    for (const std::string& topic : previous->topics) {
      const bool known = std::any_of(before.begin(), before.end(),
                                     [&](const AnnouncedDevice& d) { return d.topic == topic; });
      if (!known && !in_use(topic)) first.push_back(DiscoveryMessage{topic, ""});
    }
  }

  for (PlannedDevice& d : planned) {
    if (const auto it = stubs.find(d.topic); it != stubs.end()) d.removed = it->second;
    AnnouncedDevice& a = now.devices.emplace_back();
    a.topic = d.topic;
    for (const Entity* e : d.entities) a.components[e->object_id] = e->platform;
    a.removed = ComponentMap(d.removed);
    now.topics.push_back(d.topic);
    configs.push_back(DiscoveryMessage{d.topic, payload_text(device_payload(d))});
  }

  if (settings.mode == DiscoveryMode::kEntity) now.components = ComponentMap(live);
  for (auto* part : {&first, &migrates, &configs, &last}) {
    for (DiscoveryMessage& m : *part) out.messages.push_back(std::move(m));
  }
  return out;
}

std::map<std::string, std::string> live_components(const AnnouncedDiscovery& announced) {
  if (announced.mode == DiscoveryMode::kEntity) return announced.components.to_map();
  std::map<std::string, std::string> out;
  for (const AnnouncedDevice& d : announced.devices)
    out.insert(d.components.begin(), d.components.end());
  return out;
}

std::vector<DiscoveryMessage> removal_messages(const AnnouncedDiscovery& announced) {
  std::vector<DiscoveryMessage> out;
  for (const std::string& topic : announced.topics) out.push_back(DiscoveryMessage{topic, ""});
  return out;
}

}  // namespace rct::daemon
