#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/registry.h"
#include "daemon/inventory_state.h"
#include "daemon/poll_item.h"

namespace rct::daemon {

// Which part of the poll list a session needs.
enum class PollScope {
  kInventory,  // only the inventory OIDs (before the inventory has answered)
  kFull,       // everything build_poll_list returns
};

// A poll list as sessions share it: immutable once built. The items keep build_poll_list's
// order; `find` looks an OID up without a per-session index.
class PollList {
 public:
  explicit PollList(std::vector<PollItem> items);

  const std::vector<PollItem>& items() const { return items_; }
  // poll_list_conflicts(items()), computed once.
  const std::vector<std::string>& conflicts() const { return conflicts_; }
  // The item polling `oid`, or nullptr.
  const PollItem* find(std::uint32_t oid) const;

 private:
  std::vector<PollItem> items_;
  std::vector<std::string> conflicts_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> index_;  // (oid, items_ position), by oid
};

// Hands out poll lists, building each distinct one once: sessions whose inputs are equal
// (the [poll] and [writes] sections, the registry, and the hardware the inventory reports)
// share one list instead of holding a copy each (~110 items, ~60 kB). The cache keeps only
// weak references, so a list lives as long as some session holds it; expired entries are
// dropped on the next get(). Owned by the App, used from its thread only.
class PollListCache {
 public:
  using Handle = std::shared_ptr<const PollList>;

  // The list build_poll_list(poll, writes, registry, inventory) returns (kFull), or its
  // inventory items only (kInventory). The registry must outlive every handle.
  Handle get(const PollConfig& poll, const WritesConfig& writes, const Registry& registry,
             const Inventory& inventory, PollScope scope = PollScope::kFull);

  // Lists currently alive (held by at least one handle).
  std::size_t live() const;

 private:
  // What build_poll_list reads: nothing else may change the list. The inventory only
  // matters through Inventory::satisfies and the battery slots, so serial, name and firmware are
  // not part of it.
  struct Key {
    const Registry* registry = nullptr;
    PollConfig poll;
    WritesConfig writes;
    std::array<bool, 4> hardware{};  // satisfies(kPvInputA, kPvInputB, kBattery, kPowerSwitch)
    BatterySlots battery_slots;      // filled module slots add their module OIDs
    PollScope scope = PollScope::kFull;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct Entry {
    Key key;
    std::weak_ptr<const PollList> list;
  };

  std::vector<Entry> entries_;
};

}  // namespace rct::daemon
