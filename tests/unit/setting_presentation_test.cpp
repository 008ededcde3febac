#include "daemon/setting_presentation.h"

#include <set>
#include <string>

#include "core/write_allowlist.h"
#include "ha/vocabulary.h"
#include "tests/support/catch.h"

using rct::WritableEntry;
using rct::WriteKind;
using rct::daemon::SettingPresentation;

TEST_CASE("every allowlisted setting has exactly one presentation row and no row is left over",
          "[setting_presentation]") {
  std::set<std::string_view> allowlisted;
  for (const WritableEntry& e : rct::writable_entries()) {
    INFO(e.key);
    allowlisted.insert(e.key);
    int rows = 0;
    for (const SettingPresentation& p : rct::daemon::setting_presentations()) {
      if (p.key == e.key) ++rows;
    }
    CHECK(rows == 1);
    CHECK(rct::daemon::setting_presentation(e).key == e.key);
  }
  for (const SettingPresentation& p : rct::daemon::setting_presentations()) {
    INFO(p.key);
    CHECK(allowlisted.count(p.key) == 1);
  }
}

TEST_CASE("a setting's device class is a number device class that accepts its unit",
          "[setting_presentation]") {
  for (const WritableEntry& e : rct::writable_entries()) {
    const SettingPresentation p = rct::daemon::setting_presentation(e);
    INFO(e.key << ": " << p.device_class << " in " << e.unit);
    CHECK_FALSE(p.label.empty());
    if (p.device_class.empty()) continue;
    CHECK(rct::write_kind(e) == WriteKind::kNumber);
    CHECK(rct::ha::is_device_class(rct::ha::Platform::kNumber, p.device_class));
    CHECK(rct::ha::fits_device_class(p.device_class, e.unit, ""));
  }
}

TEST_CASE("a setting is a number, select or switch entity by its kind; only numbers are numeric",
          "[setting_presentation]") {
  for (const WritableEntry& e : rct::writable_entries()) {
    INFO(e.key);
    const rct::ha::Platform platform = rct::daemon::setting_platform(e);
    switch (rct::write_kind(e)) {
      case WriteKind::kNumber:
        CHECK(platform == rct::ha::Platform::kNumber);
        CHECK(rct::daemon::numeric_setting(e));
        break;
      case WriteKind::kEnum:
        CHECK(platform == rct::ha::Platform::kSelect);
        CHECK_FALSE(rct::daemon::numeric_setting(e));
        break;
      case WriteKind::kBool:
        CHECK(platform == rct::ha::Platform::kSwitch);
        CHECK_FALSE(rct::daemon::numeric_setting(e));
        break;
    }
  }
  CHECK(rct::daemon::setting_presentation(*rct::find_writable_key("soc_min")).label ==
        "Battery minimum SOC");
  CHECK(rct::daemon::setting_presentation(*rct::find_writable_key("soc_min")).device_class ==
        "battery");
}

TEST_CASE("a setting without a presentation row shows its key and no device class",
          "[setting_presentation]") {
  WritableEntry unknown;
  unknown.key = "not_a_setting";
  unknown.type = rct::DataType::kFloat;
  const SettingPresentation p = rct::daemon::setting_presentation(unknown);
  CHECK(p.label == "not_a_setting");
  CHECK(p.device_class.empty());
}
