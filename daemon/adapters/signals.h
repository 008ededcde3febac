#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <functional>
#include <string_view>

namespace rct {

enum class Signal {
  kInterrupt,  // SIGINT: stop
  kTerminate,  // SIGTERM: stop
  kHangup,     // SIGHUP: reload the configuration
};
std::string_view signal_name(Signal s);

// SIGINT, SIGTERM and SIGHUP delivered to `handler` on the loop thread (Asio's signal_set, so
// the handler is an ordinary completion handler, not async-signal context). Listens until
// cancel() or destruction.
class SignalHandler {
 public:
  using Handler = std::function<void(Signal)>;

  SignalHandler(asio::io_context& io, Handler handler);
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

  void cancel();

 private:
  void arm();

  asio::signal_set signals_;
  Handler handler_;
  bool cancelled_ = false;
};

}  // namespace rct
