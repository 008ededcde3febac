// `rctclient write-value` end to end: the real binary as a child process against the embedded
// simulator (its own thread, loopback), so that the test can check exactly which frames the
// simulator received. Exit codes: 0 verified / dry run, 1 usage, 2 not confirmed, 3 rejected,
// 4 unverified. Every wait has a deadline.
#include <string>
#include <vector>

#include "core/hex.h"
#include "core/write_allowlist.h"
#include "tests/integration/client_harness.h"
#include "tests/integration/simulator_harness.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using rct::Command;
using rct::test::run_process;
using rct::test::RunningSimulator;
using rct::test::RunResult;

namespace {

struct Sim {
  explicit Sim(rct::sim::SimulatorOptions options = rct::test::simulator_test_options())
      : sim(rct::test::test_registry(), std::move(options)) {}

  // rctclient write-value --host 127.0.0.1 --port PORT ARGS...
  RunResult write_value(std::vector<std::string> args) {
    std::vector<std::string> argv = {RCTCLIENT_PATH, "write-value", "--host",
                                     "127.0.0.1",    "--port",      std::to_string(sim->port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, {}, 60s);
  }
  RunResult read_value(const std::string& name) {
    return run_process({RCTCLIENT_PATH, "read-value", "--host", "127.0.0.1", "--port",
                        std::to_string(sim->port()), "--name", name},
                       {}, 30s);
  }
  std::size_t writes() { return sim->received().frames(Command::kWrite).size(); }

  RunningSimulator sim;
};

}  // namespace

TEST_CASE("write-value without --yes says what it would write and the risks, and sends nothing",
          "[write_value]") {
  Sim s;
  const RunResult r = s.write_value({"--name", "power_mng.soc_min", "0.2"});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  INFO(r.err);
  CHECK(r.err.find("add --yes to write power_mng.soc_min = 0.20000000298023224 (20 %)") !=
        std::string::npos);
  CHECK(r.err.find("payload 3e4ccccd") != std::string::npos);
  CHECK(r.err.find("Risks:") != std::string::npos);
  CHECK(r.err.find("volatile") != std::string::npos);
  CHECK(r.err.find("from the grid") != std::string::npos);
  CHECK(s.sim->received().size() == 0);
  CHECK(s.sim->client_count() == 0);
}

TEST_CASE("write-value --yes writes, verifies and prints the value read back", "[write_value]") {
  Sim s;
  const RunResult r = s.write_value({"--name", "power_mng.soc_min", "0.2", "--yes"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "0.20000000298023224\n");
  CHECK(r.err.empty());
  const auto writes = s.sim->received().frames(Command::kWrite);
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].oid == rct::kOidSocMin);
  CHECK(rct::to_hex(writes[0].payload) == "3e4ccccd");
  // Another process reads the new value.
  const RunResult check = s.read_value("power_mng.soc_min");
  CHECK(check.out == "0.20000000298023224\n");

  // By id, a select by its label, with --verbose details on stderr.
  const RunResult strategy =
      s.write_value({"--id", "0xF168B748", "Constant", "--yes", "--verbose"});
  INFO(strategy.err);
  CHECK(strategy.exit_code == 0);
  CHECK(strategy.out == "1\n");
  CHECK(strategy.err.find("interlock: battery.bat_status = 0") != std::string::npos);
  CHECK(strategy.err.find("interlock: battery.status2 = 0") != std::string::npos);
  CHECK(strategy.err.find("writes sent: 1") != std::string::npos);
  CHECK(strategy.err.find("verified") != std::string::npos);
  CHECK(s.writes() == 2);
}

