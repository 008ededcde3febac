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
using nlohmann::json;

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

TEST_CASE("switching the discovery mode from entity to device hands the entities over too",
          "[daemon][e2e][discovery]") {
  const std::string migrate(rct::daemon::kMigratePayload);
  World w(with_discovery_mode("entity"));
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string device_topic = "homeassistant/device/rct2mqtt_" + serial + "/config";
  const std::string soc_topic = "homeassistant/sensor/rct2mqtt_" + serial + "_battery_soc/config";
  REQUIRE(w.sub->wait_line_topic(soc_topic, 40s));
  stop_daemon(*daemon);
  // The bridge's last word on a clean stop: everything the first run sent has arrived before it.
  const auto stopped = w.sub->wait_line("rct2mqtt/bridge/status", "offline", 20s);
  REQUIRE(stopped);

  // Entity → device after a restart (the state file knows the entity configs): every entity
  // topic gets the hand-over request before the device message that takes its entity over, and
  // is cleared after it.
  const std::size_t from = *stopped + 1;
  w.write(with_discovery_mode("device"));
  daemon = w.start();
  const auto handed = w.sub->wait_line(soc_topic, migrate, 40s, from);
  REQUIRE(handed);
  const auto device = w.sub->wait_line_topic(device_topic, 30s, from);
  REQUIRE(device);
  CHECK(*handed < *device);
  const json payload = discovery_json(w.sub->lines()[*device].payload);
  REQUIRE(payload.contains("components"));
  CHECK(payload["components"].contains("battery_soc"));
  // The bridge health's diagnostic entities read the inverter's health topic.
  for (const char* id :
       {"bridge_answer_rate", "bridge_loss_rate", "bridge_foreign_frames_per_second"}) {
    INFO(id);
    REQUIRE(payload["components"].contains(id));
    const json& entity = payload["components"][id];
    CHECK(entity["entity_category"] == "diagnostic");
    CHECK(entity["state_topic"] == "rct2mqtt/" + serial + "/bridge/health");
    CHECK(entity["availability"].size() == 1);
  }
  const auto cleared = w.sub->wait_line(soc_topic, "(null)", 30s, *device);
  REQUIRE(cleared);
  REQUIRE(w.sub->wait_suffix("/battery/soc", 30s, *device));
  // No entity config was deleted before its entity was handed over: every entity topic that was
  // cleared had its hand-over request first.
  const auto lines = w.sub->lines();
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (lines[i].topic.rfind("homeassistant/", 0) != 0 || lines[i].topic == device_topic ||
        lines[i].payload != "(null)") {
      continue;
    }
    INFO(lines[i].topic);
    bool handed_first = false;
    for (std::size_t j = from; j < i; ++j) {
      handed_first =
          handed_first || (lines[j].topic == lines[i].topic && lines[j].payload == migrate);
    }
    CHECK(handed_first);
  }
  // Every entity, the bridge health's included, gets its state (the health of a newly known
  // inverter follows its discovery within a second).
  require_every_state(*w.sub, 60s, from);
  stop_daemon(*daemon);

  // What a Home Assistant starting now reads (the retained messages): the device message, no
  // entity config.
  Subscriber retained(w.broker.port());
  REQUIRE(retained.wait_line_topic(device_topic, 20s));
  REQUIRE(retained.wait_suffix("/battery/soc", 20s));
  for (const Line& l : retained.lines()) CHECK(l.topic != soc_topic);
  // The checker judges what the restarted daemon sent. (It does not model the hand-over: given
  // the entity configs before it, it would count each handed-over entity twice.)
  const auto all = w.sub->lines();
  check_home_assistant_view(
      std::vector<Line>(all.begin() + static_cast<std::ptrdiff_t>(from), all.end()), w.dir.path());
}
