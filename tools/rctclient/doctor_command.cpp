// doctor: one command that answers a support thread (docs/rctclient.md "doctor"): can the
// inverter be reached, does it answer and how fast, is another client on the link, are replies
// broken, what is installed, does the COM mode frame matter, and is the broker there with
// rct2mqtt's discovery and values.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "config/config_loader.h"
#include "config/environment.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/client_log.h"
#include "tools/rctclient/commands.h"
#include "tools/rctclient/connection_args.h"
#include "tools/rctclient/doctor_inverter.h"
#include "tools/rctclient/doctor_mqtt.h"
#include "tools/rctclient/doctor_report.h"
#include "tools/rctclient/doctor_rules.h"

namespace rct::cli {
namespace {

constexpr int kDoctorUsageExit = 2;

struct DoctorArgs {
  ConnectionArgs connection;
  bool port_given = false;
  std::string mqtt_uri;
  std::string ca_file;
  std::string config_path;
  std::string inverter;  // [[inverter]] name in the config; empty: the first one
  bool json = false;
  unsigned reads = 20;
  double listen_s = 5;
};

[[noreturn]] void doctor_usage(const std::string& message) {
  throw CommandFailure(kDoctorUsageExit, "doctor: " + message);
}

Config load_doctor_config(const Registry& registry, const std::string& path) {
  const ValueCatalog catalog{
      [&registry](std::string_view name) { return registry.find(name) != nullptr; },
      [&registry](std::uint32_t id) { return registry.find(id) != nullptr; }};
  auto loaded = load_config(path, Environment::from_process(), catalog);
  if (!loaded) doctor_usage("cannot use " + path + ":\n" + format_errors(loaded.error()));
  return std::move(loaded.value());
}

const InverterConfig* pick_inverter(const Config& config, const std::string& name) {
  for (const InverterConfig& inverter : config.inverters) {
    if (name.empty() || inverter.name == name) return &inverter;
  }
  if (!name.empty()) doctor_usage("no [[inverter]] named '" + name + "' in the configuration");
  return nullptr;
}

doctor::MqttProbeOptions mqtt_from_uri(const std::string& text, const std::string& ca_file) {
  std::string error;
  const std::optional<doctor::MqttUri> uri = doctor::parse_mqtt_uri(text, &error);
  if (!uri) doctor_usage("--mqtt: " + error);
  doctor::MqttProbeOptions o;
  o.host = uri->host;
  o.port = uri->port;
  o.tls = uri->tls;
  o.mqtt.uri = uri->paho_uri();
  o.mqtt.scheme = uri->tls ? MqttScheme::kSsl : MqttScheme::kTcp;
  o.mqtt.username = uri->username;
  o.mqtt.password = Secret(uri->password);
  o.mqtt.tls.ca_file = ca_file;
  return o;
}

doctor::MqttProbeOptions mqtt_from_config(const Config& config) {
  std::string error;
  const std::optional<doctor::MqttUri> uri = doctor::parse_mqtt_uri(config.mqtt.uri, &error);
  if (!uri) doctor_usage("[mqtt] uri " + doctor::redact_uri(config.mqtt.uri) + ": " + error);
  doctor::MqttProbeOptions o;
  o.mqtt = config.mqtt;
  o.mqtt.uri = uri->paho_uri();
  o.host = uri->host;
  o.port = uri->port;
  o.tls = uri->tls;
  o.discovery_enabled = config.homeassistant.enabled;
  o.discovery_prefix = config.homeassistant.prefix;
  o.base_topic = config.mqtt.base_topic;
  return o;
}

int run_doctor(const Registry& registry, const GlobalOptions& globals, DoctorArgs a) {
  if (a.reads == 0) doctor_usage("-n must be at least 1");
  if (!(a.listen_s >= 0)) doctor_usage("--listen must not be negative");
  std::optional<Config> config;
  if (!a.config_path.empty()) config = load_doctor_config(registry, a.config_path);
  if (a.connection.host.empty() && config) {
    if (const InverterConfig* inverter = pick_inverter(*config, a.inverter)) {
      a.connection.host = inverter->host;
      if (!a.port_given) a.connection.port = inverter->port;
    }
  }
  if (a.connection.host.empty()) {
    doctor_usage("give --host, or -c with an [[inverter]] in the configuration");
  }

  LogObserver log(make_client_logger(globals.debug), target(a.connection));
  doctor::InverterProbeOptions inverter_options{a.connection, a.reads, a.listen_s};
  doctor::InverterProbe inverter = doctor::probe_inverter(registry, inverter_options, log);
  doctor::Report report;
  report.checks = std::move(inverter.checks);

  std::optional<doctor::MqttProbeOptions> mqtt;
  if (!a.mqtt_uri.empty()) {
    mqtt = mqtt_from_uri(a.mqtt_uri, a.ca_file);
  } else if (config) {
    mqtt = mqtt_from_config(*config);
  }
  if (mqtt) {
    mqtt->serial = inverter.serial;
    mqtt->listen_s = a.listen_s;
    mqtt->timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::duration<double>(std::max(a.connection.timeout, 2.0)));
    for (doctor::Check& check : doctor::probe_mqtt(*mqtt)) report.checks.push_back(check);
  } else {
    report.checks.push_back(doctor::Check{"mqtt", doctor::Verdict::kSkipped,
                                          "not checked: give --mqtt URI or -c CONFIG",
                                          nlohmann::json::object()});
  }

  if (a.json) {
    std::cout << doctor::render_json(report).dump() << '\n';
  } else {
    std::cout << doctor::render_text(report);
  }
  std::cout.flush();
  return doctor::exit_code(report);
}

}  // namespace

CLI::App* add_doctor_command(CLI::App& app, const Registry& registry,
                             const GlobalOptions& globals) {
  auto args = std::make_shared<DoctorArgs>();
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "Check the inverter link and the broker, one verdict (ok / warning / problem) per check. "
      "Exit 0: no problem (warnings allowed), 1: a problem, 2: bad usage");
  cmd->add_option("--host", args->connection.host,
                  "Host name or IP address of the inverter (default: the configuration's)");
  cmd->add_option("--port", args->connection.port, "TCP port of the inverter")
      ->capture_default_str();
  cmd->add_option("--timeout", args->connection.timeout,
                  "Seconds to wait for the connection and for each answer")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("-n,--reads", args->reads, "Timed reads")->capture_default_str();
  cmd->add_option("--listen", args->listen_s,
                  "Seconds to listen for other clients' replies (and for the broker's topics)")
      ->capture_default_str();
  auto* mqtt = cmd->add_option("--mqtt", args->mqtt_uri,
                               "Broker to check: mqtt://user:password@host:1883 or mqtts://...");
  cmd->add_option("--ca-file", args->ca_file,
                  "CA certificate (PEM) for an mqtts:// broker (default: the system trust store)");
  auto* config = cmd->add_option("-c,--config", args->config_path,
                                 "The daemon's configuration: inverter, broker, credentials, TLS, "
                                 "topics");
  mqtt->excludes(config);
  cmd->add_option("--inverter", args->inverter,
                  "With -c: the [[inverter]] of this name (default: the first)");
  cmd->add_flag("--json", args->json, "Print one JSON object with every check");
  cmd->fallthrough();
  cmd->callback([&registry, &globals, args, cmd] {
    args->port_given = cmd->count("--port") > 0;
    const int rc = run_doctor(registry, globals, *args);
    if (rc != 0) throw CommandFailure(rc, "doctor: found a problem");
  });
  return cmd;
}

}  // namespace rct::cli
