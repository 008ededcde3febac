// End to end: Home Assistant discovery across restarts of the real rct2mqtt process, with the
// state file in between (daemon_harness.h). Every wait has a deadline.
#include <chrono>
#include <memory>
#include <string>

#include "daemon/discovery.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using namespace rct::test::e2e;

namespace {

DaemonSetup with_discovery_mode(const std::string& mode) {
  DaemonSetup s;
  s.homeassistant = "mode = \"" + mode + "\"\n";
  return s;
}

}  // namespace

TEST_CASE("switching the discovery mode hands the entities over instead of deleting them",
          "[daemon][e2e][discovery]") {
  const std::string migrate(rct::daemon::kMigratePayload);
  World w(with_discovery_mode("device"));
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string device_topic = "homeassistant/device/rct2mqtt_" + serial + "/config";
  const std::string soc_topic = "homeassistant/sensor/rct2mqtt_" + serial + "_battery_soc/config";
  REQUIRE(w.sub->wait_line_topic(device_topic, 40s));
  stop_daemon(*daemon);

  // Device → entity after a restart (the state file knows the device message): the hand-over
  // request on the device topic comes before the entity configs that take the entities over.
  const std::size_t from = w.sub->lines().size();
  w.write(with_discovery_mode("entity"));
  daemon = w.start();
  const auto handed = w.sub->wait_line(device_topic, migrate, 40s, from);
  REQUIRE(handed);
  const auto soc = w.sub->wait_line_topic(soc_topic, 30s, from);
  REQUIRE(soc);
  CHECK(*handed < *soc);
  REQUIRE(w.sub->wait_suffix("/battery/soc", 30s, *soc));
  // Last, once the entity configs are out, the device topic is cleared.
  const auto cleared = w.sub->wait_line(device_topic, "(null)", 30s, *soc);
  REQUIRE(cleared);
  CHECK(*cleared > *soc);
  stop_daemon(*daemon);

  // What a Home Assistant starting now reads (the retained messages): the entity configs, the
  // device topic cleared.
  Subscriber retained(w.broker.port());
  REQUIRE(retained.wait_line_topic(soc_topic, 20s));
  REQUIRE(retained.wait_suffix("/battery/soc", 20s));
  for (const Line& l : retained.lines()) CHECK(l.topic != device_topic);
}
