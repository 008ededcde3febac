// `rctclient read-value` / `read-values` end to end: the executable against a scripted fake peer.
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/client_harness.h"
#include "tests/integration/fake_peer.h"
#include "tests/support/bytes.h"
#include "tests/support/catch.h"
#include "tests/support/oids.h"
#include "tests/support/process.h"

using rct::Command;
using rct::Frame;
using rct::test::device_reply;
using rct::test::FakePeer;
using rct::test::float_bytes;
using rct::test::hex_bytes;
using rct::test::run_process;

namespace {

using rct::test::kSoc;
using rct::test::kSocLog;
using rct::test::kVoltage;

rct::test::RunResult rctclient(const FakePeer& peer, std::vector<std::string> args) {
  args.insert(args.begin(), {RCTCLIENT_PATH});
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "PORT") args[i] = std::to_string(peer.port());
  }
  return run_process(args, {}, std::chrono::seconds(20));
}

// Answers battery.soc and battery.voltage like a device; ignores everything else.
FakePeer::Reply device(const Frame& f, std::size_t) {
  if (f.command != Command::kRead) return {};
  if (f.oid == kSoc) return {device_reply(kSoc, hex_bytes("3e998623")), 0, false};
  if (f.oid == kVoltage) return {device_reply(kVoltage, float_bytes(51.5f)), 0, false};
  return {};
}

}  // namespace

TEST_CASE("read-value prints the value alone, as Python prints a double", "[read_value]") {
  FakePeer peer(device);
  auto r = rctclient(
      peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "battery.soc"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "0.29985150694847107\n");
  CHECK(r.err.empty());
  auto by_id = rctclient(
      peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--id", "0x959930BF"});
  CHECK(by_id.exit_code == 0);
  CHECK(by_id.out == "0.29985150694847107\n");
  CHECK(peer.connections_accepted() == 2);
}

TEST_CASE("read-value --verbose prints id, name, description and value on one line",
          "[read_value]") {
  FakePeer peer(device);
  auto r = rctclient(peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                            "battery.soc", "--verbose"});
  REQUIRE(r.exit_code == 0);
  CHECK(rct::test::count_lines(r.out) == 1);
  CHECK(r.out.rfind("#0x959930BF battery.soc ", 0) == 0);
  const auto* info = rct::test::test_registry().find(kSoc);
  REQUIRE(info != nullptr);
  CHECK(r.out.find(std::string(info->description)) != std::string::npos);
  CHECK(r.out.size() > 20);
  CHECK(r.out.substr(r.out.size() - 21) == " 0.29985150694847107\n");
}

TEST_CASE("read-value --debug logs on stderr and keeps stdout for the value", "[read_value]") {
  FakePeer peer(device);
  auto r = rctclient(peer, {"--debug", "read-value", "--host", "127.0.0.1", "--port", "PORT",
                            "--name", "battery.soc"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "0.29985150694847107\n");
  CHECK(r.err.find("link up") != std::string::npos);
  CHECK(r.err.find("2b0104959930bf0d65") != std::string::npos);  // the READ as sent
  auto after = rctclient(peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                                "battery.soc", "--debug"});
  CHECK(after.exit_code == 0);
  CHECK(after.out == "0.29985150694847107\n");
  CHECK_FALSE(after.err.empty());
}

TEST_CASE("read-value queries a time series with T = now and prints CSV", "[read_value]") {
  FakePeer peer([](const Frame& f, std::size_t) -> FakePeer::Reply {
    if (f.command != Command::kWrite || f.oid != kSocLog || f.payload.size() != 4) return {};
    const std::uint32_t t = (std::uint32_t{f.payload[0]} << 24) |
                            (std::uint32_t{f.payload[1]} << 16) |
                            (std::uint32_t{f.payload[2]} << 8) | f.payload[3];
    rct::TimeSeries ts{t, {{t - 600, 0.5f}, {t - 300, 0.25f}}};
    return {device_reply(kSocLog, rct::encode_timeseries(ts), Command::kLongResponse), 0, false};
  });
  const auto before = static_cast<std::uint32_t>(std::time(nullptr));
  auto r = rctclient(peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                            "logger.minutes_soc_log_ts"});
  const auto after = static_cast<std::uint32_t>(std::time(nullptr));
  REQUIRE(r.exit_code == 0);
  const auto requests = peer.requests();
  REQUIRE(requests.size() == 1);
  const auto& p = requests[0].payload;
  REQUIRE(p.size() == 4);
  const std::uint32_t t =
      (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
  CHECK(t >= before);
  CHECK(t <= after);
  CHECK(r.out == "timestamp,value\n" + std::to_string(t - 600) + ",0.5\n" +
                     std::to_string(t - 300) + ",0.25\n");
}

