// A fleet (docs/fleet.md): the real rct2mqtt on a "site" Mosquitto that bridges, with the shipped
// examples/mosquitto/fleet-site-bridge.conf, over TLS to a "central" Mosquitto guarded by the
// shipped examples/mosquitto/fleet-central.acl. What the central side sees under the site's
// prefix: values, availability, the JSON aggregate the shipped Telegraf configuration reads, the
// bridge's own connection state, answers to commands sent from there, and the daemon's last
// will. Accounts are made with mosquitto_passwd at test time; every wait has a deadline.
#include <toml++/toml.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"
#include "tests/support/test_certificates.h"

using namespace std::chrono_literals;
using nlohmann::json;
using namespace rct::test::e2e;

namespace {

const std::filesystem::path kFleetExamples = std::filesystem::path(RCT_SOURCE_DIR) / "examples";
constexpr const char* kSite = "site-garage";

const Login kSiteAccount{kSite, "site pass"};
const Login kTelegraf{"telegraf", "telegraf pass"};
const Login kOperator{"operator", "operator pass"};

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces the one occurrence of `from` in `text`, which must be there.
void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  INFO(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), to);
}

// The shipped site bridge, pointed at the test's central broker and CA.
std::string site_bridge_config(std::uint16_t central_tls_port, const std::string& ca_file) {
  std::string c = read_text(kFleetExamples / "mosquitto/fleet-site-bridge.conf");
  // The certificate names 127.0.0.1, so host name verification stays on.
  replace_once(c, "address central.example.net:8883",
               "address 127.0.0.1:" + std::to_string(central_tls_port));
  replace_once(c, "bridge_cafile /etc/mosquitto/certs/central-ca.crt", "bridge_cafile " + ca_file);
  replace_once(c, "remote_password change-me", "remote_password " + kSiteAccount.password);
  // Retry at once in a test; the shipped back-off is for a site whose uplink comes and goes.
  replace_once(c, "restart_timeout 5 60", "restart_timeout 1 1");
  return c;
}

// An MQTT topic filter matches a topic ('+' one level, '#' the rest).
bool filter_matches(const std::string& filter, const std::string& topic) {
  std::size_t f = 0;
  std::size_t t = 0;
  while (f <= filter.size() && t <= topic.size()) {
    const std::size_t fe = std::min(filter.find('/', f), filter.size());
    const std::size_t te = std::min(topic.find('/', t), topic.size());
    const std::string level = filter.substr(f, fe - f);
    if (level == "#") return true;
    if (level != "+" && level != topic.substr(t, te - t)) return false;
    const bool filter_done = fe == filter.size();
    const bool topic_done = te == topic.size();
    if (filter_done || topic_done) return filter_done && topic_done;
    f = fe + 1;
    t = te + 1;
  }
  return false;
}

std::vector<std::string> levels_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = s.find('/', start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

rct::test::RunResult publish_central(std::uint16_t port, const Login& account,
                                     const std::string& topic, const std::string& payload,
                                     bool retain) {
  return publish_as(account, port, topic, payload,
                    retain ? std::vector<std::string>{"-r"} : std::vector<std::string>{});
}

}  // namespace

