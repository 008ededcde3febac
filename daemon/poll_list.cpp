#include "daemon/poll_list.h"

#include <algorithm>
#include <map>
#include <optional>

#include "core/battery_status.h"
#include "core/enum_tables.h"
#include "core/fault_words.h"
#include "core/hex.h"
#include "core/inventory.h"
#include "daemon/battery_modules.h"
#include "daemon/value_catalog.h"
#include "ha/vocabulary.h"

namespace rct::daemon {
namespace {

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

Millis class_interval(const PollConfig& p, PollClass c) {
  switch (c) {
    case PollClass::kFast:
      return p.fast_interval;
    case PollClass::kSlow:
      return p.slow_interval;
    case PollClass::kStatic:
      return p.static_interval;
  }
  return p.slow_interval;
}

// A sensor for a value the catalog does not describe, from the registry's unit and type.
SensorSpec generic_sensor(std::uint32_t oid, std::string_view name, std::string_view unit,
                          DataType type) {
  Quantity q = Quantity::kNumber;
  switch (type) {
    case DataType::kBool:
      q = Quantity::kFlag;
      break;
    case DataType::kString:
    case DataType::kEnum:
      q = Quantity::kText;
      break;
    default:
      if (unit == "W" || unit == "Wp") {
        q = Quantity::kPower;
      } else if (unit == "VA") {
        q = Quantity::kApparentPower;
      } else if (unit == "var") {
        q = Quantity::kReactivePower;
      } else if (unit == "Wh") {
        q = Quantity::kEnergy;
      } else if (unit == "Ah") {
        q = Quantity::kCharge;
      } else if (unit == "V") {
        q = Quantity::kVoltage;
      } else if (unit == "A") {
        q = Quantity::kCurrent;
      } else if (unit == "Hz") {
        q = Quantity::kFrequency;
      } else if (unit == "°C") {
        q = Quantity::kTemperature;
      } else if (unit == "Ohm") {
        q = Quantity::kResistance;
      }
      break;
  }
  const std::string key = key_from_registry_name(name);
  const CatalogEntry row{.oid = oid,
                         .key = key,
                         .name = name,
                         .quantity = q,
                         .poll = PollClass::kSlow,
                         .requirement = Requirement::kNone,
                         .flags = 0};
  SensorSpec s = sensor_from_catalog(row, type);
  if (q == Quantity::kNumber && !unit.empty()) s.unit = unit;
  // Every registry Wh value is a catalog counter; another one is not known to be a counter
  // (state_class total, no counter guard) and may be negative.
  if (q == Quantity::kEnergy) s.bounds = Bounds{-1e10, 1e10};
  return s;
}

void apply_overrides(const PollValue& v, SensorSpec& s) {
  if (!v.friendly_name.empty()) s.name = v.friendly_name;
  if (!v.topic.empty()) {
    s.key = v.topic;
    s.object_id = object_id_from_key(v.topic);
  }
  if (v.scale) s.scale = *v.scale;
  if (v.deadband) s.deadband = *v.deadband;
  const HaOverrides& ha = v.homeassistant;
  if (ha.device_class) s.device_class = *ha.device_class;
  if (ha.state_class) s.state_class = *ha.state_class;
  if (ha.unit) s.unit = *ha.unit;
  if (ha.icon) s.icon = *ha.icon;
  if (ha.entity_category) s.entity_category = *ha.entity_category;
  if (ha.enabled_by_default) s.enabled_by_default = *ha.enabled_by_default;
  if (ha.suggested_display_precision) s.display_precision = *ha.suggested_display_precision;
}

class Builder {
 public:
  Builder(const PollConfig& poll, const WritesConfig& writes, const Registry& registry,
          const Inventory& inventory)
      : poll_(poll), writes_(writes), registry_(registry), inventory_(inventory) {}

  std::vector<PollItem> build() {
    for (const InventoryOid& o : inventory_oids()) {
      if (PollItem* item = add_item(o.id, std::nullopt)) {
        item->inventory = true;
        item->poll_class = PollClass::kStatic;
        item->interval = poll_.static_interval;
      }
    }
    if (poll_.defaults) add_defaults();
    if (poll_.defaults) add_battery_modules();
    for (const PollValue& v : poll_.values) add_configured(v);
    if (writes_.enabled) add_settings();
    // A session keeps its list while it runs: no spare capacity from growing it.
    for (PollItem& item : items_) item.sensors.shrink_to_fit();
    items_.shrink_to_fit();
    return std::move(items_);
  }

