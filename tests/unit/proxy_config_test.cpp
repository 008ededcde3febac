#include <filesystem>
#include <set>
#include <string>

#include "config/config.h"
#include "config/config_dump.h"
#include "config/config_loader.h"
#include "config/ip_network.h"
#include "daemon/reload_plan.h"
#include "tests/support/catch.h"
#include "tests/support/temp_dir.h"

using namespace std::chrono_literals;

namespace {

rct::ValueCatalog proxy_config_catalog() {
  static const std::set<std::string, std::less<>> names{"battery.soc"};
  return {[](std::string_view n) { return names.find(n) != names.end(); },
          [](std::uint32_t) { return false; }};
}

rct::Result<rct::Config, rct::ConfigErrors> proxy_config_load(rct::test::TempDir& dir,
                                                              const std::string& inverter_keys) {
  const std::string text = "[[inverter]]\nhost = \"192.168.1.50\"\n" + inverter_keys;
  return rct::load_config(dir.write("proxy.toml", text), {}, proxy_config_catalog());
}

std::string proxy_config_errors(const rct::Result<rct::Config, rct::ConfigErrors>& r) {
  return r.ok() ? std::string{} : rct::format_errors(r.error());
}

}  // namespace

TEST_CASE("the proxy is off by default and loopback needs no allow list", "[config][proxy]") {
  rct::test::TempDir dir;
  const auto off = proxy_config_load(dir, "");
  REQUIRE(off.ok());
  CHECK_FALSE(off.value().inverters[0].proxy.enabled());
  CHECK(off.value().inverters[0].proxy == rct::ProxyConfig{});

  const auto on = proxy_config_load(dir, "proxy = \"127.0.0.1:8899\"\n");
  INFO(proxy_config_errors(on));
  REQUIRE(on.ok());
  const rct::ProxyConfig& p = on.value().inverters[0].proxy;
  CHECK(p.enabled());
  CHECK(p.listen.port == 8899);
  CHECK(p.listen.loopback);
  CHECK(p.allow.empty());
  CHECK(p.clients == 8);
  CHECK(p.max_age == 15s);
  CHECK_FALSE(p.verified_writes);  // writes through the proxy are refused by default
}

TEST_CASE("a non-loopback proxy needs proxy_allow, and the dump loads back the same",
          "[config][proxy]") {
  rct::test::TempDir dir;
  const auto refused = proxy_config_load(dir, "proxy = \"0.0.0.0:8899\"\n");
  REQUIRE_FALSE(refused.ok());
  const std::string text = proxy_config_errors(refused);
  CHECK_THAT(text, Catch::Contains("proxy.toml:3:9"));
  CHECK_THAT(text, Catch::Contains("is not a loopback address"));

  const auto allowed = proxy_config_load(
      dir,
      "proxy = \"0.0.0.0:8899\"\nproxy_allow = [\"192.168.1.0/24\", \"10.0.0.7\", \"fd00::/8\"]\n"
      "proxy_clients = 3\nproxy_max_age = 2.5\nproxy_frames_per_second = 1\n"
      "proxy_writes = \"verified\"\n");
  INFO(proxy_config_errors(allowed));
  REQUIRE(allowed.ok());
  const rct::ProxyConfig& p = allowed.value().inverters[0].proxy;
  REQUIRE(p.allow.size() == 3);
  CHECK(p.allow[0].prefix == 24);
  CHECK(p.allow[1].prefix == 32);
  CHECK(p.allow[2].v6);
  CHECK(p.clients == 3);
  CHECK(p.max_age == 2500ms);
  CHECK(p.frames_per_second == 1.0);
  CHECK(p.verified_writes);
  const std::string dump = rct::dump_config(allowed.value());
  const auto again = rct::load_config(dir.write("dump.toml", dump), {}, proxy_config_catalog());
  INFO(dump);
  REQUIRE(again.ok());
  CHECK(again.value().inverters[0].proxy == p);
}

