// The simulator on real TCP (loopback, ephemeral port), run on a thread with its own io_context;
// the test talks to it through raw sockets and the frame codec. Every wait has a deadline.
#include "tools/simulator/simulator.h"

#include <asio.hpp>
#include <cmath>
#include <functional>
#include <thread>

#include "core/frame_decoder.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "core/logger_codec.h"
#include "core/registry.h"
#include "core/value_codec.h"
#include "tests/integration/simulator_harness.h"
#include "tests/support/catch.h"
#include "tests/support/oids.h"
#include "tests/support/test_registry.h"

using namespace std::chrono_literals;
using rct::Command;
using rct::DecodeOutcome;
using rct::Frame;
using rct::sim::FaultKind;
using Clock = std::chrono::steady_clock;

namespace {

using rct::test::oid_of;

using rct::test::kSoc;
constexpr std::uint32_t kDescription = 0xEBC62737;  // android_description, 64-byte string
using rct::test::kSimulatedNoon;

rct::sim::SimulatorOptions test_options() {
  return rct::test::simulator_test_options();
}

// The simulator on its own thread (tests/integration/simulator_harness.h).
class LocalSimulator : public rct::test::RunningSimulator {
 public:
  explicit LocalSimulator(rct::sim::SimulatorOptions options = test_options())
      : rct::test::RunningSimulator(rct::test::test_registry(), std::move(options)) {}
};

struct Received {
  DecodeOutcome outcome = DecodeOutcome::kOk;
  std::optional<Command> command;
  std::optional<std::uint32_t> address;
  std::optional<std::uint32_t> oid;
  std::vector<std::uint8_t> payload;
};

// A raw TCP client driven synchronously by the test thread, with deadlines.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : socket_(io_) {
    asio::error_code ec;
    socket_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }

  void send(const std::vector<std::uint8_t>& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  void send(const Frame& f) { send(rct::encode_frame(f).value()); }
  void read(std::uint32_t oid) { send(Frame{Command::kRead, std::nullopt, oid, {}}); }
  // Several requests in one segment: served one after the other, none cuts another's reply.
  void send_batch(const std::vector<Frame>& frames) {
    std::vector<std::uint8_t> bytes;
    for (const Frame& f : frames) REQUIRE(rct::encode_frame(f, bytes).ok());
    send(bytes);
  }
  void read_batch(const std::vector<std::uint32_t>& oids) {
    std::vector<Frame> frames;
    for (std::uint32_t oid : oids) frames.push_back(Frame{Command::kRead, std::nullopt, oid, {}});
    send_batch(frames);
  }

  // Decoded outcomes until `count` frames (any outcome) arrived, or the deadline passed.
  std::vector<Received> frames(std::size_t count, std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    while (pending_.size() < count && Clock::now() < deadline && !closed_) {
      read_some(deadline);
    }
    std::vector<Received> out;
    while (!pending_.empty() && out.size() < count) {
      out.push_back(std::move(pending_.front()));
      pending_.erase(pending_.begin());
    }
    return out;
  }
  // True when nothing arrives within `quiet` (a negative check, bounded by its window).
  bool silent_for(std::chrono::milliseconds quiet) { return frames(1, quiet).empty(); }
  // True when the peer closes the connection before the deadline.
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!closed_ && Clock::now() < deadline) read_some(deadline);
    return closed_;
  }
  const std::vector<std::uint8_t>& raw() const { return raw_; }
  std::size_t reads() const { return reads_; }  // read_some calls that returned bytes

 private:
  void read_some(Clock::time_point deadline) {
    bool done = false;
    std::size_t got = 0;
    asio::error_code error;
    socket_.async_read_some(asio::buffer(buffer_), [&](const asio::error_code& ec, std::size_t n) {
      done = true;
      error = ec;
      got = n;
    });
    io_.restart();
    io_.run_until(deadline);
    if (!done) {
      socket_.cancel();
      io_.restart();
      io_.run();
      return;
    }
    if (error && error != asio::error::operation_aborted) {
      closed_ = true;
      return;
    }
    ++reads_;
    raw_.insert(raw_.end(), buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(got));
    decoder_.feed(std::span<const std::uint8_t>(buffer_.data(), got));
    while (auto ev = decoder_.next()) {
      pending_.push_back(
          Received{ev->outcome, ev->command, ev->address, ev->oid,
                   std::vector<std::uint8_t>(ev->payload.begin(), ev->payload.end())});
    }
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  bool connected_ = false;
  bool closed_ = false;
  std::array<std::uint8_t, 4096> buffer_{};
  rct::FrameDecoder decoder_;
  std::vector<Received> pending_;
  std::vector<std::uint8_t> raw_;
  std::size_t reads_ = 0;
};