 private:
  bool excluded(std::uint32_t oid) const {
    const OidInfo* info = registry_.find(oid);
    return std::any_of(poll_.exclude.begin(), poll_.exclude.end(), [&](const ValueRef& r) {
      if (r.id) return *r.id == oid;
      return info != nullptr && info->name == r.name;
    });
  }

  PollItem* find(std::uint32_t oid) {
    auto it =
        std::find_if(items_.begin(), items_.end(), [&](const PollItem& i) { return i.oid == oid; });
    return it == items_.end() ? nullptr : &*it;
  }

  // The item for `oid`, created when missing. `type` only for OIDs the registry lacks.
  PollItem* add_item(std::uint32_t oid, std::optional<DataType> type) {
    if (PollItem* existing = find(oid)) return existing;
    PollItem item;
    item.oid = oid;
    if (const OidInfo* info = registry_.find(oid)) {
      item.type = info->response_type;
      item.name = info->name;
    } else if (type) {
      item.type = *type;
      item.name = format_oid(oid);
    } else {
      return nullptr;
    }
    item.poll_class = PollClass::kSlow;
    item.interval = poll_.slow_interval;
    items_.push_back(std::move(item));
    return &items_.back();
  }

  void attach_catalog_sensor(PollItem& item, const CatalogEntry& e) {
    if (!item.sensors.empty()) return;
    item.sensors.push_back(sensor_from_catalog(e, item.type));
    item.requirement = e.requirement;
    if (!item.inventory) {
      item.poll_class = e.poll;
      item.interval = class_interval(poll_, e.poll);
    }
  }

  void attach_derived(PollItem& item) {
    if (item.sensors.empty()) return;
    const SensorSpec source = item.sensors.front();
    for (const DerivedEntry& d : derived_sensors()) {
      if (d.source_oid != item.oid) continue;
      // The battery state needs both status words: without bat_status polled it has no value.
      if (d.derivation == Derivation::kBatteryState && find(kOidBatteryStatus) == nullptr) continue;
      // The fault sensor needs all four fault words.
      if (d.derivation == Derivation::kFaultState &&
          std::any_of(kFaultWordOids.begin(), kFaultWordOids.end(),
                      [&](std::uint32_t oid) { return find(oid) == nullptr; })) {
        continue;
      }
      const bool present = std::any_of(item.sensors.begin(), item.sensors.end(),
                                       [&](const SensorSpec& s) { return s.key == d.key; });
      if (!present) item.sensors.push_back(sensor_from_derived(d, source));
    }
  }

  void add_defaults() {
    for (const CatalogEntry& e : catalog()) {
      if (excluded(e.oid) || !inventory_.satisfies(e.requirement)) continue;
      const OidInfo* info = registry_.find(e.oid);
      if (info == nullptr || !quantity_accepts(e.quantity, info->response_type)) continue;
      if (PollItem* item = add_item(e.oid, std::nullopt)) {
        attach_catalog_sensor(*item, e);
        attach_derived(*item);
      }
    }
  }

  // The battery modules of both towers (docs/mqtt.md §2.8) every module_interval: the cells of
  // every slot, which tell the filled slots (inventory.battery_slots); for a filled slot its
  // resistances and cycles, and its tower's state of health. No sensors: the session publishes
  // their figures (daemon/battery_module_state.h). An OID polled already keeps its item.
  void add_battery_modules() {
    if (!inventory_.satisfies(Requirement::kBattery)) return;
    auto add_module_oid = [this](std::uint32_t oid) {
      if (find(oid) != nullptr) return;
      if (PollItem* item = add_item(oid, std::nullopt)) item->interval = poll_.module_interval;
    };
    for (std::size_t t = 0; t < kBatteryTowers; ++t) {
      const TowerOids& tower = battery_tower_oids()[t];
      for (std::size_t s = 0; s < kModuleSlots; ++s) {
        add_module_oid(tower.cells[s]);
        if (!inventory_.battery_slots.filled(t, s)) continue;
        add_module_oid(tower.resist[s]);
        add_module_oid(tower.cycles[s]);
      }
      if (inventory_.battery_slots.tower_filled(t)) add_module_oid(tower.soh);
    }
  }

  // The writable settings, so that their state topics show the device's values; no sensor
  // (the session publishes them under settings/). An OID polled already keeps its item.
  void add_settings() {
    for (const WritableEntry* e : allowed_writable(writes_)) add_item(e->oid, std::nullopt);
  }