TEST_CASE(
    "a site bridged over TLS shows values, availability and the last will at the central "
    "broker under its prefix, and takes commands from there",
    "[daemon][e2e][fleet]") {
  rct::test::TempDir pki("rct2mqtt-fleet-pki");
  const rct::test::TestCertificates certs = rct::test::make_test_certificates(pki.path());

  // The central broker: TLS for the sites' bridges, and a plain loopback listener for the
  // observers of this test (the accounts and the access list hold on both).
  const std::uint16_t observer_port = free_port_below_ephemeral();
  rct::test::BrokerOptions central_options;
  central_options.tls = rct::test::BrokerTls{certs.ca_cert, certs.server_cert, certs.server_key};
  central_options.user_password = std::make_pair(kSiteAccount.username, kSiteAccount.password);
  central_options.more_users = {{kTelegraf.username, kTelegraf.password},
                                {kOperator.username, kOperator.password}};
  central_options.acl_file = kFleetExamples / "mosquitto/fleet-central.acl";
  central_options.extra_config = "listener " + std::to_string(observer_port) + " 127.0.0.1\n";
  rct::test::MosquittoBroker central(central_options);
  REQUIRE(rct::test::wait_until_accepting(observer_port, 10s));
  Subscriber at_central(observer_port, SubscriberOptions{{"sites/#"}, 1},
                        Login{kTelegraf.username, kTelegraf.password});

  // A stale command left retained at the central broker before the site connects: the bridge
  // brings it down retained, and rct2mqtt never carries out a retained command.
  const std::string stale_command =
      std::string("sites/") + kSite + "/rct2mqtt/0000STALE/settings/soc_target/set";
  REQUIRE(publish_central(observer_port, kOperator, stale_command, R"({"value": 40, "id": "kept"})",
                          true)
              .exit_code == 0);

  DaemonSetup setup;
  setup.extra_mqtt = "json_aggregate = true\n";
  setup.writes = "enabled = true\ndry_run = true\n";
  rct::test::BrokerOptions site_options;
  site_options.extra_config = site_bridge_config(central.port(), certs.ca_cert);
  World w(setup, site_options, SubscriberOptions{}, Login{});

  const std::string prefix = std::string("sites/") + kSite + "/rct2mqtt/";
  REQUIRE(at_central.wait_line(std::string("sites/") + kSite + "/bridge/connection", "1", 20s));

  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  REQUIRE_FALSE(serial.empty());
  INFO(central.log());

  // Availability and values arrive at the central broker under the site's prefix.
  CHECK(at_central.wait_line(prefix + "bridge/status", "online", 20s));
  CHECK(at_central.wait_line(prefix + serial + "/status", "online", 20s));
  const auto soc = at_central.wait_line_topic(prefix + serial + "/battery/soc", 20s);
  REQUIRE(soc);
  const std::string soc_text = at_central.lines()[*soc].payload;
  CHECK(std::stod(soc_text) >= 0.0);
  CHECK(std::stod(soc_text) <= 100.0);

  // The JSON aggregate, which the shipped Telegraf configuration reads, with the tags its topic
  // parsing takes from the topic.
  std::optional<json> aggregate;
  at_central.wait(
      [&](const Line& l) {
        if (l.topic != prefix + serial + "/state") return false;
        json j = json::parse(l.payload, nullptr, false);
        if (!j.is_object() || !j.contains("battery") || !j["battery"].contains("soc")) return false;
        aggregate = std::move(j);
        return true;
      },
      20s);
  REQUIRE(aggregate);
  CHECK(aggregate->at("battery").at("soc").is_number());
  CHECK(aggregate->at("ts").is_string());
  const toml::table telegraf =
      toml::parse_file((kFleetExamples / "telegraf/rct2mqtt.conf").string());
  const toml::table& consumer = *telegraf["inputs"]["mqtt_consumer"].as_array()->at(0).as_table();
  const std::string state_topic = prefix + serial + "/state";
  bool subscribed = false;
  for (const toml::node& f : *consumer["topics"].as_array()) {
    subscribed = subscribed || filter_matches(f.value_or(std::string()), state_topic);
  }
  CHECK(subscribed);
  const toml::table& parsing = *consumer["topic_parsing"].as_array()->at(0).as_table();
  CHECK(filter_matches(parsing["topic"].value_or(std::string()), state_topic));
  const auto tag_levels = levels_of(parsing["tags"].value_or(std::string()));
  const auto topic_levels = levels_of(state_topic);
  REQUIRE(tag_levels.size() == topic_levels.size());
  for (std::size_t i = 0; i < tag_levels.size(); ++i) {
    if (tag_levels[i] == "site") CHECK(topic_levels[i] == kSite);
    if (tag_levels[i] == "serial") CHECK(topic_levels[i] == serial);
  }
  CHECK(consumer["json_time_key"].value_or(std::string()) == "ts");

  // A site cannot publish into another site's subtree on the central broker.
  const auto foreign = publish_central(observer_port, kSiteAccount,
                                       "sites/other-site/rct2mqtt/x/status", "offline", false);
  CHECK(foreign.err.find("Not authorized") != std::string::npos);
  // Commands come down from the operator and are answered once, back at the central broker.
  const std::string command = prefix + serial + "/settings/soc_target/set";
  const std::string result = command + "/result";
  REQUIRE(
      publish_central(observer_port, kOperator, command, R"({"value": 60, "id": "fleet"})", false)
          .exit_code == 0);
  const auto answer = wait_answer_id(at_central, result, "fleet");
  REQUIRE(answer);
  CHECK(answer->at("outcome") == "dry_run");
  // The readers' account cannot command.
  const auto reader =
      publish_central(observer_port, kTelegraf, command, R"({"value": 70, "id": "reader"})", false);
  CHECK(reader.err.find("Not authorized") != std::string::npos);
  REQUIRE(
      publish_central(observer_port, kOperator, command, R"({"value": 65, "id": "after"})", false)
          .exit_code == 0);
  REQUIRE(wait_answer_id(at_central, result, "after"));
  CHECK_FALSE(
      wait_answer_id(at_central, prefix + "0000STALE/settings/soc_target/set/result", "kept", 0ms));
  CHECK_FALSE(wait_answer_id(at_central, result, "reader", 0ms));
  std::size_t fleet_answers = 0;
  for (const Line& l : at_central.lines()) {
    if (l.topic == result && l.payload.find("\"fleet\"") != std::string::npos) ++fleet_answers;
  }
  CHECK(fleet_answers == 1);
  CHECK(at_central.wait_line("sites/other-site/rct2mqtt/x/status", "offline", 0ms) == std::nullopt);

  // The daemon dies: the site broker sends its last will, and it reaches the central broker.
  const std::size_t before_kill = at_central.lines().size();
  daemon->signal(SIGKILL);
  REQUIRE(daemon->wait(10s));
  CHECK(at_central.wait_line(prefix + "bridge/status", "offline", 20s, before_kill));
  INFO(daemon->err());
  CHECK(daemon->err().find(
            "ignoring the retained command on rct2mqtt/0000STALE/settings/soc_target/set") !=
        std::string::npos);
}
