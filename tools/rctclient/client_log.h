#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "core/client/client_observer.h"

namespace rct::cli {

// A logger on stderr for the commands that talk to an inverter: everything down to frame hex
// (trace) with --debug, silent otherwise, so stdout carries the values alone.
std::shared_ptr<spdlog::logger> make_client_logger(bool debug);

// Maps client events to log levels (docs/architecture.md §7) and remembers why the link failed,
// for the one-line error a command prints.
class LogObserver : public client::ClientObserver {
 public:
  LogObserver(std::shared_ptr<spdlog::logger> logger, std::string target);

  // "cannot connect to 192.0.2.1:8899: Connection refused"; empty while nothing failed.
  const std::string& last_failure() const { return last_failure_; }

  void on_state(client::ClientState state) override;
  void on_link_up(const std::string& peer) override;
  void on_link_down(client::LinkDownReason reason, const std::error_code& error) override;
  void on_retry(client::LinkDownReason reason, const std::error_code& error,
                client::Duration delay) override;
  void on_unsolicited(const client::Reading& reading) override;
  void on_dropped(client::FrameVerdict verdict, Command command, std::uint32_t oid,
                  std::size_t payload_size) override;
  void on_frame_error(DecodeOutcome outcome, std::size_t consumed) override;
  void on_timeout(std::uint32_t oid, bool will_retry) override;
  void on_bad_reply(std::uint32_t oid, bool will_retry) override;
  void on_bytes(client::Direction direction, std::span<const std::uint8_t> bytes) override;

 private:
  std::shared_ptr<spdlog::logger> logger_;
  std::string target_;  // "host:port" as given
  std::string last_failure_;
};

}  // namespace rct::cli
