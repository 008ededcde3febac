#pragma once

#include <CLI/CLI.hpp>

#include "core/registry.h"

namespace rct::cli {

// Flags of the app itself, read by subcommands when their callbacks run (after parsing).
struct GlobalOptions {
  bool debug = false;  // --debug: log on stderr, values alone on stdout
};

// Each adds its subcommand tree to `app`. The callbacks run inside app.parse(); they throw
// UsageError for bad input and write results to stdout. `registry` outlives `app`.
void add_frame_commands(CLI::App& app, const Registry& registry);
void add_value_commands(CLI::App& app, const Registry& registry);
void add_registry_commands(CLI::App& app, const Registry& registry);
// read-value, read-values: talk to an inverter. `globals` outlives `app`.
void add_read_commands(CLI::App& app, const Registry& registry, const GlobalOptions& globals);
// write-value: one verified write of an allowlisted setting (exit codes in its --help).
void add_write_commands(CLI::App& app, const Registry& registry, const GlobalOptions& globals);
// battery-mode: one battery mode by the daemon's mode machine (exit codes in its --help).
void add_battery_mode_command(CLI::App& app, const Registry& registry,
                              const GlobalOptions& globals);
// doctor: the link and broker checks (docs/rctclient.md "doctor"). Its own usage errors exit 2;
// the returned subcommand lets main() give CLI11's parse errors the same exit code.
CLI::App* add_doctor_command(CLI::App& app, const Registry& registry, const GlobalOptions& globals);
// Runs until SIGINT/SIGTERM; prints "listening on HOST:PORT" once bound.
void add_simulator_command(CLI::App& app, const Registry& registry);

// Reads a hex argument; "-" reads it from standard input.
std::string read_hex_argument(const std::string& arg);
// Hex text to bytes, or UsageError naming `what`.
std::vector<std::uint8_t> parse_hex_or_throw(const std::string& text, const char* what);

}  // namespace rct::cli