float as_float(const std::vector<std::uint8_t>& payload) {
  auto v = rct::decode_value(rct::DataType::kFloat, payload);
  REQUIRE(v.ok());
  return std::get<float>(*v);
}

std::vector<std::uint8_t> be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// The last record of the reply for `oid`.
std::optional<rct::sim::SentReply> last_sent(rct::sim::Simulator& sim, std::uint32_t requested) {
  auto all = sim.sent();
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->requested_oid == requested) return *it;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("READ battery.soc is answered with a leading 00 and a fraction", "[simulator]") {
  LocalSimulator sim;
  RawClient client(sim->port());
  REQUIRE(client.connected());
  client.read(kSoc);
  auto frames = client.frames(1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].outcome == DecodeOutcome::kOk);
  CHECK(frames[0].command == Command::kResponse);
  CHECK(frames[0].oid == kSoc);
  REQUIRE(frames[0].payload.size() == 4);
  const float soc = as_float(frames[0].payload);
  CHECK(soc >= 0.0f);
  CHECK(soc <= 1.0f);
  REQUIRE(client.raw().size() >= 4);
  CHECK(rct::to_hex(std::span(client.raw().data(), 4)) == "002b0508");
  CHECK(sim->truth(kSoc).count(frames[0].payload) == 1);
}

TEST_CASE("pipelined READs in one segment are all answered, in order", "[simulator]") {
  LocalSimulator sim;
  RawClient client(sim->port());
  const std::vector<std::uint32_t> oids = {kSoc,
                                           0xDB2D69AE /* escaped OID */,
                                           0x2BC1E72B,
                                           0x89EE3EB5,
                                           kDescription,
                                           oid_of("energy.e_grid_feed_total"),
                                           oid_of("inverter_sn"),
                                           oid_of("power_mng.n_batteries"),
                                           oid_of("battery.cells[0]"),
                                           oid_of("prim_sm.state")};
  client.read_batch(oids);
  auto frames = client.frames(oids.size());
  REQUIRE(frames.size() == oids.size());
  for (std::size_t i = 0; i < oids.size(); ++i) {
    INFO(rct::format_oid(oids[i]));
    CHECK(frames[i].outcome == DecodeOutcome::kOk);
    CHECK(frames[i].oid == oids[i]);
    const rct::OidInfo* info = rct::test::test_registry().find(oids[i]);
    CHECK(rct::payload_size_fits(info->response_type, frames[i].payload.size()));
  }
  CHECK(as_float(frames[5].payload) < 0.0f);  // feed-in counter is negative
}

TEST_CASE("values vary with simulated time, faster with a time scale", "[simulator]") {
  auto options = test_options();
  options.time_scale = 3600;  // an hour per second
  LocalSimulator sim(options);
  RawClient client(sim->port());
  const std::uint32_t total = oid_of("energy.e_load_total");
  client.read(total);
  auto first = client.frames(1);
  REQUIRE(first.size() == 1);
  const auto until = Clock::now() + 5s;
  float later = as_float(first[0].payload);
  while (later <= as_float(first[0].payload) && Clock::now() < until) {
    client.read(total);
    auto next = client.frames(1);
    REQUIRE(next.size() == 1);
    later = as_float(next[0].payload);
  }
  CHECK(later > as_float(first[0].payload));
  CHECK(sim->device_now() > kSimulatedNoon);
}

TEST_CASE("every reply is copied to every connected client", "[simulator]") {
  LocalSimulator sim;
  RawClient a(sim->port());
  RawClient b(sim->port());
  REQUIRE((a.connected() && b.connected()));
  const auto deadline = Clock::now() + 5s;
  while (sim->client_count() < 2 && Clock::now() < deadline) std::this_thread::yield();
  REQUIRE(sim->client_count() == 2);
  a.read(kSoc);
  auto fa = a.frames(1);
  auto fb = b.frames(1);
  REQUIRE(fa.size() == 1);
  REQUIRE(fb.size() == 1);
  CHECK(fb[0].oid == kSoc);
  CHECK(fa[0].payload == fb[0].payload);
  b.read(kDescription);
  CHECK(a.frames(1).at(0).oid == kDescription);
  CHECK(b.frames(1).at(0).oid == kDescription);
}

