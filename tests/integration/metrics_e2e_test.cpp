// End to end: the Prometheus endpoint and the health topic of the real rct2mqtt process against
// the simulator and a real Mosquitto (daemon_harness.h); the endpoint checked by promtool and
// scraped by a real Prometheus server. Every wait has a deadline.
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/poll.h"

using namespace std::chrono_literals;
using namespace rct::test::e2e;
using nlohmann::json;

namespace {

DaemonSetup with_metrics(std::uint16_t port) {
  DaemonSetup s;
  s.sections = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\n";
  return s;
}

// GET http://127.0.0.1:port/path; nullopt when nothing answers.
std::optional<httplib::Result> http_get(std::uint16_t port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  httplib::Result r = client.Get(path);
  if (!r) return std::nullopt;
  return r;
}

// Polls GET /metrics until the body contains `needle`; the body, or "" at the deadline.
std::string wait_metrics(std::uint16_t port, const std::string& needle,
                         std::chrono::milliseconds timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  return rct::test::poll_until(
             [&]() -> std::optional<std::string> {
               auto r = client.Get("/metrics");
               if (r && r->status == 200 && r->body.find(needle) != std::string::npos) {
                 return r->body;
               }
               return std::nullopt;
             },
             timeout, 200ms)
      .value_or("");
}

// The one sample value of a Prometheus instant query, once the query has one.
std::optional<double> wait_prometheus_value(std::uint16_t port, const std::string& query,
                                            std::chrono::milliseconds timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(5, 0);
  return rct::test::poll_until(
      [&]() -> std::optional<double> {
        const httplib::Params params{{"query", query}};
        auto r = client.Get("/api/v1/query", params, httplib::Headers{});
        if (!r || r->status != 200) return std::nullopt;
        const json j = json::parse(r->body, nullptr, false);
        if (j.is_discarded() || j.value("status", "") != "success" ||
            j["data"]["result"].size() != 1) {
          return std::nullopt;
        }
        return std::stod(j["data"]["result"][0]["value"][1].get<std::string>());
      },
      timeout, 250ms);
}

// Sockets of process `pid` listening for TCP connections (from /proc).
std::size_t listening_sockets(pid_t pid) {
  std::set<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state == "0A") inodes.insert(inode);  // TCP_LISTEN
    }
  }
  std::size_t n = 0;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& fd : std::filesystem::directory_iterator(fds)) {
    std::error_code ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (ec || target.rfind("socket:[", 0) != 0) continue;
    if (inodes.count(target.substr(8, target.size() - 9)) != 0) ++n;
  }
  return n;
}

double last_mqtt_number(Subscriber& sub, const std::string& topic) {
  double v = std::nan("");
  for (const Line& l : sub.lines()) {
    if (l.topic == topic) v = std::stod(l.payload);
  }
  return v;
}

}  // namespace

TEST_CASE("the metrics endpoint passes promtool, and a real Prometheus scrapes SOC and frames",
          "[daemon][e2e][metrics]") {
  const auto promtool = rct::test::find_executable("promtool");
  const auto prometheus = rct::test::find_executable("prometheus");
  INFO("promtool and prometheus come with the prometheus package (scripts/packages.sh)");
  REQUIRE(promtool);
  REQUIRE(prometheus);
  const std::uint16_t metrics_port = free_port_below_ephemeral();
  World w(with_metrics(metrics_port));
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  const std::string soc_topic = "rct2mqtt/" + serial + "/battery/soc";
  REQUIRE(w.sub->wait_line_topic(soc_topic, 20s));

  const std::string labels = "{serial=\"" + serial + "\",name=\"inverter1\"}";
  const std::string text =
      wait_metrics(metrics_port, "rct2mqtt_battery_state_of_charge" + labels, 20s);
  INFO(daemon->err());
  REQUIRE_FALSE(text.empty());
  CHECK(text.find("rct2mqtt_inverter_online" + labels + " 1\n") != std::string::npos);
  CHECK(text.find("rct2mqtt_mqtt_connected 1\n") != std::string::npos);
  CHECK(text.find("rct2mqtt_request_latency_seconds_bucket{serial=\"" + serial) !=
        std::string::npos);
  // Only GET /metrics is served.
  const auto other = http_get(metrics_port, "/");
  REQUIRE(other);
  CHECK((*other)->status == 404);
  const auto metrics = http_get(metrics_port, "/metrics");
  REQUIRE(metrics);
  CHECK((*metrics)->get_header_value("Content-Type").rfind("text/plain; version=0.0.4", 0) == 0);

  // promtool reads the exposition from stdin and judges format and naming conventions.
  const auto checked = rct::test::run_process({*promtool, "check", "metrics"}, text, 30s);
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);

  // A real Prometheus scraping every second.
  const std::uint16_t prometheus_port = free_port_below_ephemeral();
  const auto prometheus_config = w.dir.path() / "prometheus.yml";
  write_file(prometheus_config,
             "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
             "scrape_configs:\n  - job_name: rct2mqtt\n    static_configs:\n"
             "      - targets: ['127.0.0.1:" +
                 std::to_string(metrics_port) + "']\n");
  rct::test::ChildProcess server(
      {*prometheus, "--config.file=" + prometheus_config.string(),
       "--storage.tsdb.path=" + (w.dir.path() / "tsdb").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port)});
  const auto soc = wait_prometheus_value(
      prometheus_port, "rct2mqtt_battery_state_of_charge{serial=\"" + serial + "\"}", 60s);
  INFO(server.err());
  REQUIRE(soc);
  const auto answered = wait_prometheus_value(
      prometheus_port, "rct2mqtt_frames_answered_total{serial=\"" + serial + "\"}", 30s);
  REQUIRE(answered);
  const auto sent = wait_prometheus_value(
      prometheus_port, "rct2mqtt_frames_sent_total{serial=\"" + serial + "\"}", 30s);
  REQUIRE(sent);
  // Plausible: the SOC is what MQTT shows (the simulator's battery moves slowly: the last
  // value published, to the payload's digits), and every answered frame was sent.
  w.sub->pump(1s);
  const double mqtt_soc = last_mqtt_number(*w.sub, soc_topic);
  CHECK(*soc > 0.0);
  CHECK(*soc <= 100.0);
  CHECK(std::fabs(*soc - mqtt_soc) < 0.05);
  CHECK(*answered > 0.0);
  CHECK(*sent >= *answered);

  server.signal(SIGTERM);
  CHECK(server.wait(20s));
  stop_daemon(*daemon);
}

