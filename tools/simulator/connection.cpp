#include "tools/simulator/connection.h"

#include <spdlog/spdlog.h>

#include "core/command.h"

namespace rct::sim {

Connection::Connection(asio::ip::tcp::socket socket, std::uint64_t id, Callbacks callbacks,
                       unsigned close_after_frames, std::shared_ptr<spdlog::logger> logger)
    : socket_(std::move(socket)),
      id_(id),
      callbacks_(std::move(callbacks)),
      close_after_frames_(close_after_frames),
      logger_(std::move(logger)) {
  asio::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  peer_ = ec ? std::string("?")
             : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

void Connection::start() {
  read();
}

void Connection::read() {
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
        if (ec) {
          self->close();
          return;
        }
        self->decoder_.feed(std::span<const std::uint8_t>(self->read_buffer_.data(), n));
        while (std::optional<DecodeEvent> ev = self->decoder_.next()) {
          if (ev->outcome == DecodeOutcome::kInvalidCommand &&
              ev->command_byte == to_byte(Command::kExtension)) {
            self->com_mode_ = true;
          }
          if (ev->outcome != DecodeOutcome::kOk || !ev->command || !ev->oid) {
            // Noise (AT+\r, EXTENSION 2b 3c e1, broken frames): accepted silently.
            self->logger_->debug("client {}: ignored {} ({} bytes)", self->id_,
                                 decode_outcome_name(ev->outcome), ev->consumed);
            continue;
          }
          Frame frame{*ev->command, ev->address, *ev->oid,
                      std::vector<std::uint8_t>(ev->payload.begin(), ev->payload.end())};
          self->callbacks_.on_request(self->id_, std::move(frame));
        }
        if (self->open_) self->read();
      });
}

void Connection::send(Bytes bytes) {
  if (!open_ || closing_) return;
  if (backlog_.size() >= kMaxBacklog) {
    if (!backlog_warned_) logger_->warn("client {}: not reading, dropping frames", id_);
    backlog_warned_ = true;
    return;
  }
  backlog_.push_back(std::move(bytes));
  ++frames_sent_;
  if (close_after_frames_ > 0 && frames_sent_ >= close_after_frames_) {
    logger_->info("client {}: disconnecting after {} frames", id_, frames_sent_);
    close_after_flush();
  }
  write();
}

void Connection::write() {
  if (writing_ || backlog_.empty() || !open_) return;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(*backlog_.front()),
                    [self = shared_from_this()](const asio::error_code& ec, std::size_t) {
                      self->writing_ = false;
                      if (ec || !self->open_) {
                        self->close();
                        return;
                      }
                      self->backlog_.pop_front();
                      if (self->backlog_.empty() && self->closing_) {
                        self->close();
                        return;
                      }
                      self->write();
                    });
}

void Connection::close_after_flush() {
  closing_ = true;
  if (!writing_ && backlog_.empty()) close();
}

void Connection::close() {
  if (!open_) return;
  open_ = false;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  // The backlog stays until the connection is destroyed: a write may still refer to it.
  if (callbacks_.on_closed) callbacks_.on_closed(id_);
}

}  // namespace rct::sim
