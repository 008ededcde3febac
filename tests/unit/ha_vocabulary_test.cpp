#include <set>
#include <span>
#include <string_view>

#include "ha/vocabulary.h"
#include "tests/support/catch.h"

namespace ha = rct::ha;

namespace {

bool all_distinct(std::span<const std::string_view> list) {
  const std::set<std::string_view> seen(list.begin(), list.end());
  return seen.size() == list.size();
}

bool lower_snake(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("Home Assistant vocabulary lists hold distinct lower-case words", "[ha_vocabulary]") {
  for (const auto list : {std::span<const std::string_view>(ha::kSensorDeviceClasses),
                          std::span<const std::string_view>(ha::kBinarySensorDeviceClasses),
                          std::span<const std::string_view>(ha::kNonNumericDeviceClasses),
                          std::span<const std::string_view>(ha::kStateClasses),
                          std::span<const std::string_view>(ha::kEntityCategories)}) {
    CHECK(all_distinct(list));
    for (std::string_view w : list) {
      INFO(w);
      CHECK(lower_snake(w));
    }
  }
  CHECK(ha::platform_name(ha::Platform::kBinarySensor) == "binary_sensor");
  CHECK(ha::platform_name(ha::Platform::kSelect) == "select");
}

TEST_CASE("every unit rule names a numeric sensor device class and known state classes",
          "[ha_vocabulary]") {
  std::set<std::string_view> classes;
  for (const ha::DeviceClassRule& r : ha::kDeviceClassRules) {
    INFO(r.device_class);
    CHECK(classes.insert(r.device_class).second);
    CHECK(ha::is_device_class(ha::Platform::kSensor, r.device_class));
    CHECK(ha::is_device_class(ha::Platform::kNumber, r.device_class));
    CHECK_FALSE(r.units.empty());
    CHECK(all_distinct(r.units));
    CHECK_FALSE(r.state_classes.empty());
    for (std::string_view s : r.state_classes) CHECK(ha::is_state_class(s));
  }
}

TEST_CASE("device classes are checked against the platform, the unit and the state class",
          "[ha_vocabulary]") {
  CHECK(ha::is_device_class("power"));
  CHECK(ha::is_device_class("connectivity"));  // a binary sensor class
  CHECK_FALSE(ha::is_device_class("batery"));
  CHECK_FALSE(ha::is_device_class("wind_speed"));  // left out on purpose
  CHECK(ha::is_device_class(ha::Platform::kBinarySensor, "connectivity"));
  CHECK_FALSE(ha::is_device_class(ha::Platform::kSensor, "connectivity"));
  CHECK_FALSE(ha::is_device_class(ha::Platform::kNumber, "enum"));
  CHECK(ha::is_device_class(ha::Platform::kSensor, "enum"));

  CHECK(ha::fits_device_class("power", "W", "measurement"));
  CHECK(ha::fits_device_class("power", "kW", ""));
  CHECK_FALSE(ha::fits_device_class("power", "Wh", "measurement"));
  CHECK_FALSE(ha::fits_device_class("power", "W", "total_increasing"));
  CHECK(ha::fits_device_class("energy", "Wh", "total_increasing"));
  CHECK_FALSE(ha::fits_device_class("energy", "Wh", "measurement"));
  CHECK(ha::fits_device_class("power_factor", "", "measurement"));
  CHECK(ha::fits_device_class("battery", "%", "measurement"));
  CHECK_FALSE(ha::fits_device_class("humidity", "%", "measurement"));  // no rule: not ours
}

TEST_CASE("icons are a prefix and a name of lower-case letters, digits, '-' and '_'",
          "[ha_vocabulary]") {
  CHECK(ha::is_icon("mdi:solar-power"));
  CHECK(ha::is_icon("mdi:battery_50"));
  CHECK_FALSE(ha::is_icon("mdi:"));
  CHECK_FALSE(ha::is_icon(":solar"));
  CHECK_FALSE(ha::is_icon("solar-power"));
  CHECK_FALSE(ha::is_icon("mdi:Solar"));
  CHECK_FALSE(ha::is_icon("mdi:solar power"));
}