TEST_CASE("without [metrics] the daemon listens on no port", "[daemon][e2e][metrics]") {
  World w;
  auto daemon = w.start();
  serial_of(*w.sub);
  REQUIRE(w.sub->wait_suffix("/battery/soc", 20s));
  CHECK(listening_sockets(daemon->pid()) == 0);
  CHECK(daemon->err().find("metrics endpoint") == std::string::npos);
  stop_daemon(*daemon);
}

TEST_CASE("a metrics port in use is logged and the daemon keeps serving MQTT",
          "[daemon][e2e][metrics]") {
  asio::io_context io;
  asio::ip::tcp::acceptor taken(io, {asio::ip::make_address_v4("127.0.0.1"), 0});
  const std::uint16_t port = taken.local_endpoint().port();
  World w(with_metrics(port));
  auto daemon = w.start();
  CHECK(daemon->wait_for_output(
      "metrics endpoint: cannot listen on 127.0.0.1:" + std::to_string(port), 20s, true));
  serial_of(*w.sub);
  CHECK(w.sub->wait_suffix("/battery/soc", 20s));
  stop_daemon(*daemon);
}

TEST_CASE("a reload that changes [metrics] listen moves the endpoint", "[daemon][e2e][metrics]") {
  const std::uint16_t first = free_port_below_ephemeral();
  const std::uint16_t second = free_port_below_ephemeral();
  World w(with_metrics(first));
  auto daemon = w.start();
  REQUIRE_FALSE(wait_metrics(first, "rct2mqtt_uptime_seconds", 20s).empty());
  w.write(with_metrics(second));
  daemon->signal(SIGHUP);
  REQUIRE_FALSE(wait_metrics(second, "rct2mqtt_uptime_seconds", 20s).empty());
  CHECK_FALSE(http_get(first, "/metrics"));  // the old port is closed
  // Off again.
  w.write(DaemonSetup{});
  daemon->signal(SIGHUP);
  REQUIRE(daemon->wait_for_output(
      "metrics endpoint on 127.0.0.1:" + std::to_string(second) + " stopped", 20s, true));
  CHECK_FALSE(http_get(second, "/metrics"));
  CHECK(listening_sockets(daemon->pid()) == 0);
  stop_daemon(*daemon);
}

TEST_CASE("the bridge health arrives retained with the bridge's and each inverter's figures",
          "[daemon][e2e][health]") {
  World w;
  auto daemon = w.start();
  const std::string serial = serial_of(*w.sub);
  // The health after the inverter became known carries it.
  const auto known = w.sub->wait(
      [&](const Line& l) {
        if (l.topic != "rct2mqtt/bridge/health") return false;
        const json j = json::parse(l.payload, nullptr, false);
        return !j.is_discarded() && j["inverters"].size() == 1 &&
               j["inverters"][0]["serial"] == serial;
      },
      20s);
  REQUIRE(known);
  REQUIRE(w.sub->wait_line_topic("rct2mqtt/" + serial + "/bridge/health", 20s));

  // What a new subscriber gets from the broker's retained store.
  Subscriber later(w.broker.port(),
                   SubscriberOptions{{"rct2mqtt/bridge/health", "rct2mqtt/+/bridge/health"}});
  REQUIRE(later.wait_line_topic("rct2mqtt/bridge/health", 20s));
  REQUIRE(later.wait_line_topic("rct2mqtt/" + serial + "/bridge/health", 20s));
  for (const Line& l : later.lines()) {
    INFO(l.topic << " " << l.payload);
    CHECK(l.retained);
    const json j = json::parse(l.payload);
    if (l.topic == "rct2mqtt/bridge/health") {
      CHECK(j["uptime_s"].is_number_integer());
      CHECK(j["memory"]["rss_kb"].get<std::uint64_t>() > 0);
      CHECK(j["memory"].contains("private_kb"));
      CHECK(j["mqtt"]["connected"] == true);
      CHECK(j["mqtt"]["published"].get<std::uint64_t>() > 0);
      CHECK(j["mqtt"].contains("in_flight"));
      CHECK(j["mqtt"].contains("dropped"));
      REQUIRE(j["inverters"].size() == 1);
      CHECK(j["inverters"][0]["name"] == "inverter1");
      continue;
    }
    CHECK(j["serial"] == serial);
    CHECK(j["name"] == "inverter1");
    CHECK(j["link"] == "up");
    CHECK(j["online"] == true);
    for (const char* field : {"frames_per_second", "answer_rate", "loss_rate", "truncation_rate",
                              "foreign_frames_per_second"}) {
      INFO(field);
      CHECK(j[field].is_number());
    }
    CHECK(j["answer_rate"].get<double>() > 0.0);
    CHECK(j["answer_rate"].get<double>() <= 100.0);
  }
  stop_daemon(*daemon);
}
