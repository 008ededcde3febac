#include "daemon/value_catalog.h"

#include <cstdio>
#include <set>
#include <string>

#include "core/enum_tables.h"
#include "core/inventory.h"
#include "core/registry.h"
#include "tests/support/catch.h"

using rct::DataType;
using rct::daemon::CounterKind;
using rct::daemon::Quantity;

namespace {

std::string hex(std::uint32_t oid) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08X", static_cast<unsigned>(oid));
  return buf;
}

bool key_chars_ok(std::string_view key) {
  if (key.empty() || key.front() == '/' || key.back() == '/') return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '/';
    if (!ok) return false;
  }
  return key.find("//") == std::string_view::npos;
}

}  // namespace

TEST_CASE("the default set has about a hundred values, each a registry OID of a fitting type",
          "[catalog]") {
  const rct::Registry registry;
  const auto entries = rct::daemon::catalog();
  CHECK(entries.size() >= 90);
  CHECK(entries.size() <= 130);
  std::set<std::uint32_t> oids;
  std::set<std::string_view> keys;
  std::set<std::string> object_ids;
  for (const auto& e : entries) {
    INFO(hex(e.oid) << " " << e.key);
    const rct::OidInfo* info = registry.find(e.oid);
    REQUIRE(info != nullptr);
    CHECK(rct::daemon::quantity_accepts(e.quantity, info->response_type));
    CHECK(oids.insert(e.oid).second);
    CHECK(keys.insert(e.key).second);
    CHECK(object_ids.insert(rct::daemon::object_id_from_key(e.key)).second);
    CHECK(key_chars_ok(e.key));
    CHECK(!e.name.empty());
    // Lifetime and periodic are exclusive.
    CHECK((e.flags & (rct::daemon::kLifetime | rct::daemon::kPeriodic)) !=
          (rct::daemon::kLifetime | rct::daemon::kPeriodic));
  }
  for (const auto& d : rct::daemon::derived_sensors()) {
    INFO(d.key);
    CHECK(oids.count(d.source_oid) == 1);
    CHECK(keys.insert(d.key).second);
    CHECK(key_chars_ok(d.key));
  }
}

TEST_CASE("catalog units agree with the registry's unit where the registry has one", "[catalog]") {
  const rct::Registry registry;
  for (const auto& e : rct::daemon::catalog()) {
    const rct::OidInfo* info = registry.find(e.oid);
    REQUIRE(info != nullptr);
    if (info->unit.empty()) continue;
    INFO(hex(e.oid) << " " << info->name << " registry unit " << info->unit);
    const auto& traits = rct::daemon::quantity_traits(e.quantity);
    switch (e.quantity) {
      case Quantity::kSoc:
      case Quantity::kFraction:
        // Fractions 0..1 although some are marked % (docs/protocol.md §15.2): scaled to %.
        CHECK(traits.scale == 100);
        CHECK(traits.unit == "%");
        break;
      case Quantity::kResistance:
        CHECK(info->unit == "Ohm");
        CHECK(traits.unit == "Ω");
        break;
      case Quantity::kPower:
        CHECK((info->unit == "W" || info->unit == "Wp"));
        break;
      case Quantity::kPowerFactor:
        CHECK(info->unit == "cos(Phi)");
        CHECK(traits.unit.empty());  // HA's power_factor: no unit (or %)
        break;
      default:
        CHECK(info->unit == traits.unit);
        break;
    }
  }
}

TEST_CASE("every lifetime counter of docs/protocol.md §15.3 is guarded, feed-in as absolute value",
          "[catalog]") {
  struct Row {
    std::uint32_t oid;
    bool absolute;
  };
  const Row lifetime[] = {
      {0xB1EF67CE, false}, {0xFC724A9E, false}, {0x68EEFD3D, false}, {0x62FBE7DC, false},
      {0x44D4C533, true},  {0xEFF4B537, false}, {0xA59C8428, false}, {0x5570401B, false},
      {0xA9033880, false}, {0x06A9FFA2, false}, {0x2BC1E72B, false}, {0xC0DF2978, false},
  };
  const rct::Registry registry;
  for (const Row& r : lifetime) {
    INFO(hex(r.oid));
    const auto* e = rct::daemon::find_catalog_entry(r.oid);
    REQUIRE(e != nullptr);
    const auto s = rct::daemon::sensor_from_catalog(*e, registry.find(r.oid)->response_type);
    CHECK(s.counter == CounterKind::kLifetime);
    CHECK(s.state_class == "total_increasing");
    CHECK((s.sign == rct::daemon::Sign::kAbsolute) == r.absolute);
  }
  // Every day/month/year energy counter is periodic; feed-in ones absolute.
  for (const auto& e : rct::daemon::catalog()) {
    const std::string_view name = registry.find(e.oid)->name;
    INFO(name);
    const bool periodic_name =
        name.rfind("energy.", 0) == 0 && (name.find("_day") != std::string_view::npos ||
                                          name.find("_month") != std::string_view::npos ||
                                          name.find("_year") != std::string_view::npos);
    CHECK(periodic_name == ((e.flags & rct::daemon::kPeriodic) != 0));
    if (name.find("e_grid_feed") != std::string_view::npos) {
      CHECK((e.flags & rct::daemon::kAbsolute) != 0);
    }
  }
}

TEST_CASE("sensors resolve to Home Assistant's vocabulary", "[catalog]") {
  const rct::Registry registry;
  const auto sensor = [&](std::uint32_t oid) {
    const auto* e = rct::daemon::find_catalog_entry(oid);
    REQUIRE(e != nullptr);
    return rct::daemon::sensor_from_catalog(*e, registry.find(oid)->response_type);
  };
  const auto soc = sensor(0x959930BF);
  CHECK(soc.key == "battery/soc");
  CHECK(soc.object_id == "battery_soc");
  CHECK(soc.device_class == "battery");
  CHECK(soc.unit == "%");
  CHECK(soc.scale == 100);
  CHECK(soc.state_class == "measurement");
  CHECK(soc.enabled_by_default);

  const auto grid = sensor(0x91617C58);
  CHECK(grid.key == "grid/power");
  CHECK(grid.device_class == "power");
  CHECK(grid.unit == "W");
  CHECK(grid.bounds.has_value());
  CHECK(grid.bounds->contains(-20000));
  CHECK(!grid.bounds->contains(150000));

  const auto temp = sensor(0xF79D41D9);
  CHECK(temp.unit == "°C");

  const auto state = sensor(0x5F33284E);  // prim_sm.state, ENUM with a table
  CHECK(state.enum_text);
  CHECK(state.device_class.empty());
  CHECK(state.unit.empty());
  CHECK(state.state_class.empty());

  const auto connected = sensor(0x701A0482);
  CHECK(connected.platform == rct::daemon::Platform::kBinarySensor);
  CHECK(connected.entity_category == "diagnostic");
  CHECK_FALSE(connected.enabled_by_default);

  const auto* grid_source = rct::daemon::find_catalog_entry(0x91617C58);
  int derived = 0;
  for (const auto& d : rct::daemon::derived_sensors()) {
    if (d.source_oid != grid_source->oid) continue;
    const auto s = rct::daemon::sensor_from_derived(d, grid);
    CHECK(s.device_class == "power");
    CHECK(s.derivation != rct::daemon::Derivation::kNone);
    ++derived;
  }
  CHECK(derived == 2);
}

TEST_CASE("the inventory OIDs are in the catalog, so that they are published too", "[catalog]") {
  for (const auto& o : rct::inventory_oids()) {
    INFO(hex(o.id));
    CHECK(rct::daemon::find_catalog_entry(o.id) != nullptr);
  }
}