TEST_CASE("bad proxy settings name their file, line and column", "[config][proxy]") {
  rct::test::TempDir dir;
  struct Row {
    std::string keys;
    std::string where;
    std::string message;
  };
  const std::vector<Row> rows{
      {"proxy = \"8899\"\n", "proxy.toml:3:9", "inverter[0].proxy must be ADDRESS:PORT"},
      {"proxy = \"127.0.0.1:8899\"\nproxy_allow = [\"10.0.0.1/8\"]\n", "proxy.toml:4:16",
       "inverter[0].proxy_allow[0] must be an IP address or a network"},
      {"proxy = \"127.0.0.1:8899\"\nproxy_allow = [42]\n", "proxy.toml:4:16",
       "inverter[0].proxy_allow[0] must be a string"},
      {"proxy = \"127.0.0.1:8899\"\nproxy_clients = 0\n", "proxy.toml:4:17",
       "inverter[0].proxy_clients must be"},
      {"proxy_allow = [\"10.0.0.0/8\"]\n", "proxy.toml:3:15", "has no effect without"},
      {"proxy = \"127.0.0.1:8899\"\nproxy_writes = \"yes\"\n", "proxy.toml:4:16",
       "inverter[0].proxy_writes must be \"refuse\" or \"verified\" (got 'yes')"},
      {"proxy = \"127.0.0.1:8899\"\n[[inverter]]\nhost = \"h2\"\nproxy = \"127.0.0.1:8899\"\n",
       "proxy.toml:6:9", "inverter[1].proxy uses port 8899 already taken by inverter[0].proxy"},
  };
  for (const Row& row : rows) {
    INFO(row.keys);
    const auto r = proxy_config_load(dir, row.keys);
    REQUIRE_FALSE(r.ok());
    const std::string text = proxy_config_errors(r);
    INFO(text);
    CHECK_THAT(text, Catch::Contains(row.where));
    CHECK_THAT(text, Catch::Contains(row.message));
  }
}

TEST_CASE("an allow-list network contains exactly its addresses, IPv4-mapped ones included",
          "[config][proxy]") {
  const auto net = rct::parse_ip_network("192.168.1.0/24");
  REQUIRE(net);
  const std::uint8_t in[4] = {192, 168, 1, 77};
  const std::uint8_t out[4] = {192, 168, 2, 1};
  const std::uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 192, 168, 1, 5};
  CHECK(rct::network_contains(*net, in, false));
  CHECK_FALSE(rct::network_contains(*net, out, false));
  CHECK(rct::network_contains(*net, mapped, true));
  const auto any = rct::parse_ip_network("0.0.0.0/0");
  REQUIRE(any);
  CHECK(rct::network_contains(*any, out, false));
  CHECK_FALSE(rct::parse_ip_network("192.168.1.0/33"));
  CHECK_FALSE(rct::parse_ip_network("192.168.1.1/24"));
  CHECK_FALSE(rct::parse_ip_network("host.lan"));
  CHECK_FALSE(rct::parse_ip_network("10.0.0.0/"));
}

TEST_CASE("a reload that changes a proxy key replaces that inverter's session only",
          "[config][proxy]") {
  rct::Config running;
  running.inverters.resize(2);
  running.inverters[0].host = "a";
  running.inverters[1].host = "b";
  running.inverters[0].proxy.listen.listen = "127.0.0.1:8899";
  running.inverters[0].proxy.listen.port = 8899;
  rct::Config next = running;
  CHECK(rct::daemon::same_connection(running.inverters[0], next.inverters[0]));
  next.inverters[0].proxy.max_age = 3s;
  const rct::daemon::ReloadPlan plan = rct::daemon::plan_reload(running, next);
  REQUIRE(plan.sessions.size() == 2);
  CHECK(plan.sessions[0] == rct::daemon::SessionChange::kReplace);
  CHECK(plan.sessions[1] == rct::daemon::SessionChange::kKeep);
}
