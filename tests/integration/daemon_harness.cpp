#include "tests/integration/daemon_harness.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/mosquitto.h"

namespace rct::e2e {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const Registry& registry() {
  static const Registry r;
  return r;
}

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::uint16_t free_port_below_ephemeral() {
  static std::uint16_t next = static_cast<std::uint16_t>(20000 + (::getpid() % 5000) * 2);
  for (int i = 0; i < 1000; ++i) {
    const std::uint16_t port = next++;
    asio::io_context io;
    asio::ip::tcp::acceptor a(io);
    asio::error_code ec;
    a.open(asio::ip::tcp::v4(), ec);
    a.bind({asio::ip::make_address_v4("127.0.0.1"), port}, ec);
    if (!ec) return port;
  }
  throw std::runtime_error("no free port below the ephemeral range");
}

RunningSimulator::RunningSimulator() : port_(free_port_below_ephemeral()) {
  launch();
}

RunningSimulator::~RunningSimulator() {
  halt();
}

void RunningSimulator::apply(std::future<void> f) {
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
}

void RunningSimulator::halt() {
  if (!sim_) return;
  sim_->post_shutdown().wait_for(5s);
  io_->stop();
  if (thread_.joinable()) thread_.join();
  sim_.reset();
  io_.reset();  // drops the handlers still queued for the old connections
}

void RunningSimulator::launch() {
  io_ = std::make_unique<asio::io_context>();
  // The port may still be held for a moment by the connections just closed.
  const auto deadline = Clock::now() + 10s;
  for (;;) {
    try {
      sim_ = std::make_unique<sim::Simulator>(*io_, registry(), options());
      sim_->start();
      break;
    } catch (const std::system_error&) {
      sim_.reset();
      if (Clock::now() >= deadline) throw;
      std::this_thread::sleep_for(100ms);
    }
  }
  thread_ = std::thread([this] { io_->run(); });
}

sim::SimulatorOptions RunningSimulator::options() const {
  sim::SimulatorOptions o;
  o.port = port_;
  o.service_time = 5ms;
  o.start_time = kNoon;
  return o;
}

namespace {

std::vector<std::string> subscriber_argv(std::uint16_t port, const SubscriberOptions& options) {
  const auto sub = test::find_executable("mosquitto_sub");
  if (!sub) throw std::runtime_error("mosquitto_sub not found (apt-get install mosquitto-clients)");
  std::vector<std::string> argv = {*sub,
                                   "-h",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(port),
                                   "-F",
                                   "%r %q %t %p",
                                   "-q",
                                   std::to_string(options.qos)};
  for (const std::string& f : options.filters) {
    argv.push_back("-t");
    argv.push_back(f);
  }
  return argv;
}

}  // namespace

Subscriber::Subscriber(std::uint16_t port, const SubscriberOptions& options)
    : process_(subscriber_argv(port, options)) {}

std::optional<std::size_t> Subscriber::wait_line(const std::string& topic,
                                                 const std::string& payload,
                                                 std::chrono::milliseconds timeout,
                                                 std::size_t from) {
  return wait([&](const Line& l) { return l.topic == topic && l.payload == payload; }, timeout,
              from);
}

std::optional<std::size_t> Subscriber::wait_suffix(const std::string& suffix,
                                                   std::chrono::milliseconds timeout,
                                                   std::size_t from) {
  return wait(
      [&](const Line& l) {
        return l.topic.size() >= suffix.size() &&
               l.topic.compare(l.topic.size() - suffix.size(), suffix.size(), suffix) == 0;
      },
      timeout, from);
}

std::optional<std::size_t> Subscriber::wait_line_topic(const std::string& topic,
                                                       std::chrono::milliseconds timeout,
                                                       std::size_t from) {
  return wait([&](const Line& l) { return l.topic == topic; }, timeout, from);
}

void Subscriber::pump(std::chrono::milliseconds d) {
  process_.wait_for_output("\x01never\x01", d);
}

std::vector<Line> Subscriber::lines() const {
  std::vector<Line> out;
  const std::string& text = process_.out();
  std::size_t start = 0;
  // Only complete lines: the last one may still be arriving.
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    // "<retain 0|1> <qos> <topic> <payload>": the payload may contain spaces, the topic may not.
    std::istringstream fields(text.substr(start, end - start));
    Line l;
    int retained = 0;
    if (!(fields >> retained >> l.qos >> l.topic)) continue;
    l.retained = retained != 0;
    std::getline(fields, l.payload);
    if (!l.payload.empty() && l.payload.front() == ' ') l.payload.erase(0, 1);
    out.push_back(std::move(l));
  }
  return out;
}

DaemonSetup intervals(std::string fast, std::string slow) {
  DaemonSetup s;
  s.fast_interval = std::move(fast);
  s.slow_interval = std::move(slow);
  return s;
}

std::string config_text(std::uint16_t broker_port, std::uint16_t sim_port,
                        const std::filesystem::path& state_dir, const DaemonSetup& s) {
  std::ostringstream c;
  c << "state_dir = \"" << state_dir.string() << "\"\n"
    << "[logging]\nlevel = \"info\"\n"
    << "[mqtt]\nuri = \"tcp://127.0.0.1:" << s.broker_port.value_or(broker_port) << "\"\n"
    << "client_id = \"rct2mqtt-e2e\"\nreconnect_min = 0.5\nreconnect_max = 1\nheartbeat = 10\n"
    << s.extra_mqtt << "[homeassistant]\nrepublish_delay_max = 0.5\n"
    << "[[inverter]]\nhost = \"127.0.0.1\"\nport = " << sim_port << "\n"
    << "frames_per_second = 100\nrequest_timeout = 0.5\nreconnect_min = 0.2\n"
    << "reconnect_max = 0.5\noffline_after = 2\n"
    << s.extra_inverter << "[poll]\nfast_interval = " << s.fast_interval
    << "\nslow_interval = " << s.slow_interval << "\nstatic_interval = 30\n"
    << s.extra_sections;
  return c.str();
}

void World::write(const DaemonSetup& setup) {
  write_file(config, config_text(broker.port(), sim->port(), dir.path() / "state", setup));
}

std::unique_ptr<test::ChildProcess> World::start(const std::vector<std::string>& env) {
  return std::make_unique<test::ChildProcess>(
      std::vector<std::string>{RCT2MQTT_PATH, "-c", config.string()}, env);
}

std::string serial_of(Subscriber& sub) {
  auto idx = sub.wait(
      [](const Line& l) {
        return l.topic.rfind("rct2mqtt/", 0) == 0 && l.topic.size() > 16 &&
               l.topic.compare(l.topic.size() - 7, 7, "/status") == 0 &&
               l.topic != "rct2mqtt/bridge/status" && l.payload == "online";
      },
      20s);
  REQUIRE(idx);
  const std::string topic = sub.lines()[*idx].topic;
  return topic.substr(9, topic.size() - 9 - 7);
}

void stop_daemon(test::ChildProcess& daemon) {
  daemon.signal(SIGTERM);
  auto code = daemon.wait(10s);
  INFO(daemon.err());
  REQUIRE(code);
  CHECK(*code == 0);
}

}  // namespace rct::e2e
