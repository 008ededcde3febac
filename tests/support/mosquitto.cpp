#include "tests/support/mosquitto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rct::test {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// One non-blocking connect attempt, bounded by `timeout`.
bool try_connect(std::uint16_t port, std::chrono::milliseconds timeout) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr = loopback(port);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    ok = true;
  } else if (errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      int err = 0;
      socklen_t len = sizeof err;
      ok = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::optional<std::string> find_executable(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::istringstream in(path);
    std::string dir;
    while (std::getline(in, dir, ':')) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  for (const char* extra : {"/usr/local/sbin", "/usr/sbin", "/sbin"}) dirs.emplace_back(extra);
  for (const std::string& dir : dirs) {
    std::string candidate = dir;
    candidate += "/";
    candidate += name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_until_accepting(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (try_connect(port, std::chrono::milliseconds(200))) return true;
    // Refused at once: give the listener a moment before the next attempt.
    ::poll(nullptr, 0, 10);
  }
  return false;
}

MosquittoBroker::MosquittoBroker(BrokerOptions options) : options_(std::move(options)) {
  char tmpl[] = "/tmp/rct-mosquitto-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  // Started as root, mosquitto drops to its own user before it reads some files.
  std::filesystem::permissions(
      dir_,
      std::filesystem::perms::others_read | std::filesystem::perms::others_exec |
          std::filesystem::perms::group_read | std::filesystem::perms::group_exec,
      std::filesystem::perm_options::add);
  if (options_.user_password) {
    const auto passwd = find_executable("mosquitto_passwd");
    if (!passwd) throw std::runtime_error("mosquitto_passwd not found (apt-get install mosquitto)");
    const std::string file = (dir_ / "passwords").string();
    RunResult r = run_process(
        {*passwd, "-c", "-b", file, options_.user_password->first, options_.user_password->second});
    if (r.exit_code != 0) throw std::runtime_error("mosquitto_passwd failed: " + r.err);
    for (const auto& [user, password] : options_.more_users) {
      RunResult more = run_process({*passwd, "-b", file, user, password});
      if (more.exit_code != 0) throw std::runtime_error("mosquitto_passwd failed: " + more.err);
    }
    std::filesystem::permissions(file, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
  }
  if (options_.acl_file) {
    const auto acl = dir_ / "acl";
    std::filesystem::copy_file(*options_.acl_file, acl);
    std::filesystem::permissions(acl, std::filesystem::perms::others_read,
                                 std::filesystem::perm_options::add);
  }
  // A picked port was free when picked; another process may take it before the broker binds.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = options_.port.value_or(free_loopback_port());
    if (start()) return;
  }
  std::string log_text = log();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
  throw std::runtime_error("mosquitto did not start; log:\n" + log_text);
}

MosquittoBroker::~MosquittoBroker() {
  process_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool MosquittoBroker::start() {
  const auto mosquitto = find_executable("mosquitto");
  if (!mosquitto) throw std::runtime_error("mosquitto not found (apt-get install mosquitto)");
  const std::filesystem::path conf = dir_ / "mosquitto.conf";
  {
    std::ofstream out(conf);
    out << "listener " << port_ << " 127.0.0.1\n"
        << "persistence false\n"
        << "log_dest stderr\n"
        << "log_type all\n";
    if (options_.user_password) {
      out << "allow_anonymous false\n"
          << "password_file " << (dir_ / "passwords").string() << "\n";
    } else {
      out << "allow_anonymous true\n";
    }
    if (options_.acl_file) out << "acl_file " << (dir_ / "acl").string() << "\n";
    if (const auto& tls = options_.tls) {
      out << "cafile " << tls->ca_file << "\n"
          << "certfile " << tls->cert_file << "\n"
          << "keyfile " << tls->key_file << "\n"
          << "require_certificate " << (tls->require_client_certificate ? "true" : "false") << "\n";
    }
    out << options_.extra_config;
  }
  // The log goes to a file through the shell, so that an undrained pipe can never stall the
  // broker and the file stays writable after mosquitto drops root privileges; exec keeps the pid.
  const std::string command = "exec '" + *mosquitto + "' -c '" + conf.string() + "' 2>>'" +
                              (dir_ / "mosquitto.log").string() + "'";
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{"/bin/sh", "-c", command});
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (process_->wait(std::chrono::milliseconds(0))) break;  // exited: port taken or bad config
    if (try_connect(port_, std::chrono::milliseconds(200))) {
      // The listener may belong to someone else if our broker is failing to bind right now.
      if (!process_->wait(std::chrono::milliseconds(50))) return true;
      break;
    }
    ::poll(nullptr, 0, 10);
  }
  process_.reset();
  return false;
}

void MosquittoBroker::kill() {
  if (!process_) return;
  process_->signal(SIGCONT);  // a paused broker must be able to die
  process_->signal(SIGKILL);
  process_->wait(std::chrono::seconds(5));
  process_.reset();
}

void MosquittoBroker::restart() {
  kill();
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    if (start()) return;
  }
  throw std::runtime_error("mosquitto did not restart on port " + std::to_string(port_) +
                           "; log:\n" + log());
}

void MosquittoBroker::pause() {
  if (process_) process_->signal(SIGSTOP);
}

void MosquittoBroker::resume() {
  if (process_) process_->signal(SIGCONT);
}

std::string MosquittoBroker::log() const {
  std::ifstream in(dir_ / "mosquitto.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<ReceivedMessage> mosquitto_sub(std::uint16_t port, const std::string& filter, int count,
                                           std::chrono::seconds timeout, bool retained_only,
                                           int qos) {
  const auto sub = find_executable("mosquitto_sub");
  if (!sub) throw std::runtime_error("mosquitto_sub not found (apt-get install mosquitto-clients)");
  const long seconds = std::max<long>(1, static_cast<long>(timeout.count()));
  std::vector<std::string> argv = {*sub,
                                   "-h",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(port),
                                   "-t",
                                   filter,
                                   "-F",
                                   kSubscriberFormat,
                                   "-C",
                                   std::to_string(count),
                                   "-W",
                                   std::to_string(seconds),
                                   "-q",
                                   std::to_string(qos)};
  if (retained_only) argv.push_back("--retained-only");
  RunResult r = run_process(argv, {}, std::chrono::seconds(seconds + 5));
  std::vector<ReceivedMessage> out;
  std::istringstream in(r.out);
  std::string line;
  while (std::getline(in, line)) {
    if (auto m = parse_subscriber_line(line)) out.push_back(std::move(*m));
  }
  return out;
}

std::optional<ReceivedMessage> parse_subscriber_line(const std::string& line) {
  std::istringstream fields(line);
  ReceivedMessage m;
  int retained = 0;
  if (!(fields >> retained >> m.qos >> m.topic)) return std::nullopt;
  m.retained = retained != 0;
  std::getline(fields, m.payload);
  if (!m.payload.empty() && m.payload.front() == ' ') m.payload.erase(0, 1);
  return m;
}

bool mosquitto_pub(std::uint16_t port, const std::string& topic, const std::string& payload,
                   bool retain, int qos) {
  const auto pub = find_executable("mosquitto_pub");
  if (!pub) throw std::runtime_error("mosquitto_pub not found (apt-get install mosquitto-clients)");
  std::vector<std::string> argv = {*pub,  "-h", "127.0.0.1", "-p", std::to_string(port), "-t",
                                   topic, "-m", payload,     "-q", std::to_string(qos)};
  if (retain) argv.push_back("-r");
  return run_process(argv, {}, std::chrono::seconds(10)).exit_code == 0;
}

}  // namespace rct::test
