#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <asio.hpp>
#include <csignal>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/commands.h"
#include "tools/simulator/simulator.h"

namespace rct::cli {
namespace {

constexpr double kDefaultFaultProbability = 0.05;

struct SimulatorArgs {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8899;
  bool verbose = false;
  double time_scale = 1.0;
  unsigned service_time_ms = 200;
  bool no_truncation = false;
  bool echo_writes = false;
  unsigned write_delay_ms = 300;
  bool busy = false;
  std::int32_t bat_status = 0;
  std::string calibration = "none";
  bool reboot_keeps_power_reduction = false;
  bool requires_com_mode = false;
  std::optional<double> trap_grid_charge;  // %
  std::vector<std::string> faults;
  std::vector<unsigned> device_faults;  // fault numbers of fault[0..3].flt raised from the start
  unsigned stall_ms = 3000;
  std::uint64_t seed = 1;
  std::size_t page_size = 24;
  std::size_t max_clients = 5;
};

// "NAME" or "NAME=PROB" (and "disconnect_after=N") into the fault configuration.
void parse_fault(const std::string& spec, sim::FaultConfig& config) {
  const std::size_t eq = spec.find('=');
  const std::string name = spec.substr(0, eq);
  const std::string value = eq == std::string::npos ? "" : spec.substr(eq + 1);
  if (name == "disconnect_after") {
    try {
      std::size_t used = 0;
      const unsigned long n = std::stoul(value, &used);
      if (used != value.size() || n == 0) throw std::invalid_argument(value);
      config.disconnect_after_frames = static_cast<unsigned>(n);
    } catch (const std::exception&) {
      throw UsageError("--fault disconnect_after needs a frame count, e.g. disconnect_after=20");
    }
    return;
  }
  std::optional<sim::FaultKind> kind = sim::fault_from_name(name);
  if (!kind) {
    std::string names;
    for (sim::FaultKind f : sim::kAllFaults)
      names += std::string(names.empty() ? "" : ", ") + std::string(sim::fault_name(f));
    throw UsageError("unknown fault '" + name + "' (" + names + ", disconnect_after=N)");
  }
  double p = kDefaultFaultProbability;
  if (!value.empty()) {
    try {
      std::size_t used = 0;
      p = std::stod(value, &used);
      if (used != value.size()) throw std::invalid_argument(value);
    } catch (const std::exception&) {
      throw UsageError("--fault " + name + ": '" + value + "' is not a probability");
    }
  }
  if (!(p >= 0 && p <= 1)) throw UsageError("--fault " + name + ": probability must be 0..1");
  config.probability[static_cast<std::size_t>(*kind)] = p;
}

void run_simulator(const Registry& registry, const SimulatorArgs& args) {
  if (!(args.time_scale > 0)) throw UsageError("--time-scale must be positive");
  auto logger = std::make_shared<spdlog::logger>(
      "simulator", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
  logger->set_level(args.verbose ? spdlog::level::debug : spdlog::level::info);

  sim::SimulatorOptions options;
  options.host = args.host;
  options.port = args.port;
  options.service_time = std::chrono::milliseconds(args.service_time_ms);
  options.truncation = !args.no_truncation;
  options.echo_writes = args.echo_writes;
  options.write_delay = std::chrono::milliseconds(args.write_delay_ms);
  options.busy = args.busy;
  options.bat_status = args.bat_status;
  const std::optional<sim::Calibration> calibration = sim::calibration_from_name(args.calibration);
  if (!calibration) {
    throw UsageError("--calibration must be none, charge or discharge (got '" + args.calibration +
                     "')");
  }
  options.calibration = *calibration;
  options.reboot_keeps_power_reduction = args.reboot_keeps_power_reduction;
  options.requires_com_mode = args.requires_com_mode;
  if (args.trap_grid_charge) options.trap_grid_charge = *args.trap_grid_charge / 100;
  options.time_scale = args.time_scale;
  options.seed = args.seed;
  options.page_size = args.page_size;
  options.max_clients = args.max_clients;
  options.faults.stall_duration = std::chrono::milliseconds(args.stall_ms);
  for (const std::string& spec : args.faults) parse_fault(spec, options.faults);
  options.logger = logger;

  asio::io_context io;
  sim::Simulator simulator(io, registry, options);
  try {
    simulator.start();
  } catch (const std::system_error& e) {
    throw UsageError("cannot listen on " + args.host + ":" + std::to_string(args.port) + ": " +
                     e.code().message());
  }
  std::cout << "listening on " << args.host << ":" << simulator.port() << std::endl;
  for (unsigned n : args.device_faults) (void)simulator.set_device_fault(n, true);  // on the loop

  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::signal_set reboots(io, SIGUSR1);
  signals.async_wait([&](const asio::error_code& ec, int signal) {
    if (ec) return;
    logger->info("signal {}: stopping", signal);
    reboots.cancel();
    simulator.shutdown();
  });
  // SIGUSR1: the device reboots; written settings revert to their defaults.
  std::function<void()> wait_reboot = [&] {
    reboots.async_wait([&](const asio::error_code& ec, int) {
      if (ec) return;
      (void)simulator.reboot();  // applied on this loop; nobody waits for it
      wait_reboot();
    });
  };
  wait_reboot();
  io.run();
}

}  // namespace

void add_simulator_command(CLI::App& app, const Registry& registry) {
  auto args = std::make_shared<SimulatorArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulator",
      "Run a simulated inverter (house model, shared serial link, fault injection); SIGUSR1 "
      "reboots it: written settings revert to their defaults");
  cmd->add_option("--host", args->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", args->port, "TCP port (0 = any free port)")->capture_default_str();
  cmd->add_flag("--verbose", args->verbose, "Log every frame (debug level)");
  cmd->add_option("--time-scale", args->time_scale,
                  "Simulated seconds per real second (1440: a day in a minute)")
      ->capture_default_str();
  cmd->add_option("--service-time-ms", args->service_time_ms,
                  "Time one reply occupies the serial link")
      ->capture_default_str();
  cmd->add_flag("--no-truncation", args->no_truncation,
                "Do not cut a reply short when a request arrives while it is sent");
  cmd->add_flag("--echo-writes", args->echo_writes, "Answer a stored WRITE with a RESPONSE");
  cmd->add_option("--write-delay-ms", args->write_delay_ms,
                  "Time until a written setting becomes readable (0: at once)")
      ->capture_default_str();
  cmd->add_flag("--busy", args->busy,
                "Ignore every WRITE of a setting, as a device the app shows offline does");
  cmd->add_option("--bat-status", args->bat_status,
                  "battery.bat_status in normal operation: 0 (older systems), 1032 or 2048 "
                  "(current firmware; 2048 = balancing)")
      ->capture_default_str()
      ->check(CLI::IsMember({0, 1032, 2048}));
  cmd->add_option("--calibration", args->calibration,
                  "The battery calibrates for the whole run: none, charge (battery.status2 bit 3) "
                  "or discharge (bit 10)")
      ->capture_default_str();
  cmd->add_flag("--reboot-keeps-power-reduction", args->reboot_keeps_power_reduction,
                "A reboot (SIGUSR1) keeps buf_v_control.power_reduction instead of reverting it "
                "to 100 % (a claim from the field)");
  cmd->add_flag("--requires-com-mode", args->requires_com_mode,
                "Answer READs only on connections that sent the EXTENSION frame 2b 3c e1 first "
                "(an unconfirmed claim about some firmware, docs/protocol.md §3.7)");
  cmd->add_option("--trap-grid-charge", args->trap_grid_charge,
                  "MARGIN %: with strategy Internal and the SOC below soc_min + MARGIN, charge "
                  "the battery from the grid at full power (a trap seen in the field)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option(
         "--fault", args->faults,
         "NAME[=PROB] per reply (default 0.05): garbage, corrupt_crc, drop, wrong_oid, "
         "truncate, stall, disconnect, counter_reset, absurd, split, night (refuse connections "
         "while the model's PV is zero); or disconnect_after=N frames. Repeatable.")
      ->take_all();
  cmd->add_option("--device-fault", args->device_faults,
                  "N: the inverter reports fault N of fault[0..3].flt (0..127, docs/protocol.md "
                  "§14.1) for the whole run. Repeatable.")
      ->check(CLI::Range(0, 127))
      ->take_all();
  cmd->add_option("--stall-ms", args->stall_ms, "How long a stall fault blocks the link")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the house model and the faults")
      ->capture_default_str();
  cmd->add_option("--page-size", args->page_size, "Samples per time-series / event-table answer")
      ->capture_default_str()
      ->check(CLI::Range(1, 2000));
  cmd->add_option("--max-clients", args->max_clients, "Connections the bridge accepts")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->callback([args, &registry] { run_simulator(registry, *args); });
}

}  // namespace rct::cli
