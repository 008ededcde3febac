#include "tools/rctclient/doctor_mqtt.h"

#include <mqtt/async_client.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <optional>
#include <set>
#include <string_view>

#include "daemon/adapters/paho_connect_options.h"
#include "tools/rctclient/doctor_net.h"
#include "tools/rctclient/doctor_rules.h"

namespace rct::cli::doctor {
namespace {

constexpr int kConnackBadCredentials = 4;    // MQTT 3.1.1
constexpr int kConnackNotAuthorized = 5;     // MQTT 3.1.1
constexpr int kReasonBadCredentials = 0x86;  // MQTT 5
constexpr int kReasonNotAuthorized = 0x87;   // MQTT 5

bool is_ip_address(const std::string& host) {
  asio::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// Our own handshake, so that a failed verification is reported in OpenSSL's words ("self-signed
// certificate", "hostname mismatch") rather than Paho's "TCP/TLS connect failure".
TlsFigures probe_tls(const MqttProbeOptions& o) {
  TlsFigures figures;
  figures.used = true;
  const TlsConfig& tls = o.mqtt.tls;
  figures.insecure = tls.insecure;
  figures.ca = tls.ca_file.empty() ? "system trust store" : "CA file " + tls.ca_file;
  asio::error_code ec;
  asio::ssl::context context(asio::ssl::context::tls_client);
  if (tls.ca_file.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.load_verify_file(tls.ca_file, ec);
  }
  if (!ec && !tls.cert_file.empty()) context.use_certificate_chain_file(tls.cert_file, ec);
  if (!ec && !tls.key_password.empty()) {
    // Called only inside use_private_key_file below, while `tls` lives.
    context.set_password_callback(
        [&tls](std::size_t, asio::ssl::context::password_purpose) -> std::string {
          return tls.key_password.reveal();
        },
        ec);
  }
  if (!ec && !tls.key_file.empty()) {
    context.use_private_key_file(tls.key_file, asio::ssl::context::pem, ec);
  }
  if (ec) {
    figures.error = "cannot load the TLS files: " + ec.message();
    return figures;
  }
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  asio::ssl::stream<asio::ip::tcp::socket> stream(io, context);
  SSL* ssl = stream.native_handle();
  if (!is_ip_address(o.host)) SSL_set_tlsext_host_name(ssl, o.host.c_str());
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip_address(o.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, o.host.c_str());
  } else {
    X509_VERIFY_PARAM_set1_host(param, o.host.c_str(), 0);
  }
  stream.set_verify_mode(tls.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);

  asio::ip::tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(o.host, std::to_string(o.port), ec);
  if (ec) {
    figures.error = "cannot resolve " + o.host + ": " + ec.message();
    return figures;
  }
  const DoctorClock::time_point deadline = DoctorClock::now() + o.timeout;
  std::optional<asio::error_code> connected;
  asio::async_connect(
      stream.lowest_layer(), endpoints,
      [&](const asio::error_code& e, const asio::ip::tcp::endpoint&) { connected = e; });
  std::optional<asio::error_code> handshake;
  if (run_until(io, deadline, [&] { return connected.has_value(); }) && !*connected) {
    stream.async_handshake(asio::ssl::stream_base::client,
                           [&](const asio::error_code& e) { handshake = e; });
    run_until(io, deadline, [&] { return handshake.has_value(); });
  }
  if (handshake && !*handshake) {
    figures.handshake_ok = true;
  } else if (!handshake) {
    figures.error =
        connected && *connected ? connected->message() : "no TLS handshake within the timeout";
  } else {
    const long verify = SSL_get_verify_result(ssl);
    figures.error = verify != X509_V_OK ? std::string("certificate verify failed: ") +
                                              X509_verify_cert_error_string(verify)
                                        : handshake->message();
  }
  asio::error_code ignored;
  stream.lowest_layer().close(ignored);
  io.poll();
  return figures;
}

LoginFigures classify_login_error(const mqtt::exception& e, const std::string& username) {
  LoginFigures figures;
  figures.username = username;
  // Paho C++ puts the CONNACK code in the return code under both versions; the reason code is
  // set only by some paths.
  const int rc = e.get_return_code();
  const int reason = e.get_reason_code();
  auto is = [rc, reason](int code) { return rc == code || reason == code; };
  figures.code = reason > 0 ? reason : rc;
  if (is(kConnackBadCredentials) || is(kReasonBadCredentials)) {
    figures.outcome = LoginOutcome::kBadCredentials;
  } else if (is(kConnackNotAuthorized) || is(kReasonNotAuthorized)) {
    // Mosquitto answers a wrong password with "not authorized": with a user name given, that
    // is the password (or the name) being refused.
    figures.outcome =
        username.empty() ? LoginOutcome::kNotAuthorized : LoginOutcome::kBadCredentials;
  } else {
    figures.outcome = LoginOutcome::kFailed;
    figures.error = e.what();
  }
  return figures;
}

mqtt::connect_options doctor_connect_options(const MqttProbeOptions& o) {
  return paho_connect_builder(o.mqtt, o.tls)
      .connect_timeout(o.timeout)
      .keep_alive_interval(std::chrono::seconds(30))
      .finalize();
}

// The third level of "<prefix>/<platform>/<node>/config", or "" for another topic.
std::string discovery_node(const std::string& topic, const std::string& prefix) {
  if (topic.rfind(prefix + "/", 0) != 0) return "";
  const std::string rest = topic.substr(prefix.size() + 1);
  const std::size_t a = rest.find('/');
  if (a == std::string::npos) return "";
  const std::size_t b = rest.find('/', a + 1);
  if (b == std::string::npos || rest.substr(b) != "/config") return "";
  return rest.substr(a + 1, b - a - 1);
}

}  // namespace

std::vector<Check> probe_mqtt(const MqttProbeOptions& o) {
  std::vector<Check> checks;
  const TcpFigures tcp = probe_tcp(o.host, o.port, o.timeout);
  checks.push_back(judge_tcp("mqtt.tcp", tcp));

  TlsFigures tls;
  if (o.tls && tcp.connected) tls = probe_tls(o);
  if (o.tls && !tcp.connected) {
    checks.push_back(Check{"mqtt.tls", Verdict::kSkipped, "not checked: no connection",
                           nlohmann::json::object()});
  } else {
    checks.push_back(judge_tls(tls));
  }

  LoginFigures login;
  login.username = o.mqtt.username;
  BrokerDataFigures data;
  data.listen_s = o.listen_s;
  data.discovery_enabled = o.discovery_enabled;
  data.discovery_filter = o.discovery_prefix + "/+/+/config";
  data.node_prefix = "rct2mqtt_" + o.serial;
  data.values_filter = o.base_topic + "/" + (o.serial.empty() ? "#" : o.serial + "/#");

  if (tcp.connected && (!o.tls || tls.handshake_ok)) {
    const std::string client_id = "rctclient-doctor-" + std::to_string(::getpid());
    try {
      mqtt::async_client client(o.mqtt.uri, client_id, paho_create_options(o.mqtt.protocol),
                                nullptr);
      client.start_consuming();
      try {
        client.connect(doctor_connect_options(o))->wait_for(o.timeout + std::chrono::seconds(1));
        login.outcome = client.is_connected() ? LoginOutcome::kAccepted : LoginOutcome::kFailed;
        if (!client.is_connected()) login.error = "no answer from the broker";
      } catch (const mqtt::exception& e) {
        login = classify_login_error(e, o.mqtt.username);
      }
      if (login.outcome == LoginOutcome::kAccepted) {
        data.connected = true;
        std::set<std::string> configs;
        std::set<std::string> values;
        std::vector<std::string> filters = {data.values_filter};
        if (o.discovery_enabled) filters.push_back(data.discovery_filter);
        for (const std::string& filter : filters) {
          client.subscribe(filter, 0)->wait_for(o.timeout);
        }
        const auto deadline = std::chrono::steady_clock::now() +
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                  std::chrono::duration<double>(o.listen_s));
        mqtt::const_message_ptr message;
        while (client.try_consume_message_until(&message, deadline)) {
          if (!message || message->get_payload().empty()) continue;
          const std::string& topic = message->get_topic();
          const std::string node = discovery_node(topic, o.discovery_prefix);
          if (!node.empty()) {
            if (node.rfind(data.node_prefix, 0) == 0) configs.insert(topic);
          } else if (topic.rfind(o.base_topic + "/", 0) == 0 &&
                     (!o.serial.empty() || topic != o.base_topic + "/status")) {
            values.insert(topic);
          }
        }
        data.discovery_configs = static_cast<unsigned>(configs.size());
        data.value_topics = static_cast<unsigned>(values.size());
        client.disconnect()->wait_for(o.timeout);
      }
      client.stop_consuming();
    } catch (const mqtt::exception& e) {
      if (login.outcome == LoginOutcome::kNotTried) {
        login.outcome = LoginOutcome::kFailed;
        login.error = e.what();
      }
    }
  }
  checks.push_back(judge_login(login));
  checks.push_back(judge_discovery(data));
  checks.push_back(judge_values(data));
  return checks;
}

}  // namespace rct::cli::doctor