TEST_CASE("a sixth client is closed at once while five keep working", "[simulator]") {
  LocalSimulator sim;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<RawClient>(sim->port()));
    REQUIRE(clients.back()->connected());
  }
  const auto deadline = Clock::now() + 5s;
  while (sim->client_count() < 5 && Clock::now() < deadline) std::this_thread::yield();
  REQUIRE(sim->client_count() == 5);
  RawClient sixth(sim->port());
  CHECK(sixth.closed_within(5s));
  CHECK(sim->client_count() == 5);
  clients[0]->read(kSoc);
  for (auto& c : clients) CHECK(c->frames(1).size() == 1);
}

// Reads `oid` (one READ per round trip) until `accept` holds for the payload or the deadline
// passes; returns the payloads seen, in order.
std::vector<std::vector<std::uint8_t>> read_until(
    RawClient& client, std::uint32_t oid,
    const std::function<bool(const std::vector<std::uint8_t>&)>& accept,
    std::chrono::milliseconds timeout = 5s) {
  std::vector<std::vector<std::uint8_t>> seen;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    client.read(oid);
    auto frames = client.frames(1, 1s);
    if (frames.empty() || frames[0].oid != oid) continue;
    seen.push_back(frames[0].payload);
    if (accept(seen.back())) break;
  }
  return seen;
}

// Reads `oid` throughout `window`; returns every payload seen (a bounded negative check).
std::vector<std::vector<std::uint8_t>> read_during(RawClient& client, std::uint32_t oid,
                                                   std::chrono::milliseconds window) {
  return read_until(
      client, oid, [](const std::vector<std::uint8_t>&) { return false; }, window);
}

TEST_CASE("a WRITE becomes readable after the write delay and is not answered", "[simulator]") {
  const std::uint32_t strategy = oid_of("power_mng.soc_strategy");
  const std::uint32_t soc_max = oid_of("power_mng.soc_max");
  auto options = test_options();
  options.write_delay = 400ms;
  LocalSimulator sim(options);
  RawClient client(sim->port());
  const auto sent_at = Clock::now();
  client.send_batch({Frame{Command::kWrite, std::nullopt, strategy, {2}},
                     Frame{Command::kWrite, std::nullopt, soc_max, be32(0x3f4ccccd)},  // 0.8
                     Frame{Command::kRead, std::nullopt, strategy, {}},
                     Frame{Command::kRead, std::nullopt, soc_max, {}}});
  auto frames = client.frames(2);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].oid == strategy);                          // no reply to either WRITE came first
  CHECK(frames[0].payload == std::vector<std::uint8_t>{4});  // still the default, Internal
  CHECK(frames[1].oid == soc_max);
  CHECK(as_float(frames[1].payload) == 0.97f);

  auto seen = read_until(client, soc_max,
                         [](const std::vector<std::uint8_t>& p) { return as_float(p) == 0.8f; });
  REQUIRE_FALSE(seen.empty());
  CHECK(as_float(seen.back()) == 0.8f);
  CHECK(Clock::now() - sent_at >= 400ms);
  client.read(strategy);
  frames = client.frames(1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].payload == std::vector<std::uint8_t>{2});

  // Both WRITEs are in the record of what the clients sent.
  const auto writes = sim->received().frames(Command::kWrite);
  REQUIRE(writes.size() == 2);
  CHECK(writes[0] == Frame{Command::kWrite, std::nullopt, strategy, {2}});
  CHECK(writes[1].oid == soc_max);
  CHECK(sim->received().frames(Command::kRead, soc_max).size() == seen.size() + 1);
}

