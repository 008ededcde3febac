#include "daemon/topics.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "daemon/state_aggregate.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;

TEST_CASE("topics follow the layout of docs/mqtt.md", "[topics]") {
  CHECK(rct::daemon::bridge_status_topic("rct2mqtt") == "rct2mqtt/bridge/status");
  CHECK(rct::daemon::inverter_status_topic("rct2mqtt", "0123456789") ==
        "rct2mqtt/0123456789/status");
  CHECK(rct::daemon::value_topic("rct2mqtt", "0123456789", "battery/soc") ==
        "rct2mqtt/0123456789/battery/soc");
  CHECK(rct::daemon::aggregate_topic("home/pv", "0123456789") == "home/pv/0123456789/state");
  CHECK(rct::daemon::topic_id("12/34+#x y") == "12_34__x_y");
  CHECK(rct::daemon::topic_id("") == "unknown");
  CHECK(rct::daemon::kOnline == "online");
  CHECK(rct::daemon::kOffline == "offline");
}

TEST_CASE("the JSON aggregate nests keys and carries a UTC timestamp", "[topics]") {
  using rct::daemon::Publication;
  const std::vector<Publication> values = {
      {"battery/soc", "56.3", 56.3},
      {"grid/power", "-1200", -1200.0},
      {"battery/cycles", "150", std::int64_t{150}},
      {"pv/a/connected", "ON", true},
      {"inverter/state", "Feed-in", std::string("Feed-in")},
      {"pv/a", "1", std::int64_t{1}},  // clashes with pv/a/connected: left out
  };
  const auto ts = rct::daemon::WallTime{} +
                  std::chrono::sys_days{std::chrono::year{2024} / 5 / 1}.time_since_epoch() + 12h +
                  250ms;
  const auto j = nlohmann::json::parse(rct::daemon::aggregate_payload(values, ts));
  CHECK(j.at("ts") == "2024-05-01T12:00:00.250Z");
  CHECK(j.at("battery").at("soc") == 56.3);
  CHECK(j.at("battery").at("cycles") == 150);
  CHECK(j.at("grid").at("power") == -1200.0);
  CHECK(j.at("pv").at("a").at("connected") == true);
  CHECK(j.at("inverter").at("state") == "Feed-in");
  CHECK(j.at("pv").at("a").size() == 1);
  CHECK(rct::daemon::iso8601_utc(rct::daemon::WallTime{}) == "1970-01-01T00:00:00.000Z");
}
