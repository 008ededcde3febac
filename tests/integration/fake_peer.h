#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/frame.h"

namespace rct::test {

// A scripted stand-in for an inverter on loopback TCP, for client tests: it accepts connections
// on 127.0.0.1 (ephemeral port), decodes what clients send, and answers each request frame with
// exactly the bytes the test's script returns (correct replies, garbage, cut or corrupted frames,
// other OIDs, nothing, or a disconnect). It runs its own io_context on a thread it owns; every
// public method is thread-safe and returns once the peer thread has done the work.
class FakePeer {
 public:
  struct Reply {
    std::vector<std::uint8_t> bytes;  // sent as they are; empty = stay silent
    std::size_t chunk = 0;            // >0: write in pieces of this size, one write each
    bool close_after = false;         // close this connection after sending
  };
  // Called on the peer thread for every frame with a good CRC that a client sent.
  // `connection` counts accepted connections from 0.
  using Script = std::function<Reply(const Frame& request, std::size_t connection)>;

  explicit FakePeer(Script script);
  ~FakePeer();
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  std::uint16_t port() const { return port_; }
  // Close the listening socket and every connection: connects are refused from now on.
  void stop_listening();
  // Listen on the same port again.
  void listen_again();
  // Close every open connection (the listener stays).
  void close_connections();
  // Send bytes to every open connection, as the inverter copies replies to all clients.
  void send_to_all(const std::vector<std::uint8_t>& bytes);

  std::size_t connections_accepted() const;
  std::size_t open_connections() const;
  std::vector<Frame> requests() const;  // every good-CRC frame received, in arrival order

 private:
  struct Connection;

  void listen();
  void accept();
  void read(const std::shared_ptr<Connection>& c);
  void send(const std::shared_ptr<Connection>& c, const Reply& reply);
  void write_next(const std::shared_ptr<Connection>& c);
  void close(const std::shared_ptr<Connection>& c);
  void run_on_peer(std::function<void()> work);

  Script script_;
  asio::io_context io_;
  std::optional<asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::shared_ptr<Connection>> connections_;  // peer thread only
  mutable std::mutex mutex_;                              // guards the records below
  std::size_t accepted_ = 0;
  std::size_t open_ = 0;
  std::vector<Frame> requests_;
  std::thread thread_;
};

}  // namespace rct::test
