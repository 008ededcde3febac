// rct2mqtt: polls RCT Power inverters and publishes their values to MQTT.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <cstdio>
#include <exception>
#include <iostream>
#include <memory>
#include <string>

#include "config/config_dump.h"
#include "config/config_loader.h"
#include "config/environment.h"
#include "core/registry.h"
#include "daemon/adapters/logging.h"
#include "daemon/adapters/paho_mqtt_client.h"
#include "daemon/adapters/systemd_notifier.h"
#include "daemon/app/app.h"

namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG (sysexits.h)

int run(int argc, char** argv) {
  CLI::App cli{"rct2mqtt: RCT Power inverters to MQTT with Home Assistant discovery"};
  std::string config_path;
  bool check_config = false;
  bool remove_discovery = false;
  cli.add_option("-c,--config", config_path, "configuration file (TOML)");
  cli.add_flag("--check-config", check_config,
               "validate the configuration, print it with defaults (secrets masked), exit 0 or 78");
  cli.add_flag("--remove-discovery", remove_discovery,
               "publish empty retained Home Assistant configs for everything announced, then exit");
  cli.set_version_flag("--version", std::string("rct2mqtt ") + RCT2MQTT_VERSION);
  CLI11_PARSE(cli, argc, argv);

  if (config_path.empty()) {
    std::cerr << "rct2mqtt: a configuration file is required (-c FILE)\n";
    return kExitConfig;
  }
  const rct::Registry registry;
  auto loaded = rct::load_config(config_path, rct::Environment::from_process(),
                                 rct::daemon::App::value_catalog(registry));
  if (!loaded) {
    std::cerr << rct::format_errors(loaded.error());
    return kExitConfig;
  }
  if (check_config) {
    std::cout << rct::dump_config(loaded.value());
    return 0;
  }
  try {
    auto log = rct::make_logger("rct2mqtt", loaded.value().logging.level,
                                rct::LogEnvironment::from_process());
    // The one loop of the process; the App and the Paho clients it makes run on it.
    asio::io_context io;
    rct::SystemdNotifier notifier;
    auto make_mqtt = [&io](const rct::MqttConfig& mqtt) -> std::unique_ptr<rct::MqttClient> {
      return std::make_unique<rct::PahoMqttClient>(io, mqtt);
    };
    rct::daemon::App app(io, std::move(loaded.value()), config_path, log, make_mqtt, notifier);
    if (remove_discovery) return app.remove_discovery(std::chrono::seconds{15});
    return app.run();
  } catch (const std::exception& e) {
    // Only setup throws (e.g. an MQTT URI Paho rejects); the loop never does.
    std::cerr << "rct2mqtt: " << e.what() << '\n';
    return kExitConfig;
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    // run() reports setup failures itself; what arrives here is a bug or exhausted memory.
    std::cerr << "rct2mqtt: " << e.what() << '\n';
    return 1;
  }
}
