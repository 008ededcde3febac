#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/value.h"
#include "daemon/battery_modules.h"

namespace rct::daemon {

// The latest module readings of both battery towers and the figures they give (docs/mqtt.md
// §2.8), owned by one inverter session (thread of its shell). Every reading of a module OID
// yields the changed topics of its module and tower as (key below <base>/<serial>/, payload);
// an empty slot (cells at 0 V) yields nothing and keeps nothing. Only the readings are kept
// (about 200 bytes a module slot): payloads are built again from them, so the cell JSON of every
// module (1.5 kB) is not held as text by every session.
class BatteryModuleState {
 public:
  struct Topic {
    std::string key;
    std::string payload;
    friend bool operator==(const Topic&, const Topic&) = default;
  };

  // Ignores OIDs that are no module OID and values of another type.
  std::vector<Topic> on_reading(std::uint32_t oid, const Value& value);
  // The topics of every filled slot and tower with their last payloads, for an MQTT reconnect.
  std::vector<Topic> current() const;

 private:
  struct Slot {
    std::optional<BatteryModuleStatus> status;
    std::optional<BatteryModuleResistance> resistance;
    std::optional<std::uint16_t> cycles;
  };
  struct Tower {
    std::array<Slot, kModuleSlots> slots;
    std::optional<double> soh;  // fraction 0..1
  };

  void module_topics(std::size_t tower, std::size_t slot, std::vector<Topic>& out) const;
  void tower_topics(std::size_t tower, std::vector<Topic>& out) const;
  // The topics a reading of `where` touches: its module's (unless a tower figure) and tower's.
  void topics_of(const ModuleOid& where, std::vector<Topic>& out) const;

  std::array<Tower, kBatteryTowers> towers_;
};

}  // namespace rct::daemon
