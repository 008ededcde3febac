#include "tools/rctclient/doctor_net.h"

#include <optional>

#include "core/number_text.h"

namespace rct::cli::doctor {

double elapsed_ms(DoctorClock::time_point start) {
  return std::chrono::duration<double, std::milli>(DoctorClock::now() - start).count();
}

TcpFigures probe_tcp(const std::string& host, std::uint16_t port,
                     std::chrono::milliseconds timeout) {
  TcpFigures figures;
  figures.target = host + ":" + std::to_string(port);
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  asio::ip::tcp::resolver resolver(io);
  asio::error_code ec;
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) {
    figures.error = "cannot resolve " + host + ": " + ec.message();
    return figures;
  }
  asio::ip::tcp::socket socket(io);
  std::optional<asio::error_code> result;
  const DoctorClock::time_point start = DoctorClock::now();
  asio::async_connect(
      socket, endpoints,
      [&result](const asio::error_code& e, const asio::ip::tcp::endpoint&) { result = e; });
  if (!run_until(io, start + timeout, [&] { return result.has_value(); })) {
    asio::error_code ignored;
    socket.close(ignored);
    run_until(io, DoctorClock::now() + std::chrono::seconds(1), [&] { return result.has_value(); });
    figures.error = "no connection within " +
                    human_number(std::chrono::duration<double>(timeout).count()) + " s";
    return figures;
  }
  const double ms = elapsed_ms(start);
  if (*result) {
    figures.error = result->message();
    return figures;
  }
  figures.connected = true;
  figures.connect_ms = ms;
  asio::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  return figures;
}

}  // namespace rct::cli::doctor
