#include "tests/integration/fake_peer.h"

#include <array>
#include <deque>
#include <future>
#include <utility>

#include "core/frame_decoder.h"

namespace rct::test {

struct FakePeer::Connection {
  Connection(asio::ip::tcp::socket s, std::size_t i) : socket(std::move(s)), index(i) {}
  asio::ip::tcp::socket socket;
  std::size_t index;
  FrameDecoder decoder;
  std::array<std::uint8_t, 4096> buffer{};
  std::deque<std::vector<std::uint8_t>> out;  // references stay valid across push_back
  bool writing = false;
  bool close_when_flushed = false;
  bool closed = false;
};

FakePeer::FakePeer(Script script) : script_(std::move(script)) {
  listen();
  thread_ = std::thread([this] {
    auto work = asio::make_work_guard(io_);
    io_.run();
  });
}

FakePeer::~FakePeer() {
  run_on_peer([this] {
    if (acceptor_) acceptor_->close();
    auto all = connections_;
    for (auto& c : all) close(c);
  });
  io_.stop();
  thread_.join();
}

void FakePeer::run_on_peer(std::function<void()> work) {
  std::promise<void> done;
  asio::post(io_, [&] {
    work();
    done.set_value();
  });
  done.get_future().wait();
}

void FakePeer::listen() {
  using asio::ip::tcp;
  acceptor_.emplace(io_);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port_);
  acceptor_->open(ep.protocol());
  acceptor_->set_option(tcp::acceptor::reuse_address(true));
  acceptor_->bind(ep);
  acceptor_->listen();
  port_ = acceptor_->local_endpoint().port();
  accept();
}

void FakePeer::accept() {
  acceptor_->async_accept([this](const std::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) return;  // closed by stop_listening()
    std::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      index = accepted_++;
      ++open_;
    }
    auto c = std::make_shared<Connection>(std::move(socket), index);
    connections_.push_back(c);
    read(c);
    accept();
  });
}

void FakePeer::read(const std::shared_ptr<Connection>& c) {
  c->socket.async_read_some(asio::buffer(c->buffer),
                            [this, c](const std::error_code& ec, std::size_t n) {
                              if (ec || c->closed) {
                                close(c);
                                return;
                              }
                              c->decoder.feed(std::span<const std::uint8_t>(c->buffer.data(), n));
                              while (auto ev = c->decoder.next()) {
                                if (ev->outcome != DecodeOutcome::kOk || !ev->command || !ev->oid)
                                  continue;
                                Frame f;
                                f.command = *ev->command;
                                f.address = ev->address;
                                f.oid = *ev->oid;
                                f.payload.assign(ev->payload.begin(), ev->payload.end());
                                {
                                  std::lock_guard lock(mutex_);
                                  requests_.push_back(f);
                                }
                                send(c, script_(f, c->index));
                                if (c->closed) return;
                              }
                              read(c);
                            });
}

void FakePeer::send(const std::shared_ptr<Connection>& c, const Reply& reply) {
  const std::size_t chunk = reply.chunk == 0 ? reply.bytes.size() : reply.chunk;
  for (std::size_t at = 0; at < reply.bytes.size(); at += chunk) {
    const std::size_t n = std::min(chunk, reply.bytes.size() - at);
    c->out.emplace_back(reply.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                        reply.bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
  }
  if (reply.close_after) c->close_when_flushed = true;
  write_next(c);
}

void FakePeer::write_next(const std::shared_ptr<Connection>& c) {
  if (c->writing || c->closed) return;
  if (c->out.empty()) {
    if (c->close_when_flushed) close(c);
    return;
  }
  c->writing = true;
  asio::async_write(c->socket, asio::buffer(c->out.front()),
                    [this, c](const std::error_code& ec, std::size_t) {
                      c->writing = false;
                      if (ec) return;  // the reader notices the broken connection
                      c->out.pop_front();
                      write_next(c);
                    });
}

// A pending write keeps its buffer: the handler owns the connection, and `out` is not cleared.
void FakePeer::close(const std::shared_ptr<Connection>& c) {
  if (c->closed) return;
  c->closed = true;
  std::error_code ignored;
  c->socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  c->socket.close(ignored);
  std::erase(connections_, c);
  std::lock_guard lock(mutex_);
  --open_;
}

void FakePeer::stop_listening() {
  run_on_peer([this] {
    if (acceptor_) acceptor_->close();
    acceptor_.reset();
  });
  close_connections();
}

void FakePeer::listen_again() {
  run_on_peer([this] { listen(); });
}

void FakePeer::close_connections() {
  run_on_peer([this] {
    auto all = connections_;
    for (auto& c : all) close(c);
  });
}

void FakePeer::send_to_all(const std::vector<std::uint8_t>& bytes) {
  run_on_peer([this, &bytes] {
    auto all = connections_;
    for (auto& c : all) send(c, Reply{bytes, 0, false});
  });
}

std::size_t FakePeer::connections_accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

std::size_t FakePeer::open_connections() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::vector<Frame> FakePeer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

}  // namespace rct::test
