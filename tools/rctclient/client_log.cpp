#include "tools/rctclient/client_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/hex.h"
#include "tools/rctclient/value_text.h"

namespace rct::cli {

std::shared_ptr<spdlog::logger> make_client_logger(bool debug) {
  auto logger =
      std::make_shared<spdlog::logger>("client", std::make_shared<spdlog::sinks::stderr_sink_st>());
  logger->set_level(debug ? spdlog::level::trace : spdlog::level::off);
  return logger;
}

LogObserver::LogObserver(std::shared_ptr<spdlog::logger> logger, std::string target)
    : logger_(std::move(logger)), target_(std::move(target)) {}

void LogObserver::on_state(client::ClientState state) {
  logger_->debug("{}: {}", target_, client::client_state_name(state));
}

void LogObserver::on_link_up(const std::string& peer) {
  last_failure_.clear();
  logger_->info("{}: link up ({})", target_, peer);
}

void LogObserver::on_link_down(client::LinkDownReason reason, const std::error_code& error) {
  switch (reason) {
    case client::LinkDownReason::kResolveFailed:
    case client::LinkDownReason::kConnectFailed:
    case client::LinkDownReason::kConnectTimeout:
      last_failure_ = "cannot connect to " + target_ + ": " + error.message();
      break;
    case client::LinkDownReason::kClosedByPeer:
    case client::LinkDownReason::kReadFailed:
    case client::LinkDownReason::kWriteFailed:
    case client::LinkDownReason::kTooManyTimeouts:
    case client::LinkDownReason::kTooManyFrameErrors:
    case client::LinkDownReason::kSilence:
      last_failure_ = "connection to " + target_ +
                      " lost: " + std::string(client::link_down_reason_name(reason));
      break;
  }
  logger_->warn("{}: link down: {} ({})", target_, client::link_down_reason_name(reason),
                error.message());
}

void LogObserver::on_retry(client::LinkDownReason reason, const std::error_code& error,
                           client::Duration delay) {
  logger_->debug("{}: {} ({}), next attempt in {} ms", target_,
                 client::link_down_reason_name(reason), error.message(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(delay).count());
}

void LogObserver::on_unsolicited(const client::Reading& reading) {
  if (!logger_->should_log(spdlog::level::debug)) return;
  logger_->debug("unsolicited {} = {}",
                 reading.info ? std::string(reading.info->name) : format_oid(reading.oid),
                 value_text(reading.value));
}

void LogObserver::on_dropped(client::FrameVerdict verdict, Command command, std::uint32_t oid,
                             std::size_t payload_size) {
  logger_->debug("dropped {} {} for {} ({} payload bytes)", client::frame_verdict_name(verdict),
                 command_name(command), format_oid(oid), payload_size);
}

void LogObserver::on_frame_error(DecodeOutcome outcome, std::size_t consumed) {
  logger_->debug("frame error {} ({} bytes)", decode_outcome_name(outcome), consumed);
}

void LogObserver::on_timeout(std::uint32_t oid, bool will_retry) {
  logger_->debug("no answer for {}{}", format_oid(oid), will_retry ? ", retrying" : ", giving up");
}

void LogObserver::on_bad_reply(std::uint32_t oid, bool will_retry) {
  logger_->debug("bad answer for {}{}", format_oid(oid),
                 will_retry ? ", asking again" : ", giving up");
}

void LogObserver::on_bytes(client::Direction direction, std::span<const std::uint8_t> bytes) {
  if (!logger_->should_log(spdlog::level::trace)) return;
  logger_->trace("{} {}", direction == client::Direction::kSent ? "sent" : "received",
                 to_hex(bytes));
}

}  // namespace rct::cli