  void add_configured(const PollValue& v) {
    std::uint32_t oid = 0;
    if (v.value.id) {
      oid = *v.value.id;
    } else if (const OidInfo* info = registry_.find(v.value.name)) {
      oid = info->id;
    } else {
      return;
    }
    PollItem* item = add_item(oid, v.type);
    if (item == nullptr) return;
    if (item->sensors.empty()) {
      const CatalogEntry* e = find_catalog_entry(oid);
      if (e != nullptr && quantity_accepts(e->quantity, item->type)) {
        attach_catalog_sensor(*item, *e);
        attach_derived(*item);
      } else {
        const OidInfo* info = registry_.find(oid);
        item->sensors.push_back(
            generic_sensor(oid, item->name, info != nullptr ? info->unit : "", item->type));
      }
    }
    apply_overrides(v, item->sensors.front());
    if (v.interval) item->interval = *v.interval;
  }

  const PollConfig& poll_;
  const WritesConfig& writes_;
  const Registry& registry_;
  const Inventory& inventory_;
  std::vector<PollItem> items_;
};

bool reserved_key(std::string_view key, std::string& why) {
  if (key == "status") {
    why = "the inverter's availability topic";
  } else if (key == "state") {
    why = "the JSON aggregate topic";
  } else if (key == "ts") {
    why = "the JSON aggregate's timestamp";
  } else if (key == "bridge" || key.substr(0, 7) == "bridge/") {
    why = "the bridge's diagnostic topics";
  } else if (key == "settings" || key.substr(0, 9) == "settings/") {
    why = "the writable settings' topics (settings/...)";
  } else if (key == "set" || (key.size() >= 4 && key.substr(key.size() - 4) == "/set")) {
    why = "command topics (.../set)";
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string key_from_registry_name(std::string_view name) {
  std::string key;
  if (name.size() == 10 && name.substr(0, 2) == "0x") return "oid/" + std::string(name);
  for (char c : name) {
    if (c == '.') {
      key += '/';
    } else if (c == '[') {
      key += '_';
    } else if (c == ']') {
      continue;
    } else {
      key += is_id_char(c) ? c : '_';
    }
  }
  return key;
}

std::vector<PollItem> build_poll_list(const PollConfig& poll, const WritesConfig& writes,
                                      const Registry& registry, const Inventory& inventory) {
  return Builder(poll, writes, registry, inventory).build();
}

std::vector<PollItem> build_poll_list(const Config& config, const Registry& registry,
                                      const Inventory& inventory) {
  return build_poll_list(config.poll, config.writes, registry, inventory);
}

std::vector<std::string> poll_list_conflicts(const std::vector<PollItem>& items) {
  std::vector<std::string> problems;
  std::map<std::string, const PollItem*> keys;
  std::map<std::string, std::string> object_ids;  // object id → key
  for (const PollItem& item : items) {
    for (const SensorSpec& s : item.sensors) {
      std::string why;
      if (reserved_key(s.key, why)) {
        problems.push_back("'" + s.key + "' (" + item.name + ") collides with " + why);
      }
      if (s.entity_category == ha::kConfig) {
        // HA refuses sensors and binary sensors in the config category.
        problems.push_back("'" + s.key + "' (" + item.name +
                           "): a read-only value cannot have entity_category \"config\"; use "
                           "\"diagnostic\"");
      }
      auto [k, new_key] = keys.emplace(s.key, &item);
      if (!new_key) {
        problems.push_back("'" + s.key + "' is used by both " + k->second->name + " and " +
                           item.name);
        continue;
      }
      auto [o, new_id] = object_ids.emplace(s.object_id, s.key);
      if (!new_id) {
        problems.push_back("'" + s.key + "' and '" + o->second +
                           "' give the same Home Assistant id '" + s.object_id + "'");
      }
    }
  }
  // The JSON aggregate nests keys by level, so no key may be a level of another one.
  for (auto it = keys.begin(); it != keys.end(); ++it) {
    const std::string prefix = it->first + "/";
    auto next = keys.lower_bound(prefix);
    if (next != keys.end() && next->first.compare(0, prefix.size(), prefix) == 0) {
      problems.push_back("'" + it->first + "' is a topic level of '" + next->first +
                         "'; the JSON aggregate cannot hold both");
    }
  }
  return problems;
}

}  // namespace rct::daemon