TEST_CASE("with echo on, a WRITE is answered with the new value once it is applied",
          "[simulator]") {
  const std::uint32_t strategy = oid_of("power_mng.soc_strategy");
  for (auto delay : {0ms, 150ms}) {
    INFO("write delay " << delay.count() << " ms");
    auto options = test_options();
    options.echo_writes = true;
    options.write_delay = delay;
    LocalSimulator sim(options);
    RawClient client(sim->port());
    const auto sent_at = Clock::now();
    client.send(Frame{Command::kWrite, std::nullopt, strategy, {1}});
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(Clock::now() - sent_at >= delay);
    CHECK(frames[0].command == Command::kResponse);
    CHECK(frames[0].oid == strategy);
    CHECK(frames[0].payload == std::vector<std::uint8_t>{1});
  }
}

TEST_CASE("a busy device ignores writes of settings but answers reads and history queries",
          "[simulator]") {
  const std::uint32_t soc_min = oid_of("power_mng.soc_min");
  auto options = test_options();
  options.busy = true;
  LocalSimulator sim(options);
  RawClient client(sim->port());
  client.send(Frame{Command::kWrite, std::nullopt, soc_min, be32(0x3e4ccccd)});  // 0.2
  // Well past the write delay (50 ms), the old value stays.
  for (const auto& p : read_during(client, soc_min, 400ms)) CHECK(as_float(p) == 0.07f);
  REQUIRE(sim->received().frames(Command::kWrite, soc_min).size() == 1);

  // A history query is a WRITE too, and is still answered.
  client.send(Frame{Command::kWrite, std::nullopt, oid_of("logger.minutes_soc_log_ts"),
                    be32(static_cast<std::uint32_t>(kSimulatedNoon))});
  auto frames = client.frames(1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].command == Command::kLongResponse);

  // Not busy any more: the next write is applied. Scripted: only the next write is ignored.
  LocalSimulator::apply(sim->set_busy(false));
  LocalSimulator::apply(sim->script_busy(1));
  client.send(Frame{Command::kWrite, std::nullopt, soc_min, be32(0x3e4ccccd)});
  for (const auto& p : read_during(client, soc_min, 300ms)) CHECK(as_float(p) == 0.07f);
  client.send(Frame{Command::kWrite, std::nullopt, soc_min, be32(0x3e4ccccd)});
  auto seen = read_until(client, soc_min,
                         [](const std::vector<std::uint8_t>& p) { return as_float(p) == 0.2f; });
  REQUIRE_FALSE(seen.empty());
  CHECK(as_float(seen.back()) == 0.2f);
}

TEST_CASE("a reboot reverts written settings to their defaults and closes connections",
          "[simulator]") {
  const std::uint32_t soc_max = oid_of("power_mng.soc_max");
  const std::uint32_t soc_min = oid_of("power_mng.soc_min");
  auto options = test_options();
  options.write_delay = 300ms;
  LocalSimulator sim(options);
  {
    RawClient client(sim->port());
    client.send(Frame{Command::kWrite, std::nullopt, soc_max, be32(0x3f4ccccd)});  // 0.8
    auto seen = read_until(client, soc_max,
                           [](const std::vector<std::uint8_t>& p) { return as_float(p) == 0.8f; });
    REQUIRE_FALSE(seen.empty());
    REQUIRE(as_float(seen.back()) == 0.8f);
    // A write still pending when the device reboots is lost. The READ behind it on the same
    // connection is answered after the WRITE was taken: its answer proves the WRITE arrived.
    client.send(Frame{Command::kWrite, std::nullopt, soc_min, be32(0x3e4ccccd)});  // 0.2
    auto pending =
        read_until(client, soc_min, [](const std::vector<std::uint8_t>&) { return true; });
    REQUIRE(pending.size() == 1);
    CHECK(as_float(pending[0]) == 0.07f);  // not yet applied (300 ms)
    REQUIRE(sim->received().frames(Command::kWrite, soc_min).size() == 1);
    LocalSimulator::apply(sim->reboot());
    CHECK(client.closed_within(5s));
  }
  RawClient again(sim->port());
  REQUIRE(again.connected());
  auto max_seen = read_until(again, soc_max, [](const std::vector<std::uint8_t>&) { return true; });
  REQUIRE(max_seen.size() == 1);
  CHECK(as_float(max_seen[0]) == 0.97f);
  const auto min_seen = read_during(again, soc_min, 500ms);
  REQUIRE_FALSE(min_seen.empty());
  for (const auto& p : min_seen) CHECK(as_float(p) == 0.07f);
}

