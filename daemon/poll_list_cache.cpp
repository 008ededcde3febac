#include "daemon/poll_list_cache.h"

#include <algorithm>

#include "daemon/poll_list.h"

namespace rct::daemon {

PollList::PollList(std::vector<PollItem> items)
    : items_(std::move(items)), conflicts_(poll_list_conflicts(items_)) {
  index_.reserve(items_.size());
  for (std::size_t i = 0; i < items_.size(); ++i) {
    index_.emplace_back(items_[i].oid, static_cast<std::uint32_t>(i));
  }
  // build_poll_list holds each OID once; stable keeps the first should that ever change.
  std::stable_sort(index_.begin(), index_.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

const PollItem* PollList::find(std::uint32_t oid) const {
  auto it = std::lower_bound(index_.begin(), index_.end(), oid,
                             [](const auto& entry, std::uint32_t id) { return entry.first < id; });
  if (it == index_.end() || it->first != oid) return nullptr;
  return &items_[it->second];
}

PollListCache::Handle PollListCache::get(const PollConfig& poll, const WritesConfig& writes,
                                         const Registry& registry, const Inventory& inventory,
                                         PollScope scope) {
  std::erase_if(entries_, [](const Entry& e) { return e.list.expired(); });
  Key key{
      &registry,
      poll,
      writes,
      {inventory.satisfies(Requirement::kPvInputA), inventory.satisfies(Requirement::kPvInputB),
       inventory.satisfies(Requirement::kBattery), inventory.satisfies(Requirement::kPowerSwitch)},
      inventory.battery_slots,
      scope};
  for (const Entry& e : entries_) {
    if (e.key == key) {
      if (Handle list = e.list.lock()) return list;
    }
  }
  std::vector<PollItem> items = build_poll_list(poll, writes, registry, inventory);
  if (scope == PollScope::kInventory) {
    std::erase_if(items, [](const PollItem& i) { return !i.inventory; });
    items.shrink_to_fit();
  }
  auto list = std::make_shared<const PollList>(std::move(items));
  entries_.push_back(Entry{std::move(key), list});
  return list;
}

std::size_t PollListCache::live() const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(),
                                                [](const Entry& e) { return !e.list.expired(); }));
}

}  // namespace rct::daemon