TEST_CASE("write-value --dry-run reads the interlock values and writes nothing", "[write_value]") {
  Sim s;
  const RunResult r = s.write_value({"--name", "power_mng.soc_strategy", "2", "--dry-run"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "2\n");
  CHECK(r.err.find("dry run") != std::string::npos);
  CHECK(s.writes() == 0);
  CHECK(s.sim->received().frames(Command::kRead, rct::kOidBatteryStatus).size() == 1);
  CHECK(s.sim->received().frames(Command::kRead, rct::kOidBatteryPowerExtern).size() == 1);
}

TEST_CASE("write-value refuses com_service and out-of-bounds values with exit 3 before connecting",
          "[write_value]") {
  Sim s;
  struct Row {
    int line;
    std::vector<std::string> args;
    const char* reason;
  };
  const Row rows[] = {
      {__LINE__, {"--id", "0x8FC89B10", "5", "--yes"}, "rejected (not_allowlisted)"},
      {__LINE__, {"--name", "com_service", "0", "--yes"}, "rejected (not_allowlisted)"},
      {__LINE__, {"--name", "battery.soc", "1", "--yes"}, "rejected (not_allowlisted)"},
      {__LINE__, {"--name", "power_mng.soc_min", "1.01", "--yes"}, "rejected (out_of_range)"},
      {__LINE__, {"--name", "power_mng.soc_min", "20", "--yes"}, "rejected (out_of_range)"},
      {__LINE__, {"--name", "power_mng.soc_min", "0.205", "--yes"}, "rejected (bad_step)"},
      {__LINE__, {"--name", "power_mng.soc_strategy", "Turbo", "--yes"}, "rejected (bad_enum)"},
      {__LINE__,
       {"--name", "power_mng.use_grid_power_enable", "yes", "--yes"},
       "rejected (unparseable)"},
  };
  for (const Row& row : rows) {
    INFO("write_value_test.cpp:" << row.line);
    const RunResult r = s.write_value(row.args);
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(r.err.find(row.reason) != std::string::npos);
  }
  CHECK(s.sim->received().size() == 0);
}

TEST_CASE("write-value refuses an interlocked write with exit 3 after reading, sending no WRITE",
          "[write_value]") {
  Sim s;
  const RunResult r = s.write_value({"--name", "power_mng.battery_power_extern", "500", "--yes"});
  INFO(r.err);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("rejected (interlock)") != std::string::npos);
  CHECK(r.err.find("Internal (4)") != std::string::npos);
  CHECK(s.sim->received().frames(Command::kRead, rct::kOidSocStrategy).size() == 1);
  CHECK(s.writes() == 0);
}

TEST_CASE("write-value exits 4 when the simulator ignores the write", "[write_value]") {
  auto options = rct::test::simulator_test_options();
  options.busy = true;
  Sim s(options);
  const RunResult r = s.write_value({"--name", "power_mng.use_grid_power_enable", "true", "--yes"});
  INFO(r.err);
  CHECK(r.exit_code == 4);
  CHECK(r.out.empty());
  CHECK(r.err.find("unverified (mismatch)") != std::string::npos);
  CHECK(r.err.find("still reports OFF") != std::string::npos);
  CHECK(s.writes() == 2);  // the write and its one resend
}

TEST_CASE("write-value exits 1 for an unknown name and 4 when nothing listens", "[write_value]") {
  Sim s;
  const RunResult unknown = s.write_value({"--name", "power_mng.nonsense", "1", "--yes"});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("unknown name 'power_mng.nonsense'") != std::string::npos);

  const std::string port = std::to_string(s.sim->port());
  RunningSimulator::apply(s.sim->post_shutdown());
  const RunResult down =
      run_process({RCTCLIENT_PATH, "write-value", "--host", "127.0.0.1", "--port", port,
                   "--timeout", "1", "--name", "power_mng.use_grid_power_enable", "1", "--yes"},
                  {}, 30s);
  INFO(down.err);
  CHECK(down.exit_code == 4);
  CHECK(down.err.find("unverified (not_sent)") != std::string::npos);
  CHECK(down.err.find("cannot connect to 127.0.0.1:" + port) != std::string::npos);
}

TEST_CASE("write-value --help lists the exit codes and every writable value", "[write_value]") {
  const RunResult r = run_process({RCTCLIENT_PATH, "write-value", "--help"}, {}, 30s);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("Exit codes: 0 verified") != std::string::npos);
  CHECK(r.out.find("3 rejected") != std::string::npos);
  CHECK(r.out.find("4 unverified") != std::string::npos);
  for (const rct::WritableEntry& e : rct::writable_entries()) {
    INFO(e.name);
    CHECK(r.out.find("  " + std::string(e.name) + " ") != std::string::npos);
  }
  CHECK(r.out.find("0.05..0.8 (5..80 %), step 0.01") != std::string::npos);
  CHECK(r.out.find("-6000..6000 W, step 1") != std::string::npos);
  CHECK(r.out.find("com_service") != std::string::npos);  // named in the risks, not listed
  CHECK(r.out.find("  com_service ") == std::string::npos);
}
