#include "daemon/battery_discovery.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "daemon/battery_figures.h"
#include "daemon/battery_modules.h"
#include "daemon/topics.h"
#include "ha/vocabulary.h"

namespace rct::daemon {
namespace {

using TowerJson = nlohmann::ordered_json;

struct TowerEntity {
  std::string object_id;
  TowerJson config;  // without platform, device, origin, availability
};

// The longest interval any module OID is polled at; zero when none is polled.
Millis module_poll_interval(const std::vector<PollItem>& items) {
  Millis longest{0};
  for (const PollItem& item : items) {
    if (find_module_oid(item.oid)) longest = std::max(longest, item.interval);
  }
  return longest;
}

TowerEntity figure_entity(const DiscoverySettings& s, std::string_view serial,
                          const std::string& key, const std::string& name, const FigureLook& look,
                          Millis interval) {
  const std::string object_id = object_id_from_key(key);
  const std::string uid = device_id(serial) + "_" + object_id;
  TowerJson j;
  j["name"] = name;
  j["unique_id"] = uid;
  j["default_entity_id"] = "sensor." + uid;
  j["state_topic"] = value_topic(s.base_topic, serial, key);
  if (!look.device_class.empty()) j["device_class"] = look.device_class;
  j["state_class"] = look.state_class;
  if (!look.unit.empty()) j["unit_of_measurement"] = look.unit;
  j["suggested_display_precision"] = look.precision;
  if (!look.icon.empty()) j["icon"] = look.icon;
  if (look.diagnostic) j["entity_category"] = ha::kDiagnostic;
  if (!look.enabled) j["enabled_by_default"] = false;
  if (interval > Millis::zero()) {
    // As the inverter's values: stale after three missed heartbeats or poll intervals.
    const Duration period = std::max(s.heartbeat, Duration(interval));
    j["expire_after"] = 3 * std::chrono::ceil<std::chrono::seconds>(period).count();
  }
  return TowerEntity{object_id, std::move(j)};
}

std::vector<TowerEntity> tower_entities(const DiscoverySettings& s, std::string_view serial,
                                        const Inventory& inventory, std::size_t tower,
                                        Millis interval) {
  std::vector<TowerEntity> out;
  for (TowerFigure f : kTowerFigures) {
    const FigureLook look = figure_look(f);
    std::string name(look.name);
    name.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(name.front())));
    out.push_back(figure_entity(s, serial, tower_key(tower, look.leaf), name, look, interval));
  }
  for (std::size_t slot = 0; slot < kModuleSlots; ++slot) {
    if (!inventory.battery_slots.filled(tower, slot)) continue;
    for (ModuleFigure f : kModuleFigures) {
      const FigureLook look = figure_look(f);
      const std::string name = "Module " + std::to_string(slot + 1) + " " + std::string(look.name);
      out.push_back(
          figure_entity(s, serial, module_key(tower, slot, look.leaf), name, look, interval));
    }
  }
  return out;
}

TowerJson tower_device_block(const Inventory& inv, std::string_view serial, std::size_t tower) {
  TowerJson d;
  d["identifiers"] = TowerJson::array({battery_tower_device_id(serial, tower)});
  const std::string inverter =
      inv.device_name.empty() ? std::string(kManufacturer) + " " + inv.serial : inv.device_name;
  d["name"] = inverter + " battery tower " + std::to_string(tower + 1);
  d["manufacturer"] = kManufacturer;
  d["model"] = "Battery tower";
  d["via_device"] = device_id(serial);
  return d;
}

}  // namespace

std::string battery_tower_device_id(std::string_view serial, std::size_t tower) {
  return device_id(serial) + "_battery_tower_" + std::to_string(tower + 1);
}

std::vector<TowerDevice> battery_tower_devices(const DiscoverySettings& settings,
                                               const Inventory& inventory,
                                               const std::vector<PollItem>& items) {
  std::vector<TowerDevice> out;
  if (inventory.serial.empty()) return out;
  const std::string serial = topic_id(inventory.serial);
  const Millis interval = module_poll_interval(items);
  for (std::size_t tower = 0; tower < kBatteryTowers; ++tower) {
    if (!inventory.battery_slots.tower_filled(tower)) continue;
    std::vector<TowerSensor> sensors;
    for (TowerEntity& e : tower_entities(settings, serial, inventory, tower, interval)) {
      sensors.push_back(TowerSensor{std::move(e.object_id), std::move(e.config)});
    }
    out.push_back(TowerDevice{battery_tower_device_id(serial, tower),
                              tower_device_block(inventory, serial, tower), std::move(sensors)});
  }
  return out;
}

}  // namespace rct::daemon
