#include "daemon/adapters/signals.h"

#include <csignal>
#include <optional>

namespace rct {
namespace {

std::optional<Signal> from_number(int number) {
  switch (number) {
    case SIGINT:
      return Signal::kInterrupt;
    case SIGTERM:
      return Signal::kTerminate;
    case SIGHUP:
      return Signal::kHangup;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view signal_name(Signal s) {
  switch (s) {
    case Signal::kInterrupt:
      return "SIGINT";
    case Signal::kTerminate:
      return "SIGTERM";
    case Signal::kHangup:
      return "SIGHUP";
  }
  return "?";
}

SignalHandler::SignalHandler(asio::io_context& io, Handler handler)
    : signals_(io, SIGINT, SIGTERM, SIGHUP), handler_(std::move(handler)) {
  arm();
}

void SignalHandler::cancel() {
  cancelled_ = true;
  std::error_code ignored;
  signals_.cancel(ignored);
}

void SignalHandler::arm() {
  signals_.async_wait([this](const std::error_code& ec, int number) {
    if (ec || cancelled_) return;
    if (auto s = from_number(number); s && handler_) handler_(*s);
    if (!cancelled_) arm();
  });
}

}  // namespace rct
