// The local RCT proxy end to end (docs/proxy.md): the real rct2mqtt process between the simulator
// and its proxy port, read through by `rctclient read-value`, by core Client instances and by raw
// sockets. Every value a client gets must be one the simulator sent for that OID, and the daemon's
// one connection must stay the only one on the simulator. Every wait has a deadline.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/client/client.h"
#include "core/frame_decoder.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "core/number_text.h"
#include "core/value_codec.h"
#include "tests/integration/client_harness.h"
#include "tests/integration/daemon_harness.h"
#include "tests/support/http_client.h"
#include "tests/support/poll.h"

namespace {

using namespace rct::test::e2e;
using ProxyTcp = asio::ip::tcp;

// The values a proxy client reads: polled ones (answered from the cache), strings, and ones the
// daemon does not poll by default (forwarded).
const std::vector<std::string> kProxyReadNames{
    "battery.soc", "g_sync.p_ac_grid_sum_lp", "inverter_sn",     "android_description",
    "battery.soh", "power_mng.soc_min",       "nsm.f_low_entry", "rb485.f_grid[2]"};
// Of them, values the daemon never polls: only a forwarded READ brings them.
const std::vector<std::string> kProxyUnpolledNames{"nsm.f_low_entry", "rb485.f_grid[2]"};

struct ProxyWorld {
  std::uint16_t proxy_port = free_port_below_ephemeral();
  World world;
  std::unique_ptr<rct::test::ChildProcess> rct2mqtt;

  explicit ProxyWorld(std::string extra = {}, std::string sections = {},
                      std::string frames_per_second = "100", const std::string& host = "127.0.0.1")
      : world([&] {
          DaemonSetup s;
          s.sections = std::move(sections);
          s.frames_per_second = std::move(frames_per_second);
          s.extra_inverter = "proxy = \"" + host + ":" + std::to_string(proxy_port) +
                             "\"\nproxy_clients = 6\nproxy_frames_per_second = 20\n" + extra;
          return s;
        }()) {
    rct2mqtt = world.start();
    // Online means the session started, and with it the proxy.
    serial_of(*world.sub);
  }

  // Every frame the simulator received came over one connection: the daemon's.
  void check_one_upstream_connection() {
    CHECK(world.sim->connections_served() == 1);
    std::set<std::uint64_t> clients;
    for (const auto& f : world.sim->received().all()) clients.insert(f.client);
    CHECK(clients.size() == 1);
  }

