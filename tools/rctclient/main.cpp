// rctclient: command-line access to RCT Power inverters and to the protocol core.
#include <CLI/CLI.hpp>
#include <iostream>

#include "core/registry.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/commands.h"

namespace {

int run(const rct::Registry& registry, int argc, char** argv) {
  CLI::App app{"rctclient: talk to RCT Power inverters and decode their protocol"};
  app.require_subcommand(1);
  rct::cli::GlobalOptions globals;
  app.add_flag("--debug", globals.debug,
               "Log what happens on the link to stderr; values stay alone on stdout");
  rct::cli::add_frame_commands(app, registry);
  rct::cli::add_value_commands(app, registry);
  rct::cli::add_registry_commands(app, registry);
  rct::cli::add_read_commands(app, registry, globals);
  rct::cli::add_write_commands(app, registry, globals);
  rct::cli::add_battery_mode_command(app, registry, globals);
  rct::cli::add_simulator_command(app, registry);
  const CLI::App* doctor = rct::cli::add_doctor_command(app, registry, globals);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every other parse error is bad input: exit 1, or 2 for doctor,
    // whose exit 1 means "a problem was found".
    const int rc = app.exit(e);
    if (rc == 0) return 0;
    return doctor->parsed() ? 2 : 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const rct::Registry registry;
    return run(registry, argc, argv);
  } catch (const rct::cli::CommandFailure& e) {
    std::cerr << "rctclient: " << e.what() << '\n';
    return e.exit_code();
  } catch (const rct::cli::UsageError& e) {
    std::cerr << "rctclient: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "rctclient: " << e.what() << '\n';
    return 1;
  }
}