TEST_CASE(
    "the battery status words follow the run's options and survive a reboot; the PV power "
    "reduction survives it only on request",
    "[simulator]") {
  const std::uint32_t bat_status = oid_of("battery.bat_status");
  const std::uint32_t status2 = oid_of("battery.status2");
  const std::uint32_t reduction = oid_of("buf_v_control.power_reduction");
  auto options = test_options();
  options.write_delay = 0ms;
  options.bat_status = 2048;
  options.calibration = rct::sim::Calibration::kCharge;
  options.reboot_keeps_power_reduction = true;
  LocalSimulator sim(options);
  auto word = [&](RawClient& c, std::uint32_t oid) {
    auto seen = read_until(c, oid, [](const std::vector<std::uint8_t>&) { return true; });
    REQUIRE(seen.size() == 1);
    auto v = rct::decode_value(rct::DataType::kInt32, seen[0]);
    REQUIRE(v.ok());
    return std::get<std::int32_t>(*v);
  };
  {
    RawClient client(sim->port());
    CHECK(word(client, bat_status) == 2048);
    CHECK(word(client, status2) == 8);
    LocalSimulator::apply(sim->set_calibration(rct::sim::Calibration::kDischarge));
    CHECK(word(client, status2) == 1024);
    client.send(Frame{Command::kWrite, std::nullopt, reduction, be32(0x3f19999a)});  // 0.6
    auto seen = read_until(client, reduction,
                           [](const std::vector<std::uint8_t>& p) { return as_float(p) == 0.6f; });
    REQUIRE_FALSE(seen.empty());
    LocalSimulator::apply(sim->reboot());
    CHECK(client.closed_within(5s));
  }
  {
    RawClient again(sim->port());
    CHECK(word(again, bat_status) == 2048);  // the battery's words, not settings
    CHECK(word(again, status2) == 1024);
    auto kept = read_until(again, reduction, [](const std::vector<std::uint8_t>&) { return true; });
    REQUIRE(kept.size() == 1);
    CHECK(as_float(kept[0]) == 0.6f);
    LocalSimulator::apply(sim->set_reboot_keeps_power_reduction(false));
    LocalSimulator::apply(sim->reboot());
    CHECK(again.closed_within(5s));
  }
  RawClient third(sim->port());
  auto reverted =
      read_until(third, reduction, [](const std::vector<std::uint8_t>&) { return true; });
  REQUIRE(reverted.size() == 1);
  CHECK(as_float(reverted[0]) == 1.0f);
}

TEST_CASE("a time-series query pages backwards with LONG_RESPONSE answers", "[simulator]") {
  auto options = test_options();
  options.page_size = 40;  // 4 + 40 * 8 = 324 bytes: needs the 2-byte length
  LocalSimulator sim(options);
  RawClient client(sim->port());
  const std::uint32_t series = oid_of("logger.minutes_soc_log_ts");
  std::uint32_t t = static_cast<std::uint32_t>(kSimulatedNoon);
  std::uint32_t previous_oldest = 0;
  for (int page = 0; page < 3; ++page) {
    INFO("page " << page);
    client.send(Frame{Command::kWrite, std::nullopt, series, be32(t)});
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].command == Command::kLongResponse);
    CHECK(frames[0].oid == series);
    REQUIRE(frames[0].payload.size() == 4 + 40 * 8);
    const rct::TimeSeries ts = rct::decode_timeseries(frames[0].payload);
    CHECK(ts.query_timestamp == t);
    CHECK(ts.points.back().timestamp <= t);
    if (page > 0) CHECK(ts.points.back().timestamp == previous_oldest);
    previous_oldest = ts.points.front().timestamp;
    CHECK(previous_oldest < t);
    t = previous_oldest;
  }
  // The event table answers the same way.
  client.send(Frame{Command::kWrite, std::nullopt, oid_of("logger.error_log_time_stamp"),
                    be32(static_cast<std::uint32_t>(kSimulatedNoon))});
  auto events = client.frames(1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].command == Command::kLongResponse);
  CHECK(rct::payload_size_fits(rct::DataType::kEventTable, events[0].payload.size()));
  CHECK(rct::decode_event_table(events[0].payload).entries.size() == 40);
}