  bool sent(std::uint32_t oid, const rct::Value& v) {
    const rct::OidInfo* info = rct::test::test_registry().find(oid);
    REQUIRE(info != nullptr);
    for (const rct::Value& s : sent_values(*world.sim.operator->(), oid, info->response_type)) {
      if (s == v) return true;
    }
    return false;
  }
};

std::uint32_t proxy_oid(const std::string& name) {
  const rct::OidInfo* info = rct::test::test_registry().find(name);
  REQUIRE(info != nullptr);
  return info->id;
}

// A raw downstream client: whatever bytes a test wants, answers decoded as a client would.
class RawProxyPeer {
 public:
  explicit RawProxyPeer(std::uint16_t port, const std::string& host = "127.0.0.1") {
    socket_.connect(ProxyTcp::endpoint(asio::ip::make_address(host), port));
  }
  void send(const std::vector<std::uint8_t>& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  void close() { socket_.close(); }

  // Reads until `n` good frames arrived, the peer closed, or the deadline.
  std::vector<rct::Frame> frames(std::size_t n, std::chrono::milliseconds timeout = 20s) {
    const auto deadline = Clock::now() + timeout;
    while (frames_.size() < n && !eof_ && Clock::now() < deadline) {
      if (!pending_) {
        pending_ = true;
        socket_.async_read_some(
            asio::buffer(buffer_), [this](const asio::error_code& ec, std::size_t size) {
              pending_ = false;
              if (ec) {
                eof_ = true;
                return;
              }
              decoder_.feed(std::span<const std::uint8_t>(buffer_.data(), size));
              while (auto e = decoder_.next()) {
                if (e->outcome != rct::DecodeOutcome::kOk) continue;
                frames_.push_back(rct::Frame{
                    *e->command, e->address, *e->oid, {e->payload.begin(), e->payload.end()}});
              }
            });
      }
      io_.run_for(10ms);
    }
    return frames_;
  }
  bool closed_by_peer(std::chrono::milliseconds timeout = 20s) {
    frames(static_cast<std::size_t>(-1), timeout);
    return eof_;
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  ProxyTcp::socket socket_{io_};
  rct::FrameDecoder decoder_;
  std::array<std::uint8_t, 4096> buffer_{};
  std::vector<rct::Frame> frames_;
  bool pending_ = false;
  bool eof_ = false;
};

std::vector<std::uint8_t> proxy_read_frame(std::uint32_t oid) {
  return rct::test::wire(rct::Command::kRead, oid, {});
}

// `clients` core Clients on one loop, each reading every name of kProxyReadNames in turn; every
// answer must be a value the simulator sent for that OID.
void read_concurrently(ProxyWorld& w, std::size_t clients) {
  asio::io_context io;
  rct::test::RecordingObserver observer;
  rct::client::ClientOptions o = rct::test::fast_options(w.proxy_port);
  o.request_timeout = 10s;
  o.retries = 0;
  std::vector<std::unique_ptr<rct::client::Client>> cs;
  for (std::size_t i = 0; i < clients; ++i) {
    cs.push_back(
        std::make_unique<rct::client::Client>(io, rct::test::test_registry(), o, observer));
    cs.back()->start();
  }
  struct Got {
    std::uint32_t oid = 0;
    rct::Result<rct::client::Reading, rct::client::ClientError> result;
  };
  std::vector<Got> got;
  std::vector<std::size_t> next(clients, 0);
  std::function<void(std::size_t)> read_next = [&](std::size_t c) {
    if (next[c] == kProxyReadNames.size()) return;
    const std::uint32_t oid = proxy_oid(kProxyReadNames[next[c]++]);
    cs[c]->read(oid, [&, c, oid](rct::Result<rct::client::Reading, rct::client::ClientError> r) {
      got.push_back(Got{oid, std::move(r)});
      read_next(c);
    });
  };
  for (std::size_t c = 0; c < clients; ++c) read_next(c);
  const std::size_t want = clients * kProxyReadNames.size();
  const auto deadline = Clock::now() + 60s;
  while (got.size() < want && Clock::now() < deadline) io.run_for(10ms);
  REQUIRE(got.size() == want);
  for (const Got& g : got) {
    INFO(rct::format_oid(g.oid));
    REQUIRE(g.result.ok());
    CHECK(w.sent(g.oid, g.result.value().value));
  }
  for (auto& c : cs) c->stop();
  io.run_for(50ms);
}

}  // namespace

TEST_CASE("rctclient read-value through the proxy prints a battery.soc the simulator sent",
          "[proxy_e2e]") {
  ProxyWorld w;
  const auto r =
      rct::test::run_process({RCTCLIENT_PATH, "read-value", "--host", "127.0.0.1", "--port",
                              std::to_string(w.proxy_port), "--name", "battery.soc"},
                             {}, 20s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  bool found = false;
  for (const rct::Value& v :
       sent_values(*w.world.sim.operator->(), kSocOid, rct::DataType::kFloat)) {
    if (r.out == rct::python_repr(std::get<float>(v)) + "\n") found = true;
  }
  CHECK(found);
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE(
    "two and five clients reading at once through the proxy get only values the "
    "simulator sent",
    "[proxy_e2e]") {
  ProxyWorld w;
  read_concurrently(w, 2);
  read_concurrently(w, 5);
  // Values nobody polls came from forwarded READs, at most one per client read of them.
  for (const std::string& name : kProxyUnpolledNames) {
    INFO(name);
    const auto upstream = w.world.sim->received().frames(rct::Command::kRead, proxy_oid(name));
    CHECK(upstream.size() >= 1);
    CHECK(upstream.size() <= 7);
  }
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE(
    "five proxy clients and the daemon share the inverter's one budget: the simulator never sees "
    "more",
    "[proxy_e2e]") {
  constexpr double kBudget = 10.0;
  // No cache: every READ of the clients is forwarded (or joins one in flight).
  ProxyWorld w("proxy_max_age = 0\n", {}, "10");
  const auto from = Clock::now();
  read_concurrently(w, 5);
  read_concurrently(w, 5);
  const auto to = Clock::now();
  std::vector<std::chrono::steady_clock::time_point> times;
  for (const auto& f : w.world.sim->received().all()) {
    if (f.time >= from && f.time <= to) times.push_back(f.time);
  }
  INFO(times.size() << " requests in " << std::chrono::duration<double>(to - from).count() << " s");
  REQUIRE(times.size() >= 20);
  // Any run of requests i..j: no more than the burst (1) plus the budget over its span, with one
  // request of slack for the way from the daemon to the simulator (scheduling, TCP).
  double worst = 0.0;
  for (std::size_t i = 0; i < times.size(); ++i) {
    for (std::size_t j = i + 1; j < times.size(); ++j) {
      const double span = std::chrono::duration<double>(times[j] - times[i]).count();
      worst = std::max(worst, static_cast<double>(j - i + 1) - kBudget * span);
    }
  }
  INFO("largest excess over the budget: " << worst);
  CHECK(worst <= 2.0);
  // The forwards were the proxy's share: the daemon kept polling meanwhile.
  std::size_t soc_reads = 0;
  for (const auto& f : w.world.sim->received().all()) {
    if (f.time >= from && f.time <= to && f.frame.oid == kSocOid) ++soc_reads;
  }
  CHECK(soc_reads >= 1);
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE("a burst of 100 READs from one client is answered READ for READ", "[proxy_e2e]") {
  ProxyWorld w;
  RawProxyPeer peer(w.proxy_port);
  std::vector<std::uint8_t> burst;
  std::vector<std::uint32_t> asked;
  for (int i = 0; i < 100; ++i) {
    const std::uint32_t oid = proxy_oid(kProxyReadNames[static_cast<std::size_t>(i) % 4]);
    asked.push_back(oid);
    const auto f = proxy_read_frame(oid);
    burst.insert(burst.end(), f.begin(), f.end());
  }
  peer.send(burst);
  const auto frames = peer.frames(100);
  REQUIRE(frames.size() == 100);
  std::map<std::uint32_t, int> answered;
  for (const rct::Frame& f : frames) {
    CHECK(f.command == rct::Command::kResponse);
    CHECK_FALSE(f.address);
    const rct::OidInfo* info = rct::test::test_registry().find(f.oid);
    REQUIRE(info != nullptr);
    const auto v = rct::decode_value(info->response_type, f.payload);
    REQUIRE(v.ok());
    CHECK(w.sent(f.oid, v.value()));
    ++answered[f.oid];
  }
  for (std::size_t i = 0; i < 4; ++i) CHECK(answered[proxy_oid(kProxyReadNames[i])] == 25);
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE("a WRITE through the proxy is answered with nothing and never reaches the inverter",
          "[proxy_e2e]") {
  ProxyWorld w;
  RawProxyPeer peer(w.proxy_port);
  const std::uint32_t soc_min = proxy_oid("power_mng.soc_min");
  // WRITE soc_min 0.5, then a READ as the marker: answers come in order, so the first frame back
  // answers the READ only if the WRITE got nothing.
  peer.send(rct::test::wire(rct::Command::kWrite, soc_min, rct::test::float_bytes(0.5f)));
  peer.send(proxy_read_frame(kSocOid));
  const auto frames = peer.frames(1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].oid == kSocOid);
  CHECK(frames[0].command == rct::Command::kResponse);
  CHECK(setting_writes(w.world.sim).empty());
  CHECK(w.world.sim->received().frames(rct::Command::kWrite, soc_min).empty());
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE(
    "with proxy_writes verified a client's WRITE goes the way of an MQTT command: verified when "
    "allowed, rejected and never sent when not",
    "[proxy_e2e]") {
  ProxyWorld w("proxy_writes = \"verified\"\n",
               "[writes]\nenabled = true\nallow = [\"pv_power_reduction\"]\nmin_interval = 1\n"
               "readback_delay = 0.2\nreadback_interval = 0.2\nreadback_attempts = 5\n");
  const std::string base = "rct2mqtt/" + serial_of(*w.world.sub);
  const std::uint32_t reduction = proxy_oid("buf_v_control.power_reduction");
  const std::uint32_t soc_min = proxy_oid("power_mng.soc_min");
  RawProxyPeer peer(w.proxy_port);
  peer.send(rct::test::wire(rct::Command::kWrite, reduction, rct::test::float_bytes(0.6f)));
  const auto verified = w.world.sub->wait(
      [&](const Line& l) {
        if (l.topic != base + "/settings/pv_power_reduction/set/result") return false;
        const auto j = nlohmann::json::parse(l.payload, nullptr, false);
        return !j.is_discarded() && j.value("outcome", "") == "verified";
      },
      30s);
  REQUIRE(verified);
  const auto answer = nlohmann::json::parse(w.world.sub->lines()[*verified].payload);
  INFO(answer.dump());
  CHECK(answer.at("value") == 60);
  const auto writes = w.world.sim->received().frames(rct::Command::kWrite, reduction);
  REQUIRE(writes.size() == 1);
  CHECK(writes[0].payload == rct::test::float_bytes(0.6f));
  CHECK(
      w.rct2mqtt->wait_for_output("WRITE buf_v_control.power_reduction = 60 goes to the write "
                                  "path as pv_power_reduction",
                                  10s, true));

  // soc_min is not in [writes] allow: rejected like the MQTT command, and not sent.
  peer.send(rct::test::wire(rct::Command::kWrite, soc_min, rct::test::float_bytes(0.5f)));
  const auto rejected = w.world.sub->wait(
      [&](const Line& l) {
        if (l.topic != base + "/settings/soc_min/set/result") return false;
        const auto j = nlohmann::json::parse(l.payload, nullptr, false);
        return !j.is_discarded() && j.value("outcome", "") == "rejected";
      },
      30s);
  REQUIRE(rejected);
  CHECK(w.world.sim->received().frames(rct::Command::kWrite, soc_min).empty());
  // A PLANT_WRITE stays refused, and the client is still served.
  peer.send(rct::test::wire(rct::Command::kPlantWrite, reduction, rct::test::float_bytes(1.0f),
                            0x12345678));
  peer.send(proxy_read_frame(kSocOid));
  REQUIRE(peer.frames(1).size() == 1);
  CHECK(w.world.sim->received().frames(rct::Command::kWrite, reduction).size() == 1);
  CHECK(w.world.sim->received().frames(rct::Command::kPlantWrite, reduction).empty());
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE("the proxy's clients and what their frames got show on the metrics endpoint",
          "[proxy_e2e]") {
  const std::uint16_t metrics_port = free_port_below_ephemeral();
  ProxyWorld w({}, "[metrics]\nlisten = \"127.0.0.1:" + std::to_string(metrics_port) + "\"\n");
  RawProxyPeer peer(w.proxy_port);
  const std::uint32_t soc_min = proxy_oid("power_mng.soc_min");
  peer.send(rct::test::wire(rct::Command::kWrite, soc_min, rct::test::float_bytes(0.5f)));
  peer.send(proxy_read_frame(kSocOid));
  peer.send(proxy_read_frame(kSocOid));
  REQUIRE(peer.frames(2).size() == 2);
  const std::string serial = serial_of(*w.world.sub);
  const std::string labels = "{serial=\"" + serial + "\",name=\"inverter1\"";
  // Scraped until the two READs are counted (answered from the cache or forwarded).
  const auto text = rct::test::poll_until(
      [&]() -> std::optional<std::string> {
        const auto r = rct::test::http_request(metrics_port, "GET", "/metrics");
        if (!r || r->status != 200) return std::nullopt;
        if (r->body.find("rct2mqtt_proxy_frames_total" + labels + ",result=\"refused\"} 1\n") ==
            std::string::npos) {
          return std::nullopt;
        }
        return r->body;
      },
      20s, 200ms);
  REQUIRE(text);
  INFO(*text);
  CHECK(text->find("rct2mqtt_proxy_clients" + labels + "} 1\n") != std::string::npos);
  CHECK(text->find("rct2mqtt_proxy_connections_total" + labels + ",result=\"accepted\"} 1\n") !=
        std::string::npos);
  const auto sample = [&](const std::string& result) {
    const std::string head =
        "rct2mqtt_proxy_frames_total" + labels + ",result=\"" + result + "\"} ";
    const auto at = text->find(head);
    REQUIRE(at != std::string::npos);
    return std::stoull(text->substr(at + head.size()));
  };
  CHECK(sample("from_cache") + sample("forwarded") == 2);
  CHECK(text->find("rct2mqtt_proxy_bytes_total" + labels + ",direction=\"in\"} " +
                   std::to_string(13 + 9 + 9) + "\n") != std::string::npos);
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE("cut frames, garbage, EXTENSION, text and a megabyte flood leave the proxy serving",
          "[proxy_e2e]") {
  ProxyWorld w;
  {
    RawProxyPeer cut(w.proxy_port);
    const auto f = proxy_read_frame(kSocOid);
    cut.send(std::vector<std::uint8_t>(f.begin(), f.begin() + 4));
    cut.close();
  }
  RawProxyPeer hostile(w.proxy_port);
  hostile.send({0x2B, 0x3C, 0xE1});  // EXTENSION: dropped
  const std::string at = "AT+VERSION\r\n";
  hostile.send(std::vector<std::uint8_t>(at.begin(), at.end()));
  std::vector<std::uint8_t> flood(1 << 20);
  for (std::size_t i = 0; i < flood.size(); ++i) {
    flood[i] = static_cast<std::uint8_t>(i * 7 % 251);
    if (flood[i] == 0x2B || flood[i] == 0x2D) flood[i] = 0x00;
  }
  hostile.send(flood);
  // A frame longer than a client needs: a length error, not a megabyte buffer.
  std::vector<std::uint8_t> huge =
      rct::test::wire(rct::Command::kLongWrite, kSocOid, std::vector<std::uint8_t>(40000, 0x11));
  hostile.send(huge);
  hostile.send(proxy_read_frame(kSocOid));
  const auto frames = hostile.frames(1);
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].oid == kSocOid);
  CHECK(w.sent(kSocOid, rct::decode_value(rct::DataType::kFloat, frames[0].payload).value()));
  // A fresh client is served too, and the daemon still runs.
  RawProxyPeer after(w.proxy_port);
  after.send(proxy_read_frame(kSocOid));
  CHECK(after.frames(1).size() == 1);
  CHECK_FALSE(w.rct2mqtt->wait(0ms));
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

namespace {

// An IPv4 address of this machine that is not loopback ("" when it has none): a connection to it
// from here comes from that address, which is what a peer on the LAN looks like to the proxy.
std::string proxy_lan_address() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string found;
  for (const ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    std::array<char, INET_ADDRSTRLEN> text{};
    const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    if (inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size()) == nullptr) continue;
    const std::string a(text.data());
    if (a.rfind("127.", 0) != 0) found = a;
  }
  freeifaddrs(list);
  return found;
}

}  // namespace

TEST_CASE("a proxy on all addresses serves the peers proxy_allow lists and loopback, no others",
          "[proxy_e2e]") {
  const std::string lan = proxy_lan_address();
  if (lan.empty()) {
    WARN("this machine has no IPv4 address but loopback: the allow list cannot be tried");
    return;
  }
  INFO("LAN address " << lan);
  {
    // 198.51.100.0/24 is a documentation network: not this machine.
    ProxyWorld w("proxy_allow = [\"198.51.100.0/24\"]\n", {}, "100", "0.0.0.0");
    RawProxyPeer stranger(w.proxy_port, lan);
    stranger.send(proxy_read_frame(kSocOid));
    CHECK(stranger.closed_by_peer());
    CHECK(stranger.frames(1, 0ms).empty());
    CHECK(w.rct2mqtt->wait_for_output("proxy refused " + lan + ":", 10s, true));
    RawProxyPeer local(w.proxy_port);
    local.send(proxy_read_frame(kSocOid));
    CHECK(local.frames(1).size() == 1);
    stop_daemon(*w.rct2mqtt);
  }
  {
    ProxyWorld w("proxy_allow = [\"" + lan + "/32\"]\n", {}, "100", "0.0.0.0");
    RawProxyPeer listed(w.proxy_port, lan);
    listed.send(proxy_read_frame(kSocOid));
    const auto frames = listed.frames(1);
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].oid == kSocOid);
    CHECK(w.sent(kSocOid, rct::decode_value(rct::DataType::kFloat, frames[0].payload).value()));
    stop_daemon(*w.rct2mqtt);
  }
}

TEST_CASE("a connection beyond proxy_clients is closed at once", "[proxy_e2e]") {
  ProxyWorld w;
  std::vector<std::unique_ptr<RawProxyPeer>> peers;
  for (int i = 0; i < 6; ++i) {
    peers.push_back(std::make_unique<RawProxyPeer>(w.proxy_port));
    // Answered: accepted and counted before the next one connects.
    peers.back()->send(proxy_read_frame(kSocOid));
    REQUIRE(peers.back()->frames(1).size() == 1);
  }
  RawProxyPeer extra(w.proxy_port);
  CHECK(extra.closed_by_peer());
  peers.pop_back();
  // A place is free again once the daemon saw the close: a new client is served then.
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    RawProxyPeer next(w.proxy_port);
    next.send(proxy_read_frame(kSocOid));
    served = next.frames(1, 5s).size() == 1;
  }
  CHECK(served);
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE("a value read because a proxy client asked reaches MQTT like the daemon's own readings",
          "[proxy_e2e]") {
  // The daemon reads battery.bat_status once an hour: a new value within the test comes to MQTT
  // only through the READ a proxy client makes (max_age 0: never from the cache).
  ProxyWorld w("proxy_max_age = 0\n",
               "[[poll.value]]\nname = \"battery.bat_status\"\ninterval = 3600\n");
  const std::string topic = "rct2mqtt/" + serial_of(*w.world.sub) + "/battery/status_bits";
  const auto first = w.world.sub->wait_line_topic(topic, 20s);
  REQUIRE(first);
  REQUIRE(w.world.sub->lines()[*first].payload != "2048");
  SwitchableSimulator::apply(w.world.sim->set_bat_status(2048));
  const std::size_t from = w.world.sub->lines().size();
  RawProxyPeer peer(w.proxy_port);
  peer.send(proxy_read_frame(proxy_oid("battery.bat_status")));
  const auto frames = peer.frames(1);
  REQUIRE(frames.size() == 1);
  const auto v = rct::decode_value(rct::DataType::kInt32, frames[0].payload);
  REQUIRE(v.ok());
  CHECK(std::get<std::int32_t>(v.value()) == 2048);
  CHECK(w.world.sub->wait_line(topic, "2048", 20s, from));
  stop_daemon(*w.rct2mqtt);
}

namespace {

// T as a client writes it for a history query: INT32, the device's seconds (docs/protocol.md §9).
std::vector<std::uint8_t> proxy_query_time(std::uint32_t t) {
  auto bytes = rct::encode_value(rct::DataType::kInt32, static_cast<std::int32_t>(t));
  REQUIRE(bytes);
  return *bytes;
}

// Whether the simulator sent exactly these payload bytes, intact, for `oid`.
bool proxy_sim_sent(ProxyWorld& w, std::uint32_t oid, const std::vector<std::uint8_t>& payload) {
  for (const auto& r : w.world.sim->sent()) {
    if (r.oid == oid && r.intact && r.payload == payload) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "history and event-table queries through the proxy get the simulator's answer byte for byte, "
    "their asker only",
    "[proxy_e2e]") {
  ProxyWorld w;
  RawProxyPeer asker(w.proxy_port);
  RawProxyPeer other(w.proxy_port);
  const auto now = static_cast<std::uint32_t>(std::time(nullptr));
  const std::uint32_t series = proxy_oid("logger.minutes_soc_log_ts");
  const std::uint32_t events = proxy_oid("logger.error_log_time_stamp");
  // Times of the client's own: an answer echoes its T, which tells it from the answers to the
  // daemon's own event queries on the same link.
  const std::vector<std::uint8_t> t_series = proxy_query_time(now - 3600);
  const std::vector<std::uint8_t> t_events = proxy_query_time(now - 7);
  asker.send(rct::test::wire(rct::Command::kWrite, series, t_series));
  asker.send(rct::test::wire(rct::Command::kWrite, events, t_events));
  const auto got = asker.frames(2);
  REQUIRE(got.size() == 2);
  for (const rct::Frame& f : got) {
    INFO(rct::format_oid(f.oid));
    CHECK((f.oid == series || f.oid == events));
    CHECK((f.command == rct::Command::kResponse || f.command == rct::Command::kLongResponse));
    // T echoed first: the answer to this client's query, not to someone else's.
    REQUIRE(f.payload.size() > 4);
    const auto& t = f.oid == series ? t_series : t_events;
    CHECK(std::equal(t.begin(), t.end(), f.payload.begin()));
    CHECK(proxy_sim_sent(w, f.oid, f.payload));
  }
  // The other client got none of it: the first frame it gets answers its own READ.
  other.send(proxy_read_frame(kSocOid));
  const auto mine = other.frames(1);
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].oid == kSocOid);
  // Each query went upstream as the client's WRITE of its T.
  std::size_t series_queries = 0;
  for (const rct::Frame& f : w.world.sim->received().frames(rct::Command::kWrite, series)) {
    CHECK(f.payload == t_series);
    ++series_queries;
  }
  CHECK(series_queries == 1);
  bool events_query = false;
  for (const rct::Frame& f : w.world.sim->received().frames(rct::Command::kWrite, events)) {
    events_query = events_query || f.payload == t_events;
  }
  CHECK(events_query);
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE("rctclient read-values through the proxy prints a time series, events and a value",
          "[proxy_e2e]") {
  ProxyWorld w;
  const auto r = rct::test::run_process(
      {RCTCLIENT_PATH, "read-values", "--host", "127.0.0.1", "--port", std::to_string(w.proxy_port),
       "--json", "logger.minutes_ubat_log_ts", "logger.error_log_time_stamp", "battery.soc"},
      {}, 30s);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  REQUIRE(j.is_object());
  CHECK(j.contains("logger.minutes_ubat_log_ts"));
  CHECK(j.contains("logger.error_log_time_stamp"));
  CHECK(j.contains("battery.soc"));
  CHECK(w.world.sim->received()
            .frames(rct::Command::kWrite, proxy_oid("logger.minutes_ubat_log_ts"))
            .size() == 1);
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}

TEST_CASE("a client paging through six hours of a time series via the proxy gets every page",
          "[proxy_e2e]") {
  ProxyWorld w;
  asio::io_context io;
  rct::test::RecordingObserver observer;
  rct::client::ClientOptions o = rct::test::fast_options(w.proxy_port);
  o.request_timeout = 10s;
  rct::client::Client client(io, rct::test::test_registry(), o, observer);
  client.start();
  // The device's clock (local time counted as UTC, docs/protocol.md §9.4).
  const auto to = static_cast<std::uint32_t>(w.world.sim->device_now());
  const std::uint32_t from = to - 6 * 3600;
  std::optional<rct::Result<rct::TimeSeries, rct::client::ClientError>> series;
  client.query_timeseries(
      proxy_oid("logger.minutes_soc_log_ts"), from, to,
      [&](rct::Result<rct::TimeSeries, rct::client::ClientError> r) { series = std::move(r); });
  std::optional<rct::Result<rct::EventTable, rct::client::ClientError>> table;
  client.query_events(
      to - 30 * 86400, to,
      [&](rct::Result<rct::EventTable, rct::client::ClientError> r) { table = std::move(r); });
  const auto deadline = Clock::now() + 60s;
  while ((!series || !table) && Clock::now() < deadline) io.run_for(10ms);
  REQUIRE(series);
  REQUIRE(table);
  REQUIRE(series->ok());
  REQUIRE(table->ok());
  // Minute samples every 300 s: 72 in six hours, more than one page of 24.
  CHECK(series->value().points.size() >= 70);
  for (const auto& sample : series->value().points) {
    CHECK(sample.timestamp >= from);
    CHECK(sample.timestamp <= to);
  }
  client.stop();
  io.run_for(50ms);
  // Paged: several queries of the series went upstream, one per page.
  CHECK(w.world.sim->received()
            .frames(rct::Command::kWrite, proxy_oid("logger.minutes_soc_log_ts"))
            .size() >= 3);
  w.check_one_upstream_connection();
  stop_daemon(*w.rct2mqtt);
}
