#pragma once

#include <array>
#include <asio.hpp>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/frame.h"
#include "core/frame_decoder.h"

namespace spdlog {
class logger;
}

namespace rct::sim {

// One TCP client of the simulated network bridge. Reads and decodes the client's bytes
// (docs/protocol.md §7.2 decoder; noise such as `AT+\r` and EXTENSION is dropped silently) and
// hands complete frames up; sends the bytes the bridge copies to every client. One read and at most
// one write in flight. Owned by shared_ptr: pending handlers keep it alive; the simulator keeps a
// list. Single-threaded: io_context thread only.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Bytes = std::shared_ptr<const std::vector<std::uint8_t>>;
  struct Callbacks {
    std::function<void(std::uint64_t id, Frame request)> on_request;
    std::function<void(std::uint64_t id)> on_closed;  // once, after the socket is closed
  };
  static constexpr std::size_t kMaxBacklog = 512;  // frames queued for a slow reader

  Connection(asio::ip::tcp::socket socket, std::uint64_t id, Callbacks callbacks,
             unsigned close_after_frames, std::shared_ptr<spdlog::logger> logger);

  void start();
  void send(Bytes bytes);
  void close();              // at once
  void close_after_flush();  // once the queued bytes are written

  std::uint64_t id() const { return id_; }
  const std::string& peer() const { return peer_; }
  bool open() const { return open_; }
  // The client sent the EXTENSION frame 2b 3c e1 ("COM mode", docs/protocol.md §3.7).
  bool com_mode() const { return com_mode_; }

 private:
  void read();
  void write();

  asio::ip::tcp::socket socket_;
  std::uint64_t id_;
  Callbacks callbacks_;
  unsigned close_after_frames_;  // 0 = never
  std::shared_ptr<spdlog::logger> logger_;
  std::string peer_;
  FrameDecoder decoder_;
  std::array<std::uint8_t, 4096> read_buffer_{};
  std::deque<Bytes> backlog_;
  bool writing_ = false;
  bool open_ = true;
  bool closing_ = false;
  bool backlog_warned_ = false;
  unsigned frames_sent_ = 0;
  bool com_mode_ = false;
};

}  // namespace rct::sim