TEST_CASE("read-value exits 1 with a one-line reason when it gets no value", "[read_value]") {
  SECTION("no answer") {
    FakePeer peer([](const Frame&, std::size_t) { return FakePeer::Reply{}; });
    auto r = rctclient(peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                              "battery.soc", "--timeout", "0.2", "--retries", "1"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(rct::test::count_lines(r.err) == 1);
    CHECK(r.err.find("no answer for battery.soc") != std::string::npos);
    CHECK(peer.requests().size() == 2);
  }
  SECTION("connection refused") {
    FakePeer peer(device);
    peer.stop_listening();
    auto r = rctclient(
        peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "battery.soc"});
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(rct::test::count_lines(r.err) == 1);
    CHECK(r.err.find("cannot connect to 127.0.0.1:") != std::string::npos);
  }
  SECTION("unknown name") {
    FakePeer peer(device);
    auto r = rctclient(peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name",
                              "battery.nonsense"});
    CHECK(r.exit_code == 1);
    CHECK(rct::test::count_lines(r.err) == 1);
    CHECK(r.err.find("unknown name 'battery.nonsense'") != std::string::npos);
    CHECK(peer.connections_accepted() == 0);
  }
  SECTION("unknown id") {
    FakePeer peer(device);
    auto r = rctclient(
        peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--id", "0x00000001"});
    CHECK(r.exit_code == 1);
    CHECK(rct::test::count_lines(r.err) == 1);
    CHECK(r.err.find("unknown object id 0x00000001") != std::string::npos);
  }
  SECTION("the connection drops") {
    FakePeer peer([](const Frame&, std::size_t) { return FakePeer::Reply{{}, 0, true}; });
    auto r = rctclient(
        peer, {"read-value", "--host", "127.0.0.1", "--port", "PORT", "--name", "battery.soc"});
    CHECK(r.exit_code == 1);
    CHECK(rct::test::count_lines(r.err) == 1);
    CHECK(r.err.find("lost") != std::string::npos);
  }
}

TEST_CASE("read-values reads several objects over one connection", "[read_value]") {
  FakePeer peer(device);
  auto r = rctclient(
      peer, {"read-values", "--host", "127.0.0.1", "--port", "PORT", "battery.soc", "0x65EED11B"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "battery.soc 0.29985150694847107\nbattery.voltage 51.5\n");
  CHECK(peer.connections_accepted() == 1);

  auto j = rctclient(peer, {"read-values", "--json", "--host", "127.0.0.1", "--port", "PORT",
                            "battery.soc", "battery.voltage"});
  REQUIRE(j.exit_code == 0);
  const auto doc = nlohmann::json::parse(j.out);
  CHECK(doc["battery.soc"].get<double>() == static_cast<double>(0.29985150694847107f));
  CHECK(doc["battery.voltage"].get<double>() == 51.5);
}

TEST_CASE("read-values prints what it read and exits 1 naming what it could not read",
          "[read_value]") {
  FakePeer peer(device);
  auto r = rctclient(peer, {"read-values", "--host", "127.0.0.1", "--port", "PORT", "--timeout",
                            "0.2", "--retries", "0", "battery.soc", "battery.temperature"});
  CHECK(r.exit_code == 1);
  CHECK(r.out == "battery.soc 0.29985150694847107\n");
  CHECK(rct::test::count_lines(r.err) == 1);
  CHECK(r.err.find("1 of 2 values not read") != std::string::npos);
  CHECK(r.err.find("battery.temperature") != std::string::npos);
}