TEST_CASE("a request arriving while a reply is sent cuts it short with a valid CRC",
          "[simulator]") {
  auto options = test_options();
  options.service_time = 1000ms;
  LocalSimulator sim(options);
  RawClient client(sim->port());
  client.read(kDescription);
  // Place the second request inside the first reply's service time (not a synchronisation
  // sleep: the cut happens whenever the request arrives before the 1 s are up).
  const auto sent_first = Clock::now();
  std::this_thread::sleep_for(200ms);
  client.read(kSoc);
  auto frames = client.frames(2);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].outcome == DecodeOutcome::kOk);  // valid CRC over the truncated payload
  CHECK(frames[0].oid == kDescription);
  CHECK(frames[0].payload.size() < 64);
  CHECK(frames[1].oid == kSoc);
  CHECK(frames[1].payload.size() == 4);
  CHECK(Clock::now() - sent_first >= 1000ms);  // the second reply took its full service time
  auto record = last_sent(*sim, kDescription);
  REQUIRE(record);
  CHECK(record->cut_by_request);
  CHECK_FALSE(record->intact);
  CHECK(sim->truth(kDescription).empty());

  // Switched off, the same pattern gives the full reply.
  LocalSimulator::apply(sim->set_truncation(false));
  client.read(kDescription);
  std::this_thread::sleep_for(200ms);
  client.read(kSoc);
  frames = client.frames(2);
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].payload.size() == 64);
  CHECK(sim->truth(kDescription).size() == 1);
}

TEST_CASE("a reply cut by a request stays cut even when a value fault is due", "[simulator]") {
  const FaultKind fault =
      GENERATE(FaultKind::kWrongOid, FaultKind::kCounterReset, FaultKind::kAbsurdValue);
  INFO(rct::sim::fault_name(fault));
  auto options = test_options();
  options.service_time = 400ms;
  LocalSimulator sim(options);
  const std::uint32_t counter = oid_of("energy.e_grid_feed_total");  // FLOAT Wh, lifetime
  LocalSimulator::apply(sim->script_fault(fault, 1));
  RawClient client(sim->port());
  client.read(counter);
  // Inside the first reply's service time (the cut happens whenever it arrives before 400 ms).
  std::this_thread::sleep_for(100ms);
  client.read(counter);
  auto frames = client.frames(2);
  REQUIRE(frames.size() == 2);
  // The cut reply goes out short, as its record says; the fault hits the next whole reply.
  CHECK(frames[0].outcome == DecodeOutcome::kOk);
  CHECK(frames[0].oid == counter);
  CHECK(frames[0].payload.size() < 4);
  const auto sent = sim->sent();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].cut_by_request);
  CHECK_FALSE(sent[0].intact);
  CHECK_FALSE(sent[0].fault.has_value());
  CHECK(sent[1].fault == fault);
  CHECK(sent[1].intact);
  // Every frame whose payload fits its OID's type is one the record calls intact.
  for (const auto& f : frames) {
    REQUIRE(f.oid.has_value());
    const rct::OidInfo* info = rct::test::test_registry().find(*f.oid);
    REQUIRE(info != nullptr);
    if (rct::payload_size_fits(info->response_type, f.payload.size())) {
      CHECK(sim->truth(*f.oid).count(f.payload) == 1);
    }
  }
}

TEST_CASE("EXTENSION, AT+ noise and unknown OIDs get no answer", "[simulator]") {
  LocalSimulator sim;
  RawClient client(sim->port());
  std::vector<std::uint8_t> bytes = rct::from_hex(
                                        "2b3ce1"
                                        "41542b0d")
                                        .value();
  REQUIRE(rct::encode_frame(Frame{Command::kRead, std::nullopt, 0x01020304, {}}, bytes).ok());
  REQUIRE(rct::encode_frame(Frame{Command::kRead, std::nullopt, kSoc, {}}, bytes).ok());
  client.send(bytes);  // noise, an OID not in the registry, then battery.soc
  auto frames = client.frames(2, 1s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].oid == kSoc);
}

TEST_CASE("plant reads are answered for known addresses only", "[simulator]") {
  LocalSimulator sim;
  RawClient client(sim->port());
  client.send_batch({Frame{Command::kPlantRead, 0x0BADF00D, kSoc, {}},
                     Frame{Command::kPlantRead, rct::sim::kDefaultPlantAddress, kSoc, {}}});
  auto frames = client.frames(2, 1s);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].command == Command::kPlantResponse);
  CHECK(frames[0].address == rct::sim::kDefaultPlantAddress);
  CHECK(frames[0].oid == kSoc);
  CHECK(sim->truth(kSoc, rct::sim::kDefaultPlantAddress).count(frames[0].payload) == 1);
  CHECK(sim->truth(kSoc).empty());
}

