// `rctclient doctor` end to end: the simulator as its own process (`rctclient simulator`, with
// each fault it offers), a second client on the link, and a real Mosquitto with a password file.
#include <array>
#include <asio.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/frame_decoder.h"
#include "core/frame_encoder.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/catch.h"
#include "tests/support/mosquitto.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_certificates.h"

using namespace std::chrono_literals;

namespace {

// `rctclient simulator` on a free loopback port, 10 ms per reply.
class DoctorSimulator {
 public:
  explicit DoctorSimulator(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {
        RCTCLIENT_PATH,      "simulator", "--host", "127.0.0.1", "--port", "0",
        "--service-time-ms", "10",        "--seed", "7"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<rct::test::ChildProcess>(argv);
    REQUIRE(process_->wait_for_output("\n", 20s));
    std::smatch m;
    const std::string out = process_->out();
    REQUIRE(std::regex_search(out, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")));
    port_ = m[1].str();
  }
  const std::string& port() const { return port_; }

 private:
  std::unique_ptr<rct::test::ChildProcess> process_;
  std::string port_;
};

rct::test::RunResult run_doctor(const std::string& port, const std::vector<std::string>& extra = {},
                                const std::string& reads = "8") {
  std::vector<std::string> argv = {RCTCLIENT_PATH, "doctor", "--host",    "127.0.0.1",
                                   "--port",       port,     "-n",        reads,
                                   "--listen",     "0.5",    "--timeout", "1"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return rct::test::run_process(argv, {}, 120s);
}

// The line of check `name` ("inverter.reads  ok: ..."), or "" when there is none.
std::string check_line(const std::string& out, const std::string& name) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return line;
  }
  return "";
}

// "ok", "warning", ... of check `name`.
std::string verdict_of(const std::string& out, const std::string& name) {
  const std::string line = check_line(out, name);
  std::smatch m;
  if (!std::regex_search(line, m, std::regex("^\\S+\\s+(ok|warning|problem|skipped):"))) return "";
  return m[1].str();
}

// Another client on the link, as a well-behaved one: reads `oids` in turn over its own
// connection, one READ at a time, the next once the answer arrived or after 200 ms without one
// (an answer cut short by another client's request never completes), until destroyed. Runs on
// its own thread.
class SecondClient {
 public:
  SecondClient(const std::string& port, std::vector<std::uint32_t> oids)
      : socket_(io_), timer_(io_), oids_(std::move(oids)) {
    socket_.connect(
        {asio::ip::make_address("127.0.0.1"), static_cast<std::uint16_t>(std::stoi(port))});
    receive();
    send_next();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SecondClient() {
    io_.stop();
    thread_.join();
  }
  // Ready once the first answer arrived.
  std::future<void> first_answer() { return first_.get_future(); }

 private:
  static constexpr auto kRetry = std::chrono::milliseconds(200);

  void send_next() {
    asking_ = oids_[next_++ % oids_.size()];
    request_ =
        rct::encode_frame(rct::Frame{rct::Command::kRead, std::nullopt, asking_, {}}).value();
    asio::async_write(socket_, asio::buffer(request_), [](const asio::error_code&, std::size_t) {});
    timer_.expires_after(kRetry);
    timer_.async_wait([this](const asio::error_code& ec) {
      if (!ec) send_next();  // no answer: ask the next one
    });
  }
  void receive() {
    socket_.async_read_some(asio::buffer(buffer_), [this](const asio::error_code& ec,
                                                          std::size_t n) {
      if (ec) return;
      decoder_.feed(std::span<const std::uint8_t>(buffer_.data(), n));
      bool answered = false;
      while (auto event = decoder_.next()) {
        answered = answered || (event->outcome == rct::DecodeOutcome::kOk &&
                                event->command == rct::Command::kResponse && event->oid == asking_);
      }
      if (answered) {
        if (!answered_once_) first_.set_value();
        answered_once_ = true;
        timer_.cancel();  // its handler sees operation_aborted
        send_next();
      }
      receive();
    });
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  std::vector<std::uint32_t> oids_;
  std::size_t next_ = 0;
  std::uint32_t asking_ = 0;
  std::vector<std::uint8_t> request_;
  std::array<std::uint8_t, 1024> buffer_{};
  rct::FrameDecoder decoder_;
  std::promise<void> first_;
  bool answered_once_ = false;
  std::thread thread_;
};

}  // namespace

TEST_CASE("rctclient doctor finds nothing wrong with a healthy simulator and exits 0", "[doctor]") {
  DoctorSimulator sim;
  const auto r = run_doctor(sim.port());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  for (const char* name : {"inverter.tcp", "inverter.reads", "inverter.other_clients",
                           "inverter.frames", "inverter.inventory", "inverter.com_mode"}) {
    INFO(name);
    CHECK(verdict_of(r.out, name) == "ok");
  }
  CHECK(check_line(r.out, "inverter.reads").find("8 of 8 answered, median ") != std::string::npos);
  CHECK(check_line(r.out, "inverter.inventory").find("PS 6.0 BA3L, serial ") != std::string::npos);
  CHECK(check_line(r.out, "inverter.com_mode").find("not needed") != std::string::npos);
  CHECK(verdict_of(r.out, "mqtt") == "skipped");
  CHECK(r.out.find("overall: ok (0 problems, 0 warnings)") != std::string::npos);

  const auto j = run_doctor(sim.port(), {"--json"});
  INFO(j.out << j.err);
  CHECK(j.exit_code == 0);
  CHECK(rct::test::count_lines(j.out) == 1);
  const nlohmann::json report = nlohmann::json::parse(j.out);
  CHECK(report["verdict"] == "ok");
  CHECK(report["exit_code"] == 0);
  REQUIRE(report["checks"].size() == 7);
  for (const auto& check : report["checks"]) {
    INFO(check.dump());
    CHECK((check["verdict"] == "ok" || check["verdict"] == "skipped"));
  }
  CHECK(report["checks"][1]["figures"]["answered"] == 8);
  CHECK(report["checks"][1]["figures"].contains("median_ms"));
  CHECK(report["checks"][1]["figures"].contains("worst_ms"));
  CHECK(report["checks"][4]["figures"]["device_name"] == "PS 6.0 BA3L");
}

namespace {

// One simulator fault, the doctor's check that must name it, its verdict and a phrase of its line.
struct DoctorFaultCase {
  std::vector<std::string> faults;
  std::string check;
  std::string verdict;  // empty: anything but ok
  std::string text;
};

// Each fault case as a section of its own. The cases are grouped into test cases of a few seconds
// each (a lost reply costs a 1 s timeout, a lost connection the reconnect backoff), so that ctest
// runs the groups side by side.
void check_doctor_faults(const std::vector<DoctorFaultCase>& cases) {
  for (const DoctorFaultCase& c : cases) {
    DYNAMIC_SECTION(c.faults[1]) {
      DoctorSimulator sim(c.faults);
      const auto r = run_doctor(sim.port(), {}, "20");
      INFO(r.out << r.err);
      const std::string verdict = verdict_of(r.out, c.check);
      if (c.verdict.empty()) {
        CHECK((verdict == "warning" || verdict == "problem"));
      } else {
        CHECK(verdict == c.verdict);
      }
      CHECK(check_line(r.out, c.check).find(c.text) != std::string::npos);
      CHECK(r.exit_code == (r.out.find(" problem: ") != std::string::npos ? 1 : 0));
    }
  }
}

}  // namespace

TEST_CASE("rctclient doctor reports lost replies as reads without a usable answer", "[doctor]") {
  check_doctor_faults({
      {{"--fault", "drop=0.3"}, "inverter.reads", "", "got no usable answer"},
      {{"--fault", "stall=0.2", "--stall-ms", "300"}, "inverter.reads", "", "got no usable answer"},
  });
}

TEST_CASE("rctclient doctor reports lost connections in the frames check", "[doctor]") {
  check_doctor_faults({
      {{"--fault", "disconnect=0.3"}, "inverter.frames", "problem", "connection was lost"},
      {{"--fault", "disconnect_after=5"}, "inverter.frames", "problem", "connection was lost"},
  });
}

TEST_CASE("rctclient doctor reports damaged replies, and none for split or noisy intact ones",
          "[doctor]") {
  check_doctor_faults({
      {{"--fault", "corrupt_crc=0.3"}, "inverter.frames", "warning", "CRC errors"},
      {{"--fault", "truncate=0.3"}, "inverter.frames", "warning", "bad replies"},
      // Harmless to a client: the frames arrive intact.
      {{"--fault", "split=0.5"}, "inverter.frames", "ok", "no corrupted or cut replies"},
      {{"--fault", "garbage=0.5"}, "inverter.frames", "ok", "no corrupted or cut replies"},
  });
}

TEST_CASE("rctclient doctor reports foreign replies and implausible values", "[doctor]") {
  check_doctor_faults({
      {{"--fault", "wrong_oid=0.3"}, "inverter.other_clients", "warning", "while we read"},
      {{"--fault", "absurd=1"}, "inverter.reads", "warning", "implausible"},
      {{"--fault", "counter_reset=1"}, "inverter.reads", "warning", "lifetime counter at 0"},
  });
}

TEST_CASE("rctclient doctor reports an inverter it cannot reach and exits 1", "[doctor]") {
  const std::string port = std::to_string(rct::test::free_loopback_port());
  const auto r = run_doctor(port);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(check_line(r.out, "inverter.tcp").find("problem: cannot connect to 127.0.0.1:" + port) !=
        std::string::npos);
  CHECK(verdict_of(r.out, "inverter.reads") == "skipped");
}

TEST_CASE(
    "rctclient doctor finds that a simulator requiring COM mode answers only after the "
    "EXTENSION frame",
    "[doctor]") {
  DoctorSimulator sim({"--requires-com-mode"});
  const auto r = run_doctor(sim.port(), {}, "3");
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK(verdict_of(r.out, "inverter.reads") == "problem");
  CHECK(check_line(r.out, "inverter.com_mode")
            .find("problem: the inverter answers READs only after the EXTENSION frame 2b 3c e1") !=
        std::string::npos);
}

TEST_CASE("rctclient doctor names a second client on the link in one line and exits 1",
          "[doctor]") {
  DoctorSimulator sim;
  constexpr std::uint32_t kHeatSink = 0xF79D41D9;  // db.temp1
  constexpr std::uint32_t kPvA = 0xDB11855B;       // dc_conv.dc_conv_struct[0].p_dc_lp
  SecondClient other(sim.port(), {kHeatSink, kPvA});
  REQUIRE(other.first_answer().wait_for(20s) == std::future_status::ready);
  const auto r = run_doctor(sim.port());
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const std::string line = check_line(r.out, "inverter.other_clients");
  CHECK(line.find("problem: another client is on the link: ") != std::string::npos);
  CHECK(line.find("foreign replies in 0.5 s (OIDs: ") != std::string::npos);
  CHECK(line.find("db.temp1") != std::string::npos);
  CHECK(line.find("dc_conv.dc_conv_struct[0].p_dc_lp") != std::string::npos);
  std::istringstream in(r.out);
  std::string l;
  int lines = 0;
  while (std::getline(in, l)) lines += l.find("another client") != std::string::npos ? 1 : 0;
  CHECK(lines == 1);
}

TEST_CASE("rctclient doctor reports a wrong broker password in one line and never prints it",
          "[doctor]") {
  DoctorSimulator sim;
  rct::test::MosquittoBroker broker({.user_password = std::make_pair("bridge", "right-pass-1")});
  const std::string host = "@127.0.0.1:" + std::to_string(broker.port());

  const auto wrong = run_doctor(sim.port(), {"--mqtt", "mqtt://bridge:wrong-pass-2" + host});
  INFO(wrong.out << wrong.err);
  CHECK(wrong.exit_code == 1);
  CHECK(verdict_of(wrong.out, "mqtt.tcp") == "ok");
  CHECK(check_line(wrong.out, "mqtt.login") ==
        "mqtt.login              problem: broker refused the login (bad user name or password)");
  CHECK(verdict_of(wrong.out, "mqtt.discovery") == "skipped");
  CHECK(wrong.out.find("wrong-pass-2") == std::string::npos);
  CHECK(wrong.err.find("wrong-pass-2") == std::string::npos);

  const auto as_json =
      run_doctor(sim.port(), {"--json", "--mqtt", "mqtt://bridge:wrong-pass-2" + host});
  CHECK(as_json.exit_code == 1);
  CHECK(as_json.out.find("wrong-pass-2") == std::string::npos);
  CHECK(nlohmann::json::parse(as_json.out)["verdict"] == "problem");

  // The right password logs in; without a daemon the broker holds no discovery and no values.
  const auto right = run_doctor(sim.port(), {"--mqtt", "mqtt://bridge:right-pass-1" + host});
  INFO(right.out << right.err);
  CHECK(verdict_of(right.out, "mqtt.login") == "ok");
  CHECK(verdict_of(right.out, "mqtt.discovery") == "problem");
  CHECK(verdict_of(right.out, "mqtt.values") == "problem");
  CHECK(right.out.find("right-pass-1") == std::string::npos);
  CHECK(right.exit_code == 1);
}

TEST_CASE("rctclient doctor exits 2 on bad usage", "[doctor]") {
  auto no_host = rct::test::run_process({RCTCLIENT_PATH, "doctor"}, {}, 30s);
  CHECK(no_host.exit_code == 2);
  CHECK(no_host.err.find("--host") != std::string::npos);
  auto bad_uri = rct::test::run_process(
      {RCTCLIENT_PATH, "doctor", "--host", "127.0.0.1", "--mqtt", "http://x"}, {}, 30s);
  CHECK(bad_uri.exit_code == 2);
  auto unknown = rct::test::run_process({RCTCLIENT_PATH, "doctor", "--frobnicate"}, {}, 30s);
  CHECK(unknown.exit_code == 2);
}

TEST_CASE("rctclient doctor -c finds the daemon's discovery and values on the broker",
          "[doctor][daemon]") {
  rct::test::e2e::World w;
  auto daemon = w.start();
  const std::string serial = rct::test::e2e::serial_of(*w.sub);
  REQUIRE(w.sub->wait_line_topic("homeassistant/device/rct2mqtt_" + serial + "/config", 40s));
  REQUIRE(w.sub->wait_suffix("/battery/soc", 30s));
  // Stopped first, as docs/rctclient.md advises: a running daemon is another client on the link.
  // Discovery and values stay on the broker, retained.
  rct::test::e2e::stop_daemon(*daemon);

  const auto r = rct::test::run_process({RCTCLIENT_PATH, "doctor", "-c", w.config.string(), "-n",
                                         "4", "--listen", "1", "--timeout", "1"},
                                        {}, 120s);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(verdict_of(r.out, "inverter.reads") == "ok");
  CHECK(check_line(r.out, "inverter.inventory").find("serial " + serial) != std::string::npos);
  CHECK(verdict_of(r.out, "mqtt.tcp") == "ok");
  CHECK(verdict_of(r.out, "mqtt.tls") == "skipped");
  CHECK(verdict_of(r.out, "mqtt.login") == "ok");
  CHECK(verdict_of(r.out, "mqtt.discovery") == "ok");
  CHECK(check_line(r.out, "mqtt.discovery").find(" discovery configs rct2mqtt_" + serial) !=
        std::string::npos);
  CHECK(verdict_of(r.out, "mqtt.values") == "ok");
  CHECK(check_line(r.out, "mqtt.values").find(" on rct2mqtt/" + serial + "/#") !=
        std::string::npos);
}

TEST_CASE("rctclient doctor verifies the broker's certificate and says why it fails",
          "[doctor][tls]") {
  rct::test::TempDir dir("rct-doctor-tls");
  const rct::test::TestCertificates pki = rct::test::make_test_certificates(dir.path());
  rct::test::MosquittoBroker broker(rct::test::BrokerOptions{
      .tls = rct::test::BrokerTls{pki.ca_cert, pki.server_cert, pki.server_key, false}});
  DoctorSimulator sim;
  const std::string uri = "mqtts://127.0.0.1:" + std::to_string(broker.port());

  const auto unknown_ca = run_doctor(sim.port(), {"--mqtt", uri}, "3");
  INFO(unknown_ca.out << unknown_ca.err);
  CHECK(unknown_ca.exit_code == 1);
  CHECK(check_line(unknown_ca.out, "mqtt.tls")
            .find("problem: TLS handshake failed: certificate verify failed: ") !=
        std::string::npos);
  CHECK(verdict_of(unknown_ca.out, "mqtt.login") == "skipped");

  const auto known_ca = run_doctor(sim.port(), {"--mqtt", uri, "--ca-file", pki.ca_cert}, "3");
  INFO(known_ca.out << known_ca.err);
  CHECK(verdict_of(known_ca.out, "mqtt.tls") == "ok");
  CHECK(verdict_of(known_ca.out, "mqtt.login") == "ok");
}
