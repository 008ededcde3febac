// `rctclient read-value` / `read-values` end to end against `rctclient simulator`, both as real
// processes on loopback: what a user sees on stdout and stderr, and the exit codes. Every wait has
// a deadline.
#include <algorithm>
#include <csignal>
#include <ctime>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/registry.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;
using rct::test::ChildProcess;
using rct::test::run_process;
using rct::test::RunResult;

namespace {

// `rctclient simulator --port 0` as a child process; the port from its "listening on" line.
class SimulatorProcess {
 public:
  SimulatorProcess()
      : process_({RCTCLIENT_PATH, "simulator", "--host", "127.0.0.1", "--port", "0",
                  "--service-time-ms", "10"}) {
    REQUIRE(process_.wait_for_output("\n", 20s));
    const std::string out = process_.out();
    std::smatch m;
    REQUIRE(std::regex_search(out, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)\n")));
    port_ = m[1].str();
  }

  const std::string& port() const { return port_; }
  ChildProcess& process() { return process_; }

  // `rctclient ARGS...` against this simulator: "PORT" in args is replaced by its port.
  RunResult rctclient(std::vector<std::string> args) const {
    args.insert(args.begin(), RCTCLIENT_PATH);
    for (std::string& a : args) {
      if (a == "PORT") a = port_;
    }
    return run_process(args, {}, 20s);
  }

 private:
  ChildProcess process_;
  std::string port_;
};

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A number as Python prints a double: optional sign, digits, optional fraction and exponent.
const std::regex kPythonFloat("-?(0|[1-9][0-9]*)(\\.[0-9]+)?(e[-+][0-9]+)?|nan|-?inf");

// The whole of `text` is one float line; returns the value.
double single_float(const std::string& text) {
  REQUIRE(rct::test::count_lines(text) == 1);
  const std::string value = text.substr(0, text.size() - 1);
  INFO("stdout: " << value);
  REQUIRE(std::regex_match(value, kPythonFloat));
  return std::stod(value);
}

}  // namespace

TEST_CASE("read-value against the simulator prints battery.soc alone, by name and by id",
          "[read_value_simulator]") {
  SimulatorProcess sim;
  auto by_name = sim.rctclient(
      {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "battery.soc"});
  CHECK(by_name.exit_code == 0);
  CHECK(by_name.err.empty());
  const double soc = single_float(by_name.out);
  CHECK(soc >= 0.0);
  CHECK(soc <= 1.0);

  auto by_id =
      sim.rctclient({"read-value", "--host", "127.0.0.1", "--port", "PORT", "--id", "0x959930BF"});
  CHECK(by_id.exit_code == 0);
  CHECK(by_id.err.empty());
  const double again = single_float(by_id.out);
  CHECK(again >= 0.0);
  CHECK(again <= 1.0);
}

TEST_CASE("read-value --verbose against the simulator prints id, name, description and value",
          "[read_value_simulator]") {
  SimulatorProcess sim;
  auto r = sim.rctclient({"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                          "battery.soc", "--verbose"});
  REQUIRE(r.exit_code == 0);
  REQUIRE(rct::test::count_lines(r.out) == 1);
  CHECK(r.out.rfind("#0x959930BF battery.soc ", 0) == 0);
  const rct::Registry registry;
  const rct::OidInfo* info = registry.find(std::string_view("battery.soc"));
  REQUIRE(info != nullptr);
  CHECK(r.out.find(std::string(info->description)) != std::string::npos);
  const std::string value = r.out.substr(r.out.find_last_of(' ') + 1);
  const double soc = single_float(value);
  CHECK(soc >= 0.0);
  CHECK(soc <= 1.0);
}

TEST_CASE("read-value against the simulator prints strings as text", "[read_value_simulator]") {
  SimulatorProcess sim;
  auto description = sim.rctclient(
      {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "android_description"});
  CHECK(description.exit_code == 0);
  CHECK(description.out == "PS 6.0 BA3L\n");  // NUL padding of the 64-byte buffer not printed

  auto serial = sim.rctclient(
      {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "inverter_sn"});
  CHECK(serial.exit_code == 0);
  INFO("stdout: " << serial.out);
  CHECK(std::regex_match(serial.out, std::regex("[0-9A-Z]{8,}\n")));
}

TEST_CASE("read-value against the simulator prints a time series as CSV lines",
          "[read_value_simulator]") {
  SimulatorProcess sim;
  auto r = sim.rctclient({"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                          "logger.minutes_soc_log_ts"});
  REQUIRE(r.exit_code == 0);
  const auto rows = split_lines(r.out);
  REQUIRE(rows.size() >= 2);
  CHECK(rows[0] == "timestamp,value");
  // Device time is local time as if UTC (docs/protocol.md §9.4): allow a day either way of now.
  const auto now = static_cast<long long>(std::time(nullptr));
  const std::regex row("([0-9]+),(" + std::string("-?[0-9][0-9.e+-]*") + ")");
  for (std::size_t i = 1; i < rows.size(); ++i) {
    INFO("row " << i << ": " << rows[i]);
    std::smatch m;
    REQUIRE(std::regex_match(rows[i], m, row));
    const long long t = std::stoll(m[1].str());
    CHECK(t <= now + 86400);
    CHECK(t >= now - 2 * 86400);
    const double soc = std::stod(m[2].str());
    CHECK(soc >= 0.0);
    CHECK(soc <= 1.0);
  }
}

TEST_CASE("read-value against the simulator exits 1 with one line for an unknown name",
          "[read_value_simulator]") {
  SimulatorProcess sim;
  auto r = sim.rctclient(
      {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "battery.nonsense"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(rct::test::count_lines(r.err) == 1);
  CHECK(r.err.find("unknown name 'battery.nonsense'") != std::string::npos);
}

TEST_CASE("read-value exits 1 with a reason once the simulator has stopped",
          "[read_value_simulator]") {
  SimulatorProcess sim;
  auto running = sim.rctclient(
      {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "battery.soc"});
  REQUIRE(running.exit_code == 0);
  sim.process().signal(SIGTERM);
  REQUIRE(sim.process().wait(10s) == 0);

  auto r = sim.rctclient({"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                          "battery.soc", "--timeout", "1"});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(rct::test::count_lines(r.err) == 1);
  CHECK(r.err.find("cannot connect to 127.0.0.1:" + sim.port()) != std::string::npos);
}

TEST_CASE("read-values reads several names from the simulator over one connection",
          "[read_value_simulator]") {
  SimulatorProcess sim;
  auto r = sim.rctclient({"--debug", "read-values", "--host", "127.0.0.1", "--port", "PORT",
                          "battery.soc", "battery.voltage", "android_description",
                          "power_mng.soc_strategy"});
  REQUIRE(r.exit_code == 0);
  const auto rows = split_lines(r.out);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].rfind("battery.soc ", 0) == 0);
  CHECK(rows[1].rfind("battery.voltage ", 0) == 0);
  CHECK(rows[2] == "android_description PS 6.0 BA3L");
  CHECK(rows[3].rfind("power_mng.soc_strategy ", 0) == 0);
  const double voltage = std::stod(rows[1].substr(rows[1].find(' ') + 1));
  CHECK(voltage > 40.0);  // a battery stack, not a placeholder 0
  // One connection: one link-up, no loss, and the simulator saw exactly one client.
  std::size_t ups = 0;
  for (std::size_t at = r.err.find("link up"); at != std::string::npos;
       at = r.err.find("link up", at + 1)) {
    ++ups;
  }
  CHECK(ups == 1);
  CHECK(r.err.find("lost") == std::string::npos);
  REQUIRE(sim.process().wait_for_output("client 1 disconnected", 10s, true));
  CHECK(sim.process().err().find("client 2 connected") == std::string::npos);
}

TEST_CASE("read-value --debug against the simulator logs on stderr, the value alone on stdout",
          "[read_value_simulator]") {
  SimulatorProcess sim;
  auto r = sim.rctclient(
      {"--debug", "read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "battery.soc"});
  CHECK(r.exit_code == 0);
  const double soc = single_float(r.out);
  CHECK(soc >= 0.0);
  CHECK(soc <= 1.0);
  CHECK(r.err.find("link up") != std::string::npos);
  CHECK(r.err.find("2b0104959930bf0d65") != std::string::npos);  // the READ as sent
  CHECK(rct::test::count_lines(r.err) >= 2);
}