TEST_CASE("READ_PERIODICALLY answers at once and then every pas.period", "[simulator]") {
  LocalSimulator sim;
  RawClient client(sim->port());
  client.send_batch({Frame{Command::kWrite, std::nullopt, oid_of("pas.period"), be32(1)},
                     Frame{Command::kReadPeriodically, std::nullopt, kSoc, {}}});
  auto frames = client.frames(3, 5s);
  REQUIRE(frames.size() == 3);
  for (const Received& r : frames) CHECK(r.oid == kSoc);
  // Writing 0 clears the registrations.
  client.send(Frame{Command::kWrite, std::nullopt, oid_of("pas.period"), be32(0)});
  client.frames(1, 200ms);  // a push may have been under way
  CHECK(client.silent_for(1500ms));
}

TEST_CASE("each fault mode is observable on the wire and in the record", "[simulator]") {
  LocalSimulator sim;
  RawClient client(sim->port());
  auto scripted = [&](FaultKind f) { LocalSimulator::apply(sim->script_fault(f, 1)); };

  SECTION("garbage before a frame that still decodes") {
    scripted(FaultKind::kGarbage);
    client.read(kSoc);
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].oid == kSoc);
    CHECK(client.raw().size() > 14);  // 00 + 13-byte frame, plus garbage
    CHECK(client.raw()[0] != 0x00);
    auto record = last_sent(*sim, kSoc);
    CHECK(record->fault == FaultKind::kGarbage);
    CHECK(record->intact);
  }
  SECTION("corrupted CRC") {
    scripted(FaultKind::kCorruptCrc);
    client.read(kSoc);
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].outcome == DecodeOutcome::kCrcMismatch);
    CHECK(sim->truth(kSoc).empty());
  }
  SECTION("dropped reply") {
    scripted(FaultKind::kDrop);
    client.read(kSoc);
    CHECK(client.silent_for(300ms));
    client.read(kSoc);
    CHECK(client.frames(1).size() == 1);
    CHECK_FALSE(sim->sent().front().delivered);
  }
  SECTION("wrong OID: another OID's true value") {
    scripted(FaultKind::kWrongOid);
    client.read(kSoc);
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    REQUIRE(frames[0].oid.has_value());
    CHECK(*frames[0].oid != kSoc);
    CHECK(sim->truth(*frames[0].oid).count(frames[0].payload) == 1);
    CHECK(sim->truth(kSoc).empty());
  }
  SECTION("truncated reply with a valid CRC") {
    scripted(FaultKind::kTruncate);
    client.read(kSoc);
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].outcome == DecodeOutcome::kOk);
    CHECK(frames[0].payload.size() < 4);
    CHECK(sim->truth(kSoc).empty());
  }
  SECTION("stall: no reply, then nothing for the stall duration") {
    LocalSimulator::apply(sim->set_stall_duration(600ms));
    scripted(FaultKind::kStall);
    client.read(kSoc);
    const auto start = Clock::now();
    client.read(kDescription);
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].oid == kDescription);
    CHECK(Clock::now() - start >= 550ms);
  }
  SECTION("disconnect after a reply") {
    scripted(FaultKind::kDisconnect);
    client.read(kSoc);
    CHECK(client.frames(1).size() == 1);
    CHECK(client.closed_within(5s));
  }
  SECTION("disconnect after N frames") {
    LocalSimulator::apply(sim->set_disconnect_after(3));
    RawClient limited(sim->port());
    REQUIRE(limited.connected());
    limited.read_batch({kSoc, kSoc, kSoc});
    CHECK(limited.frames(3).size() == 3);
    CHECK(limited.closed_within(5s));
  }
  SECTION("night: connections refused, then accepted again") {
    LocalSimulator::apply(sim->set_night(true));
    CHECK(client.closed_within(5s));
    RawClient refused(sim->port());
    CHECK_FALSE(refused.connected());
    LocalSimulator::apply(sim->set_night(false));
    RawClient morning(sim->port());
    REQUIRE(morning.connected());
    morning.read(kSoc);
    CHECK(morning.frames(1).size() == 1);
  }
  SECTION("a lifetime counter answers 0") {
    const std::uint32_t total = oid_of("energy.e_ac_total");
    scripted(FaultKind::kCounterReset);
    client.read_batch({kSoc, total});  // battery.soc is not a counter: untouched
    auto frames = client.frames(2);
    REQUIRE(frames.size() == 2);
    CHECK(as_float(frames[0].payload) > 0.0f);
    CHECK(as_float(frames[1].payload) == 0.0f);
    CHECK(last_sent(*sim, total)->fault == FaultKind::kCounterReset);
  }
  SECTION("a reply split across two TCP segments still decodes") {
    const std::uint32_t escaped = 0x2BC1E72B;  // the OID has two bytes to escape
    scripted(FaultKind::kSplit);
    client.read(escaped);
    auto frames = client.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].outcome == DecodeOutcome::kOk);
    CHECK(frames[0].oid == escaped);
    CHECK(client.reads() >= 2);
    CHECK(last_sent(*sim, escaped)->intact);
  }
  SECTION("absurd power values") {
    const std::uint32_t grid = oid_of("g_sync.p_ac_grid_sum_lp");
    LocalSimulator::apply(sim->script_fault(FaultKind::kAbsurdValue, 2));
    client.read_batch({grid, grid});
    auto frames = client.frames(2);
    REQUIRE(frames.size() == 2);
    const float a = as_float(frames[0].payload);
    const float b = as_float(frames[1].payload);
    CHECK((a == 1e30f || std::isnan(a)));
    CHECK((b == 1e30f || std::isnan(b)));
  }
}

