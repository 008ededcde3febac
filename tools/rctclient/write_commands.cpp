// write-value: one verified write of an allowlisted setting (docs/protocol.md §13) over
// core/client.
#include <algorithm>
#include <asio.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "core/client/client.h"
#include "core/client/verified_writer.h"
#include "core/hex.h"
#include "core/number_text.h"
#include "core/write_allowlist.h"
#include "core/write_validation.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/client_log.h"
#include "tools/rctclient/commands.h"
#include "tools/rctclient/connection_args.h"
#include "tools/rctclient/value_text.h"

namespace rct::cli {
namespace {

// Exit codes of write-value (also in its --help).
constexpr int kExitNotConfirmed = 2;  // --yes missing: nothing was sent
constexpr int kExitRejected = 3;      // refused by the checks: no WRITE was sent
constexpr int kExitUnverified = 4;    // a WRITE may have been sent; the value was not read back

constexpr const char* kRisks =
    "Risks: the inverter does not acknowledge writes and checks little itself; rctclient reads\n"
    "the value back to verify it. Written settings are volatile: they revert when the inverter\n"
    "restarts, and rctclient never makes them permanent (it cannot write com_service, the flash\n"
    "command). Settings have side effects: a higher power_mng.soc_min, a strategy change or an\n"
    "external battery power can make the inverter charge the battery from the grid at full power.";

struct WriteValueArgs {
  ConnectionArgs connection;
  std::string id;
  std::string name;
  std::string value;
  bool yes = false;
  bool dry_run = false;
  bool verbose = false;
};

// The wire range of an entry as read-value shows values: "0.05..0.8 (5..80 %), step 0.01".
std::string wire_range(const WritableEntry& e) {
  switch (write_kind(e)) {
    case WriteKind::kBool:
      return "true, false";
    case WriteKind::kEnum: {
      std::string s;
      for (const EnumEntry& o : enum_options(e)) {
        if (!s.empty()) s += ", ";
        s += std::to_string(o.value) + " " + std::string(o.text);
      }
      return s;
    }
    case WriteKind::kNumber: {
      // Shortest text of the decimal (not float32) value: 0.05, not 0.05000000074505806.
      auto text = [](double v) {
        std::string t = python_repr(v);
        if (t.size() > 2 && t.compare(t.size() - 2, 2, ".0") == 0) t.resize(t.size() - 2);
        return t;
      };
      std::string s = text(e.min / e.scale) + ".." + text(e.max / e.scale);
      if (e.scale != 1.0) {
        s += " (" + text(e.min) + ".." + text(e.max) + " " + std::string(e.unit) + ")";
      } else if (!e.unit.empty()) {
        s += " " + std::string(e.unit);
      }
      return s + ", step " + text(e.step / e.scale);
    }
  }
  return "";
}

std::string help_footer() {
  std::string s =
      "VALUE is in the unit read-value prints (fractions 0..1 for SOC settings); a select takes\n"
      "its number or its label, a switch true/false/1/0/on/off.\n"
      "\n"
      "Exit codes: 0 verified (or --dry-run passed), 1 bad usage, 2 not confirmed (--yes missing;\n"
      "nothing sent), 3 rejected (allowlist, bounds, interlock; no WRITE sent), 4 unverified (a\n"
      "WRITE may have been applied; check with read-value).\n"
      "\n"
      "Interlocks, checked against values read just before: a strategy other than Internal and a\n"
      "non-zero battery_power_extern are refused while battery.status2 says the battery is\n"
      "calibrating (bit 3 charge phase, bit 10 discharge phase; bat_status 1032 / 2048 and\n"
      "balancing pass); External needs battery_power_extern 0 first; a non-zero\n"
      "battery_power_extern needs strategy External; soc_min and soc_min_island stay at or below\n"
      "soc_max; soc_min is not raised above the battery's SOC.\n"
      "\n"
      "Writable values:\n";
  for (const WritableEntry& e : writable_entries()) {
    std::string name(e.name);
    name.resize(std::max<std::size_t>(name.size() + 1, 33), ' ');
    s += "  " + name + wire_range(e) + "\n";
  }
  s += "\n";
  s += kRisks;
  return s;
}

// "power_mng.soc_min = 0.2 (20 %)": what a write would do, in both units.
std::string describe(const PreparedWrite& w) {
  const WritableEntry& e = *w.entry;
  std::string s = std::string(e.name) + " = " + value_text(w.value);
  if (write_kind(e) == WriteKind::kEnum) {
    s += " (" + w.text + ")";
  } else if (write_kind(e) == WriteKind::kNumber && e.scale != 1.0) {
    s += " (" + w.text + " " + std::string(e.unit) + ")";
  } else if (write_kind(e) == WriteKind::kNumber && !e.unit.empty()) {
    s += " " + std::string(e.unit);
  }
  return s;
}

client::WriteOutcome run_write(const Registry& registry, const GlobalOptions& globals,
                               const WriteValueArgs& a, std::uint32_t oid,
                               std::string& link_failure) {
  LogObserver observer(make_client_logger(globals.debug), target(a.connection));
  asio::io_context io;
  client::Client client(io, registry, client_options(a.connection), observer);
  client::WriterOptions options;
  options.verify.dry_run = a.dry_run;
  options.min_interval = client::Duration::zero();  // one write per run
  client::VerifiedWriter writer(io, client, allow_every_writable(), options);
  std::optional<client::WriteOutcome> outcome;
  client.start();
  client::WriteRequest request;
  request.oid = oid;
  request.value = a.value;
  request.unit = InputUnit::kWire;
  writer.submit(std::move(request), [&](const client::WriteOutcome& o) {
    outcome = o;
    client.stop();  // the loop then runs out of work
  });
  io.run();
  link_failure = observer.last_failure();
  if (!outcome) throw std::runtime_error("the write did not finish");
  return *outcome;
}

void write_value(const Registry& registry, const GlobalOptions& globals, const WriteValueArgs& a) {
  if (a.id.empty() == a.name.empty()) throw UsageError("give exactly one of --id and --name");
  const OidInfo& info =
      a.id.empty() ? resolve(registry, a.name, false) : resolve(registry, a.id, true);

  // The static checks first: a refused value never opens a connection.
  auto prepared = prepare_write(allow_every_writable(), info.id, a.value, InputUnit::kWire);
  if (!prepared) {
    std::string message = "rejected (" + std::string(reject_reason_name(prepared.error().reason)) +
                          "): " + prepared.error().message;
    if (prepared.error().reason == RejectReason::kNotAllowlisted) {
      message = "rejected (not_allowlisted): " + std::string(info.name) + " (" +
                format_oid(info.id) + ") is not writable; see write-value --help";
    }
    throw CommandFailure(kExitRejected, message);
  }
  if (!a.yes && !a.dry_run) {
    throw CommandFailure(kExitNotConfirmed,
                         "not written: add --yes to write " + describe(*prepared) + " (payload " +
                             to_hex(prepared->payload) + ") to " + target(a.connection) +
                             ", or --dry-run to check it against the device first.\n" + kRisks);
  }

  std::string link_failure;
  const client::WriteOutcome outcome = run_write(registry, globals, a, info.id, link_failure);
  if (a.verbose) {
    for (const auto& [oid, value] : outcome.interlock_values) {
      const OidInfo* i = registry.find(oid);
      std::cerr << "interlock: " << (i ? std::string(i->name) : format_oid(oid)) << " = "
                << value_text(value) << '\n';
    }
    std::cerr << "writes sent: " << outcome.writes_sent << ", read-backs: " << outcome.readbacks
              << '\n';
  }
  const std::string suffix = link_failure.empty() ? "" : " (" + link_failure + ")";
  switch (outcome.status) {
    case client::WriteStatus::kVerified:
      if (a.verbose) std::cerr << outcome.message << '\n';
      std::cout << value_text(*outcome.readback) << '\n';
      return;
    case client::WriteStatus::kDryRun:
      std::cerr << outcome.message << '\n';
      std::cout << value_text(outcome.write->value) << '\n';
      return;
    case client::WriteStatus::kRejected:
      throw CommandFailure(
          kExitRejected, "rejected (" + std::string(reject_reason_name(outcome.rejection->reason)) +
                             "): " + outcome.message + suffix);
    case client::WriteStatus::kUnverified: {
      const bool maybe_applied = *outcome.cause != client::UnverifiedCause::kNotSent;
      throw CommandFailure(
          kExitUnverified,
          "unverified (" + std::string(client::unverified_cause_name(*outcome.cause)) +
              "): " + outcome.message + suffix +
              (maybe_applied ? "; it may still be applied: check it with read-value" : ""));
    }
  }
}

}  // namespace

void add_write_commands(CLI::App& app, const Registry& registry, const GlobalOptions& globals) {
  auto args = std::make_shared<WriteValueArgs>();
  CLI::App* cmd = app.add_subcommand(
      "write-value",
      "Write one allowlisted setting, verify it by reading it back, print the value read");
  add_connection_options(cmd, args->connection);
  auto* id = cmd->add_option("--id", args->id, "Object id, e.g. 0xCE266F0F");
  auto* name = cmd->add_option("--name", args->name, "Object name, e.g. power_mng.soc_min");
  id->excludes(name);
  cmd->add_option("VALUE", args->value, "The value to write (see below)")->required();
  cmd->add_flag("--yes", args->yes, "Really write (without it nothing is sent)");
  cmd->add_flag("--dry-run", args->dry_run,
                "Run every check, including the interlock reads, but send no WRITE");
  cmd->add_flag("--verbose", args->verbose,
                "Print the interlock values read and the attempts on stderr");
  cmd->footer(help_footer());
  cmd->callback([&registry, &globals, args] { write_value(registry, globals, *args); });
}

}  // namespace rct::cli
