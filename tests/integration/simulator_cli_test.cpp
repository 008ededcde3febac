// `rctclient simulator` as a separate process: it prints where it listens, answers on that port
// and stops cleanly on SIGTERM.
#include <asio.hpp>
#include <csignal>
#include <regex>

#include "core/frame_decoder.h"
#include "core/frame_encoder.h"
#include "tests/support/catch.h"
#include "tests/support/process.h"

using namespace std::chrono_literals;

TEST_CASE("rctclient simulator listens, answers a READ and stops on SIGTERM", "[simulator_cli]") {
  rct::test::ChildProcess sim({RCTCLIENT_PATH, "simulator", "--host", "127.0.0.1", "--port", "0",
                               "--service-time-ms", "10", "--fault", "garbage=0.5", "--seed", "3"});
  REQUIRE(sim.wait_for_output("\n", 20s));
  std::smatch m;
  const std::string out = sim.out();
  REQUIRE(std::regex_search(out, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")));
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1].str()));

  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(
      socket,
      asio::buffer(rct::encode_frame(rct::Frame{rct::Command::kRead, std::nullopt, 0x959930BF, {}})
                       .value()));
  // Blocking read on a connected loopback socket: the simulator answers within its service time;
  // a hang would be caught by ctest's timeout.
  rct::FrameDecoder decoder;
  std::optional<rct::DecodeEvent> ev;
  std::array<std::uint8_t, 512> buf{};
  for (int reads = 0; reads < 20 && !ev; ++reads) {
    const std::size_t n = socket.read_some(asio::buffer(buf));
    decoder.feed(std::span<const std::uint8_t>(buf.data(), n));
    ev = decoder.next();
  }
  REQUIRE(ev.has_value());
  CHECK(ev->outcome == rct::DecodeOutcome::kOk);
  CHECK(ev->oid == 0x959930BF);
  CHECK(ev->payload.size() == 4);

  sim.signal(SIGTERM);
  CHECK(sim.wait(10s) == 0);
  CHECK(sim.err().find("client 1 connected") != std::string::npos);
}

TEST_CASE("rctclient simulator rejects an unknown fault with one line and exit 1",
          "[simulator_cli]") {
  auto r = rct::test::run_process(
      {RCTCLIENT_PATH, "simulator", "--port", "0", "--fault", "lightning"}, {}, 20s);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("unknown fault 'lightning'") != std::string::npos);
  auto p = rct::test::run_process({RCTCLIENT_PATH, "simulator", "--port", "0", "--fault", "drop=2"},
                                  {}, 20s);
  CHECK(p.exit_code == 1);
}

TEST_CASE(
    "rctclient simulator reports the battery words of its flags, and write-value refuses a "
    "strategy change during the calibration naming the bit",
    "[simulator_cli]") {
  rct::test::ChildProcess sim({RCTCLIENT_PATH, "simulator", "--host", "127.0.0.1", "--port", "0",
                               "--service-time-ms", "10", "--bat-status", "1032", "--calibration",
                               "discharge"});
  REQUIRE(sim.wait_for_output("\n", 20s));
  std::smatch m;
  const std::string out = sim.out();
  REQUIRE(std::regex_search(out, m, std::regex("listening on 127\\.0\\.0\\.1:([0-9]+)")));
  const std::string port = m[1].str();
  auto read_value = [&](const std::string& name) {
    return rct::test::run_process(
        {RCTCLIENT_PATH, "read-value", "--host", "127.0.0.1", "--port", port, "--name", name}, {},
        30s);
  };
  const auto bat_status = read_value("battery.bat_status");
  INFO(bat_status.err);
  CHECK(bat_status.out == "1032\n");
  const auto status2 = read_value("battery.status2");
  CHECK(status2.out == "1024\n");

  const auto refused =
      rct::test::run_process({RCTCLIENT_PATH, "write-value", "--host", "127.0.0.1", "--port", port,
                              "--name", "power_mng.soc_strategy", "External", "--yes"},
                             {}, 60s);
  INFO(refused.err);
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("refused while the battery is calibrating (discharge phase): "
                         "battery.status2 bit 10 (1024) is set") != std::string::npos);

  sim.signal(SIGTERM);
  CHECK(sim.wait(10s) == 0);

  auto bad = rct::test::run_process(
      {RCTCLIENT_PATH, "simulator", "--port", "0", "--calibration", "sideways"}, {}, 20s);
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("--calibration must be none, charge or discharge") != std::string::npos);
  auto odd = rct::test::run_process(
      {RCTCLIENT_PATH, "simulator", "--port", "0", "--bat-status", "7"}, {}, 20s);
  CHECK(odd.exit_code == 1);
}