TEST_CASE("under random faults every intact frame received is in the simulator's truth",
          "[simulator]") {
  auto options = test_options();
  options.service_time = 5ms;
  for (FaultKind f : {FaultKind::kGarbage, FaultKind::kCorruptCrc, FaultKind::kDrop,
                      FaultKind::kWrongOid, FaultKind::kTruncate}) {
    options.faults.probability[static_cast<std::size_t>(f)] = 0.1;
  }
  LocalSimulator sim(options);
  RawClient client(sim->port());
  const std::vector<std::uint32_t> oids = {kSoc, kDescription, oid_of("energy.e_load_total"),
                                           oid_of("g_sync.p_ac_load_sum_lp")};
  std::size_t good = 0, rejected = 0;
  for (int round = 0; round < 30; ++round) {
    client.read_batch(oids);
    for (const Received& r : client.frames(oids.size(), 150ms)) {
      if (r.outcome != DecodeOutcome::kOk || !r.oid) {
        ++rejected;
        continue;
      }
      const rct::OidInfo* info = rct::test::test_registry().find(*r.oid);
      REQUIRE(info != nullptr);
      const bool fits = rct::payload_size_fits(info->response_type, r.payload.size());
      const bool in_truth = sim->truth(*r.oid).count(r.payload) == 1;
      INFO(rct::format_oid(*r.oid) << " " << rct::to_hex(r.payload));
      if (fits && info->response_type != rct::DataType::kString) CHECK(in_truth);
      if (!fits) CHECK_FALSE(in_truth);
      (fits ? good : rejected) += 1;
    }
  }
  CHECK(good > 60);
  CHECK(rejected > 0);
}

TEST_CASE("a client's frame of the largest length is received whole, the next one answered",
          "[simulator]") {
  // L = 0xFFFF: a LONG_WRITE with 65531 payload bytes, many of them tokens (some 98 KB on the
  // wire, more than twenty reads of the simulator's buffer), then a READ in the same stream.
  LocalSimulator sim;
  RawClient client(sim->port());
  std::vector<std::uint8_t> payload(65531);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    payload[i] = i % 2 == 0 ? rct::kStartToken : static_cast<std::uint8_t>(i);
  }
  const Frame big{Command::kLongWrite, std::nullopt, 0xEBC62737, payload};
  client.send_batch({big, Frame{Command::kRead, std::nullopt, kSoc, {}}});
  const auto frames = client.frames(1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].oid == kSoc);
  const auto writes = sim->received().frames(Command::kLongWrite);
  REQUIRE(writes.size() == 1);
  CHECK(writes[0] == big);
}
