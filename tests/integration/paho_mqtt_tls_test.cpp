#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/adapters/paho_mqtt_client.h"
#include "tests/support/catch.h"
#include "tests/support/mosquitto.h"
#include "tests/support/run_loop.h"
#include "tests/support/test_certificates.h"

using namespace std::chrono_literals;
using rct::test::run_until;

namespace {

class Observer final : public rct::MqttObserver {
 public:
  void on_connected() override { ++connected; }
  void on_connection_lost(std::string_view) override {}
  void on_connect_failed(std::string_view reason) override { failed.emplace_back(reason); }
  void on_message(const rct::MqttMessage&) override {}

  int connected = 0;
  std::vector<std::string> failed;
};

// A broker with a TLS listener that demands client certificates, and the PKI behind it.
struct TlsSetup {
  TlsSetup() {
    char tmpl[] = "/tmp/rct-tls-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    dir = tmpl;
    pki = rct::test::make_test_certificates(dir);
    broker = std::make_unique<rct::test::MosquittoBroker>(rct::test::BrokerOptions{
        .tls = rct::test::BrokerTls{pki.ca_cert, pki.server_cert, pki.server_key, true}});
  }
  ~TlsSetup() {
    broker.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  // The full client side: CA, client certificate and its encrypted key.
  rct::MqttConfig config(const std::string& client_id) const {
    rct::MqttConfig c;
    c.uri = broker->uri();
    c.scheme = rct::MqttScheme::kSsl;
    c.client_id = client_id;
    c.connect_timeout = 2s;
    c.reconnect_min = 1s;
    c.reconnect_max = 2s;
    c.tls.ca_file = pki.ca_cert;
    c.tls.cert_file = pki.client_cert;
    c.tls.key_file = pki.client_key;
    c.tls.key_password = rct::Secret(pki.client_key_password);
    return c;
  }

  std::filesystem::path dir;
  rct::test::TestCertificates pki;
  std::unique_ptr<rct::test::MosquittoBroker> broker;
};

// Connects and reports whether the client got connected within a few seconds.
bool connects(const rct::MqttConfig& config, Observer& observer) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  rct::PahoMqttClient client(io, config);
  client.set_observer(&observer);
  client.connect(rct::MqttWill{"rct2mqtt/bridge/status", "offline"});
  if (!run_until(
          io, [&] { return observer.connected > 0 || !observer.failed.empty(); }, 10s)) {
    return false;
  }
  if (observer.connected == 0) return false;
  // A publish acknowledged at QoS 1 proves the session really works over TLS.
  if (!client.publish("rct2mqtt/tls", "ok", 1, false)) return false;
  return run_until(
      io, [&] { return client.stats().delivered == 1; }, 5s);
}

}  // namespace

TEST_CASE("over TLS the client checks the broker against the CA and presents its certificate",
          "[mqtt][tls][integration]") {
  TlsSetup setup;
  Observer observer;
  CHECK(connects(setup.config("rct-tls-full"), observer));
  CHECK(observer.failed.empty());
}

TEST_CASE("over TLS a broker certificate from an unknown CA is refused unless insecure is set",
          "[mqtt][tls][integration]") {
  TlsSetup setup;
  rct::MqttConfig config = setup.config("rct-tls-noca");
  config.tls.ca_file.clear();  // the system trust store does not know the test CA
  Observer refused;
  CHECK_FALSE(connects(config, refused));
  CHECK(refused.connected == 0);
  CHECK_FALSE(refused.failed.empty());

  config.tls.insecure = true;
  Observer accepted;
  CHECK(connects(config, accepted));
}

TEST_CASE("over TLS a client without its certificate or with a wrong key password is refused",
          "[mqtt][tls][integration]") {
  TlsSetup setup;
  rct::MqttConfig no_cert = setup.config("rct-tls-nocert");
  no_cert.tls.cert_file.clear();
  no_cert.tls.key_file.clear();
  no_cert.tls.key_password = rct::Secret();
  Observer without;
  CHECK_FALSE(connects(no_cert, without));
  CHECK(without.connected == 0);

  rct::MqttConfig wrong_password = setup.config("rct-tls-badpw");
  wrong_password.tls.key_password = rct::Secret("wrong");
  Observer wrong;
  CHECK_FALSE(connects(wrong_password, wrong));
  CHECK(wrong.connected == 0);
}
