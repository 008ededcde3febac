// battery-mode: one battery mode (docs/battery-modes.md) by the daemon's own pure machine
// (daemon/battery_mode_session.h): reads, verified writes, effect window, revert to normal.
#include <asio.hpp>
#include <chrono>
#include <deque>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/client/client.h"
#include "core/client/verified_writer.h"
#include "core/write_validation.h"
#include "daemon/battery_mode_session.h"
#include "tools/rctclient/cli_error.h"
#include "tools/rctclient/client_log.h"
#include "tools/rctclient/commands.h"
#include "tools/rctclient/connection_args.h"

namespace rct::cli {
namespace {

// Exit codes of battery-mode (also in its --help), as write-value's where they mean the same.
constexpr int kModeExitNotConfirmed = 2;  // --yes missing: nothing was sent
constexpr int kModeExitRejected = 3;      // refused before a write
constexpr int kModeExitUnverified = 4;    // a write was not read back
constexpr int kModeExitReverted = 5;      // the effect contradicted the mode: back to normal

struct BatteryModeArgs {
  ConnectionArgs connection;
  std::string mode;
  std::optional<double> power;
  std::optional<double> soc;
  double window = 30;
  double interval = 2;
  double tolerance = 300;
  bool yes = false;
  bool dry_run = false;
};

daemon::Moment mode_now() {
  return daemon::Moment{std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
}

// Runs the machine over a client and a verified writer until the command is answered; the
// answer's JSON.
class ModeDriver {
 public:
  ModeDriver(const Registry& registry, const GlobalOptions& globals, const BatteryModeArgs& a)
      : observer_(make_client_logger(globals.debug), target(a.connection)),
        client_(io_, registry, client_options(a.connection), observer_),
        writer_(io_, client_, allow_every_writable(), writer_options(a)),
        timer_(io_),
        machine_(mode_settings(a)) {
    machine_.set_serial("rctclient");
  }

  std::string run(const std::string& payload) {
    client_.start();
    perform(machine_.start(mode_now()));
    // The mode is derived from the device first; then the command.
    asio::post(io_, [this, payload] { wait_idle_then(payload); });
    io_.run();
    return answer_;
  }
  const std::string& link_failure() const { return observer_.last_failure(); }

 private:
  static client::WriterOptions writer_options(const BatteryModeArgs& a) {
    client::WriterOptions o;
    o.verify.dry_run = a.dry_run;
    o.min_interval = std::chrono::seconds{1};
    return o;
  }
  static daemon::BatteryModeSettings mode_settings(const BatteryModeArgs& a) {
    daemon::BatteryModeSettings s;
    s.name = "rctclient";
    s.base_topic = "rctclient";
    s.enabled = true;
    s.writes_enabled = true;
    s.dry_run = a.dry_run;
    s.min_interval = std::chrono::seconds{1};
    s.config.effect_window = std::chrono::milliseconds(static_cast<std::int64_t>(a.window * 1000));
    s.config.sample_interval =
        std::chrono::milliseconds(static_cast<std::int64_t>(a.interval * 1000));
    s.config.tolerance = a.tolerance;
    return s;
  }

  void wait_idle_then(const std::string& payload) {
    if (done_) return;
    if (machine_.phase() == daemon::BatteryModeSession::Phase::kIdle) {
      commanded_ = true;
      perform(machine_.on_command(payload, true, mode_now()));
      return;
    }
    timer_.expires_after(std::chrono::milliseconds{50});
    timer_.async_wait([this, payload](const std::error_code& ec) {
      if (!ec) wait_idle_then(payload);
    });
  }

  void perform(daemon::Effects effects) {
    for (daemon::Effect& e : effects) {
      if (auto* r = std::get_if<daemon::ReadOid>(&e)) {
        const std::uint32_t oid = r->oid;
        client_.read(oid, [this, oid](Result<client::Reading, client::ClientError> result) {
          if (result) {
            perform(machine_.on_reading(oid, result.value().value, mode_now()));
          } else {
            perform(machine_.on_read_failed(oid, mode_now()));
          }
        });
      } else if (auto* w = std::get_if<daemon::SubmitWrite>(&e)) {
        writer_.submit(std::move(w->request), [this, tag = w->tag](const client::WriteOutcome& o) {
          perform(machine_.on_outcome(tag, o, mode_now()));
        });
      } else if (auto* p = std::get_if<daemon::Publish>(&e)) {
        if (commanded_ && p->topic.ends_with("/set/result")) {
          answer_ = p->payload;
          done_ = true;
        }
      } else if (auto* l = std::get_if<daemon::LogLine>(&e)) {
        std::cerr << l->text << '\n';
      }
    }
    if (done_) {
      timer_.cancel();
      client_.stop();
      return;
    }
    arm();
  }

  void arm() {
    const auto at = machine_.next_wakeup();
    if (!at || machine_.phase() == daemon::BatteryModeSession::Phase::kIdle) return;
    timer_.expires_at(*at);
    timer_.async_wait([this](const std::error_code& ec) {
      if (!ec) perform(machine_.on_tick(mode_now()));
    });
  }

  asio::io_context io_;
  LogObserver observer_;
  client::Client client_;
  client::VerifiedWriter writer_;
  asio::steady_timer timer_;
  daemon::BatteryModeSession machine_;
  bool commanded_ = false;
  bool done_ = false;
  std::string answer_;
};

void battery_mode(const Registry& registry, const GlobalOptions& globals,
                  const BatteryModeArgs& a) {
  nlohmann::json command{{"mode", a.mode}};
  if (a.power) command["power"] = *a.power;
  if (a.soc) command["soc"] = *a.soc;
  // The same checks as the daemon's, before a connection is opened.
  auto parsed = daemon::parse_mode_command(command.dump());
  if (!parsed) {
    throw CommandFailure(kModeExitRejected,
                         "rejected (" + parsed.error().reason + "): " + parsed.error().message);
  }
  if (!a.yes && !a.dry_run) {
    throw CommandFailure(kModeExitNotConfirmed, "not written: add --yes to put the battery of " +
                                                    target(a.connection) + " into mode " + a.mode +
                                                    ", or --dry-run to check it first");
  }
  ModeDriver driver(registry, globals, a);
  const std::string answer = driver.run(command.dump());
  if (answer.empty()) {
    throw CommandFailure(kModeExitUnverified,
                         "no answer: the connection ended (" + driver.link_failure() + ")");
  }
  std::cout << answer << '\n';
  const nlohmann::json j = nlohmann::json::parse(answer);
  const std::string outcome = j.at("outcome").get<std::string>();
  if (outcome == "verified" || outcome == "dry_run") {
    if (outcome == "verified" &&
        (a.mode == "charge" || a.mode == "discharge_lock" || a.mode == "external")) {
      std::cerr << "rctclient does not stay to watch it: the battery stays in " << a.mode
                << " until the mode normal is written (the daemon goes back by itself)\n";
    }
    return;
  }
  const int code = outcome == "rejected"   ? kModeExitRejected
                   : outcome == "reverted" ? kModeExitReverted
                                           : kModeExitUnverified;
  throw CommandFailure(code, outcome + ": " + j.at("message").get<std::string>());
}

}  // namespace

void add_battery_mode_command(CLI::App& app, const Registry& registry,
                              const GlobalOptions& globals) {
  auto args = std::make_shared<BatteryModeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "battery-mode",
      "Put the battery into a mode (normal, hold, charge, discharge_lock, external), verify the "
      "writes and their effect on the power flow, print the JSON answer");
  add_connection_options(cmd, args->connection);
  cmd->add_option("MODE", args->mode, "normal, hold, charge, discharge_lock or external")
      ->required();
  cmd->add_option("--power", args->power,
                  "W: charge power (charge), signed battery power, + = discharge (external)");
  cmd->add_option("--soc", args->soc, "%: the charge target (charge; default soc_max)");
  cmd->add_option("--window", args->window, "Effect window, s")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 600.0));
  cmd->add_option("--sample-interval", args->interval, "One sample this often, s")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 60.0));
  cmd->add_option("--tolerance", args->tolerance, "W counted as zero")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 6000.0));
  cmd->add_flag("--yes", args->yes, "Really write (without it nothing is sent)");
  cmd->add_flag("--dry-run", args->dry_run, "Run every check but send no WRITE");
  cmd->footer(
      "Exit codes: 0 verified (or --dry-run passed), 1 bad usage, 2 not confirmed (--yes "
      "missing), 3 rejected, 4 unverified, 5 reverted (the power flow contradicted the mode; "
      "back to normal).\n"
      "Without the daemon's state file, normal writes soc_min 7 % (the device default).");
  cmd->callback([&registry, &globals, args] { battery_mode(registry, globals, *args); });
}

}  // namespace rct::cli
