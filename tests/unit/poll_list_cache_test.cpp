#include "daemon/poll_list_cache.h"

#include "core/registry.h"
#include "daemon/poll_list.h"
#include "tests/support/catch.h"

using rct::daemon::Inventory;
using rct::daemon::PollListCache;
using rct::daemon::PollScope;

namespace {

Inventory inventory_with_battery(std::string serial) {
  Inventory inv;
  inv.pv_input_a = true;
  inv.pv_input_b = true;
  inv.power_switch = true;
  inv.battery_type = 3;
  inv.battery_count = 1;
  inv.serial = std::move(serial);
  inv.device_name = "Garage";
  inv.firmware = "1.2";
  return inv;
}

}  // namespace

TEST_CASE("a cached poll list equals the one build_poll_list makes, with its conflicts",
          "[poll_list_cache]") {
  const rct::Registry registry;
  rct::Config config;
  rct::PollValue twice;
  twice.value.name = "g_sync.p_ac[0]";
  twice.topic = "battery/soc";  // collides with the catalog's battery SOC
  config.poll.values.push_back(twice);
  const Inventory inv = inventory_with_battery("0123456789");
  PollListCache cache;
  const auto list = cache.get(config.poll, config.writes, registry, inv);
  const auto built = rct::daemon::build_poll_list(config, registry, inv);
  CHECK(list->items() == built);
  CHECK(list->conflicts() == rct::daemon::poll_list_conflicts(built));
  CHECK_FALSE(list->conflicts().empty());
}

TEST_CASE("a cached poll list finds every polled OID and nothing else", "[poll_list_cache]") {
  const rct::Registry registry;
  PollListCache cache;
  const auto list =
      cache.get(rct::PollConfig{}, rct::WritesConfig{}, registry, inventory_with_battery("1"));
  REQUIRE_FALSE(list->items().empty());
  for (const auto& item : list->items()) {
    INFO(item.name);
    const auto* found = list->find(item.oid);
    REQUIRE(found != nullptr);
    CHECK(found == &item);
  }
  CHECK(list->find(0x00000001) == nullptr);
}

TEST_CASE("inverters that differ only in serial, name and firmware share one poll list",
          "[poll_list_cache]") {
  const rct::Registry registry;
  const rct::Config config;
  PollListCache cache;
  const auto a =
      cache.get(config.poll, config.writes, registry, inventory_with_battery("1111111111"));
  Inventory other = inventory_with_battery("2222222222");
  other.device_name = "Shed";
  other.firmware = "9.9";
  const auto b = cache.get(config.poll, config.writes, registry, other);
  CHECK(a.get() == b.get());
  CHECK(cache.live() == 1);
}

TEST_CASE("different hardware, poll or writes settings, or scope get lists of their own",
          "[poll_list_cache]") {
  const rct::Registry registry;
  const rct::Config config;
  PollListCache cache;
  const Inventory with_battery = inventory_with_battery("1");
  const auto base = cache.get(config.poll, config.writes, registry, with_battery);

  Inventory without_battery = with_battery;
  without_battery.battery_type = 5;
  const auto no_battery = cache.get(config.poll, config.writes, registry, without_battery);
  CHECK(no_battery.get() != base.get());
  CHECK(no_battery->items() == rct::daemon::build_poll_list(config, registry, without_battery));
  CHECK(no_battery->items().size() < base->items().size());

  rct::Config slower = config;
  slower.poll.fast_interval = std::chrono::seconds{30};
  const auto slow = cache.get(slower.poll, slower.writes, registry, with_battery);
  CHECK(slow.get() != base.get());
  CHECK(slow->items() == rct::daemon::build_poll_list(slower, registry, with_battery));

  rct::Config writing = config;
  writing.writes.enabled = true;
  const auto writes = cache.get(writing.poll, writing.writes, registry, with_battery);
  CHECK(writes.get() != base.get());
  CHECK(writes->items() == rct::daemon::build_poll_list(writing, registry, with_battery));

  const auto inventory_only =
      cache.get(config.poll, config.writes, registry, Inventory{}, PollScope::kInventory);
  REQUIRE_FALSE(inventory_only->items().empty());
  for (const auto& item : inventory_only->items()) CHECK(item.inventory);
  std::size_t inventory_items = 0;
  for (const auto& item : rct::daemon::build_poll_list(config, registry, Inventory{})) {
    if (item.inventory) ++inventory_items;
  }
  CHECK(inventory_only->items().size() == inventory_items);
  CHECK(cache.live() == 5);
}

TEST_CASE("a poll list nobody holds is dropped and built again on demand", "[poll_list_cache]") {
  const rct::Registry registry;
  const rct::Config config;
  PollListCache cache;
  const Inventory inv = inventory_with_battery("1");
  auto first = cache.get(config.poll, config.writes, registry, inv);
  const auto expected = first->items();
  first.reset();
  CHECK(cache.live() == 0);
  const auto again = cache.get(config.poll, config.writes, registry, inv);
  CHECK(cache.live() == 1);
  CHECK(again->items() == expected);
}
