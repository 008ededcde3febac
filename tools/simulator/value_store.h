#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/registry.h"
#include "core/value.h"
#include "tools/simulator/house_model.h"
#include "tools/simulator/logger_history.h"

namespace rct::sim {

// The current value of every registry OID of one simulated device, as response payload bytes.
// Measurements come from the house model at device time `now`; everything else is a static
// value (device_defaults) that WRITE replaces. The logger OIDs answer time-series / event-table
// queries. OIDs outside the registry are unknown: the device stays silent for them.
// Single-threaded: owned by the simulator's io_context thread.
class ValueStore {
 public:
  enum class WriteResult {
    kStored,      // the value was stored; a READ returns it
    kAnswered,    // a logger query: `answer` holds the TIMESERIES / EVENT_TABLE payload
    kUnknownOid,  // not in the registry
    kWrongSize,   // payload does not fit the OID's request type (or the string buffer)
    kReadOnly,    // a measurement of the model: the device overwrites it at once
  };
  struct WriteOutcome {
    WriteResult result = WriteResult::kUnknownOid;
    std::vector<std::uint8_t> answer;
  };

  ValueStore(const Registry& registry, std::uint64_t seed, std::int64_t start_time,
             std::size_t page_size);

  // Response payload of `oid` at `now`; nullopt when the OID is unknown. A READ of a logger OID
  // answers like a query with T = now.
  std::optional<std::vector<std::uint8_t>> read(std::uint32_t oid, std::int64_t now);
  WriteOutcome write(std::uint32_t oid, std::span<const std::uint8_t> payload, std::int64_t now);
  // A reboot: every static value (settings included) back to its device default; written values
  // are volatile (docs/protocol.md §13: never flashed here). Measurements and history carry on.
  void reset_settings(std::int64_t now);

  // A word the device sets itself (fault[k].flt): stored as a UINT32 without a parameter-change
  // entry; false when the OID is unknown or no UINT32.
  bool set_device_word(std::uint32_t oid, std::uint32_t word);
  // An entry of the event table (logged by the device itself).
  void record_event(const EventEntry& entry) { history_.record_event(entry); }

  const HouseState& house(std::int64_t now);
  // A battery module taken out of its slot (`installed` false) or put back: while out, its cells
  // OID reads 0 V on every cell, as an empty slot (tools/simulator/battery_towers.h). False when
  // `cells_oid` is no measured BATTERY_MODULE_STATUS.
  bool set_module_installed(std::uint32_t cells_oid, bool installed);
  // The grid-charge trap (HouseSettings::grid_charge_trap): margin as a fraction; nullopt: off.
  void set_grid_charge_trap(std::optional<double> margin) { grid_charge_trap_ = margin; }
  const HouseModel& model() const { return model_; }
  bool is_logger(std::uint32_t oid) const;
  const OidInfo* info(std::uint32_t oid) const;

 private:
  struct Entry {
    const OidInfo* info = nullptr;
    Value (*measure)(const HouseState&) = nullptr;  // set for model-driven OIDs
    std::optional<LoggerHistory::Series> series;    // set for time-series OIDs
    bool event_table = false;
    std::vector<std::uint8_t> stored;  // payload of static / written values
  };

  void load_defaults();
  Entry* find(std::uint32_t oid);
  const Entry* find(std::uint32_t oid) const;
  HouseSettings settings() const;
  std::vector<std::uint8_t> logger_answer(Entry& e, std::uint32_t t, std::int64_t now);

  const Registry& registry_;
  std::uint64_t seed_;
  std::vector<Entry> entries_;  // parallel to registry_.all()
  HouseModel model_;
  LoggerHistory history_;
  std::optional<double> grid_charge_trap_;
  std::vector<std::uint32_t> removed_modules_;  // cells OIDs reading as empty slots
};

}  // namespace rct::sim
