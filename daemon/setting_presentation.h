#pragma once

#include <span>
#include <string_view>

#include "core/write_allowlist.h"
#include "ha/vocabulary.h"

// How Home Assistant shows a writable setting: the presentation half of an allowlist entry,
// keyed by its key. core/write_allowlist.h holds the safety half (OID, bounds, step, unit,
// interlocks); discovery (daemon/discovery.h) joins the two.

namespace rct::daemon {

struct SettingPresentation {
  std::string_view key;           // WritableEntry::key
  std::string_view label;         // short entity name, "Battery minimum SOC"
  std::string_view device_class;  // number device class, "" for none
};

// One row per allowlist key (a unit test keeps the two tables in step).
std::span<const SettingPresentation> setting_presentations();

// The row of `e`; for a key without a row, the key as label and no device class.
SettingPresentation setting_presentation(const WritableEntry& e);

// number, select or switch: follows from the entry's kind (core/write_allowlist.h WriteKind).
ha::Platform setting_platform(const WritableEntry& e);

// Whether the setting's value is a number (a JSON number in write results and a number entity),
// not an enum label or ON / OFF.
bool numeric_setting(const WritableEntry& e);

}  // namespace rct::daemon
