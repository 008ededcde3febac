#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/process.h"

namespace rct::test {

// An executable found on $PATH or in the sbin directories (mosquitto lives in /usr/sbin, which a
// non-root $PATH may lack).
std::optional<std::string> find_executable(const std::string& name);

// A loopback TCP port that was free a moment ago (bound to port 0, then released).
std::uint16_t free_loopback_port();

// Whether 127.0.0.1:port accepts a TCP connection before `timeout`.
bool wait_until_accepting(std::uint16_t port, std::chrono::milliseconds timeout);

// A TLS listener instead of plain TCP (PEM files).
struct BrokerTls {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool require_client_certificate = false;
};

struct BrokerOptions {
  // Unset: a free port. Set: e.g. the port a client is already trying to reach.
  std::optional<std::uint16_t> port = std::nullopt;
  std::optional<BrokerTls> tls = std::nullopt;
  // Set: anonymous clients are refused and this is the only account (with more_users, the
  // first one).
  std::optional<std::pair<std::string, std::string>> user_password = std::nullopt;
  // More accounts (user, password), in the same password file (made with mosquitto_passwd).
  std::vector<std::pair<std::string, std::string>> more_users = {};
  // Set: this ACL file (copied into the broker's directory) decides who reads and writes what.
  std::optional<std::filesystem::path> acl_file = std::nullopt;
  // Appended to the generated configuration as it is: more listeners, a bridge section.
  std::string extra_config = {};
};

// A real Mosquitto broker on 127.0.0.1 without persistence, in its own temporary directory
// (config, log, password file). Killed and cleaned up on destruction.
class MosquittoBroker {
 public:
  // Throws std::runtime_error when no broker could be started.
  explicit MosquittoBroker(BrokerOptions options = {});
  ~MosquittoBroker();
  MosquittoBroker(const MosquittoBroker&) = delete;
  MosquittoBroker& operator=(const MosquittoBroker&) = delete;

  std::uint16_t port() const { return port_; }
  std::string uri() const {
    return (options_.tls ? "ssl://127.0.0.1:" : "tcp://127.0.0.1:") + std::to_string(port_);
  }
  bool running() const { return process_ != nullptr; }

  // SIGKILL: clients see their connections drop; retained messages are lost (no persistence).
  void kill();
  // Starts again on the same port and waits until it accepts connections.
  void restart();
  // SIGSTOP / SIGCONT: a broker that keeps the connections open but answers nothing.
  void pause();
  void resume();

  std::string log() const;

 private:
  // False when the broker exited (e.g. the port was taken) or never accepted connections.
  bool start();

  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  BrokerOptions options_;
  std::unique_ptr<ChildProcess> process_;
};

struct ReceivedMessage {
  std::string topic;
  std::string payload;
  bool retained = false;
  int qos = 0;
};

// The output format (-F) the tests give mosquitto_sub: "<retain 0|1> <qos> <topic> <payload>".
inline constexpr const char* kSubscriberFormat = "%r %q %t %p";

// One line of mosquitto_sub output in kSubscriberFormat (without its newline); nullopt when the
// line is not one. The payload may contain spaces, the topic may not.
std::optional<ReceivedMessage> parse_subscriber_line(const std::string& line);

// Subscribes to `filter` with mosquitto_sub and collects messages until `count` arrived or
// `timeout` (whole seconds, at least 1) passed. `retained_only` stops at the first live message.
// A message arrives with the lower of its QoS and `qos`.
std::vector<ReceivedMessage> mosquitto_sub(std::uint16_t port, const std::string& filter, int count,
                                           std::chrono::seconds timeout, bool retained_only = false,
                                           int qos = 0);

// Publishes one message with mosquitto_pub; true when it exited successfully.
bool mosquitto_pub(std::uint16_t port, const std::string& topic, const std::string& payload,
                   bool retain = false, int qos = 0);

}  // namespace rct::test
