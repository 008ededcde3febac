// End to end: what the real rct2mqtt process loads. Without [metrics] it maps neither its HTTP
// module nor cpp-httplib, and leaves OpenSSL to initialise itself when a TLS connection needs it
// (docs/architecture.md §9): checked against a real Mosquitto with a TLS listener. Every wait
// has a deadline.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "daemon/adapters/metrics_endpoint.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

using namespace std::chrono_literals;
using namespace rct::test::e2e;

namespace {

std::string mapped_files(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("over TLS the daemon publishes, with neither its HTTP module nor cpp-httplib loaded",
          "[daemon][e2e][tls]") {
  rct::test::TempDir pki("rct2mqtt-footprint-pki");
  const rct::test::TestCertificates certs = rct::test::make_test_certificates(pki.path());
  // The broker's first listener is plain, for the test's subscriber; the daemon takes the second,
  // TLS one, and checks the broker's certificate against the test CA.
  const std::uint16_t tls_port = free_port_below_ephemeral();
  rct::test::BrokerOptions broker;
  broker.extra_config = "listener " + std::to_string(tls_port) + " 127.0.0.1\ncafile " +
                        certs.ca_cert + "\ncertfile " + certs.server_cert + "\nkeyfile " +
                        certs.server_key + "\n";
  DaemonSetup setup;
  setup.mqtt_uri = "ssl://127.0.0.1:" + std::to_string(tls_port);
  setup.sections = "[mqtt.tls]\nca_file = \"" + certs.ca_cert + "\"\n";
  World w(setup, std::move(broker));
  auto daemon = w.start();
  serial_of(*w.sub);
  REQUIRE(w.sub->wait_suffix("/battery/soc", 20s));
  INFO(daemon->err());
  const std::string maps = mapped_files(daemon->pid());
  CHECK(maps.find("libssl") != std::string::npos);  // TLS is in use
  CHECK(maps.find(rct::daemon::kHttpModuleFileName) == std::string::npos);
  CHECK(maps.find("libcpp-httplib") == std::string::npos);
  stop_daemon(*daemon);
}

TEST_CASE(
    "without its HTTP module the daemon says where it looked, keeps serving MQTT and "
    "serves metrics after a reload once the module is there",
    "[daemon][e2e][metrics]") {
  // A copy of the executable in a directory of its own: no module beside it, and none installed
  // where a build tree's daemon would look next (<libdir>/rct2mqtt of its install prefix).
  rct::test::TempDir bin("rct2mqtt-footprint-bin");
  const std::filesystem::path copy = bin.path() / "rct2mqtt";
  std::filesystem::copy_file(RCT2MQTT_PATH, copy);
  const std::uint16_t port = free_port_below_ephemeral();
  DaemonSetup setup;
  setup.sections = "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(port) + "\"\n";
  World w(setup);
  rct::test::ChildProcess daemon({copy.string(), "-c", w.config.string()});
  CHECK(daemon.wait_for_output("cannot load the HTTP module (" +
                                   (bin.path() / rct::daemon::kHttpModuleFileName).string() +
                                   ": not found",
                               20s, true));
  CHECK(daemon.wait_for_output("; running without it", 20s, true));
  serial_of(*w.sub);
  CHECK(w.sub->wait_suffix("/battery/soc", 20s));
  // The module put beside the executable; a reload starts the endpoint (the same configuration).
  std::filesystem::copy_file(
      std::filesystem::path(RCT2MQTT_PATH).parent_path() / rct::daemon::kHttpModuleFileName,
      bin.path() / rct::daemon::kHttpModuleFileName);
  daemon.signal(SIGHUP);
  CHECK(daemon.wait_for_output(
      "metrics endpoint: http://127.0.0.1:" + std::to_string(port) + "/metrics", 20s, true));
  CHECK(mapped_files(daemon.pid()).find(rct::daemon::kHttpModuleFileName) != std::string::npos);
  stop_daemon(daemon);
}
