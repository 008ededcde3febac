#pragma once

#include <spdlog/logger.h>

#include <array>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/frame_decoder.h"
#include "core/lifetime_guard.h"
#include "daemon/app/wakeup_timer.h"
#include "daemon/bridge_snapshot.h"
#include "daemon/proxy_policy.h"

namespace rct::daemon {

// One inverter's local RCT proxy on the App's loop thread (docs/proxy.md): the acceptor, one
// socket and FrameDecoder per downstream client, and the timer of the pure ProxyPolicy, which
// decides what every frame gets. Upstream it never opens a connection: a READ to forward goes to
// `forward`, a history query to `query`, which the session sends over its one client, and the
// session reports back every validated reading (on_reading), the end of each forward
// (on_forward_done) and each query's answer (on_query_done).
// Owns no thread. Every handler is guarded, so the server may be destroyed with I/O pending.
class ProxyServer {
 public:
  using Forward = std::function<void(std::optional<std::uint32_t> address, std::uint32_t oid)>;
  // A client's WRITE for the session's write path (proxy_writes = "verified"); `peer` for its log.
  using Write = std::function<void(std::uint32_t oid, std::span<const std::uint8_t> payload,
                                   const std::string& peer)>;
  using Query = std::function<void(const ProxyQuery& query)>;
  // Where the server's requests go: the session, over its one client connection.
  struct Upstream {
    Forward forward;
    Query query;
    Write write;
  };

  // `log` must outlive the server. `plant_address`: the session's plant address, if any.
  // `history_oids`: the registry's time-series and event-table OIDs. `budget`: the inverter's
  // request budget the forwards share with the daemon's polling (the session's); it must outlive
  // the server.
  ProxyServer(asio::io_context& io, std::shared_ptr<spdlog::logger> log, std::string name,
              const ProxyConfig& config, std::optional<std::uint32_t> plant_address,
              std::set<std::uint32_t> history_oids, UpstreamBudget& budget, Upstream upstream);
  // Closes everything without a word; stop() first for the log lines.
  ~ProxyServer() = default;
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Binds and listens; a failure (port taken, address not local) is logged as an error and the
  // daemon runs on without the proxy. False on failure.
  bool start();
  void stop();  // closes the acceptor and every client

  void on_reading(std::optional<std::uint32_t> address, std::uint32_t oid,
                  std::span<const std::uint8_t> payload, bool cacheable);
  void on_forward_done(std::optional<std::uint32_t> address, std::uint32_t oid, bool ok);
  // The answer's payload as the device sent it, or nullopt when the query failed.
  void on_query_done(std::uint64_t id, std::optional<std::span<const std::uint8_t>> payload);

  std::size_t clients() const { return connections_.size(); }
  // Its part of the bridge snapshot (upstream_requests is the session's to fill in).
  ProxyFigures figures() const;
  const ProxyPolicy& policy() const { return policy_; }

 private:
  using Tcp = asio::ip::tcp;
  // A client's bytes beyond this in one frame are a length error: clients send READs (9 bytes),
  // and a long WRITE is refused anyway. Bounds the decoder's buffer per client.
  static constexpr std::size_t kMaxFrameLength = 1024;
  // Answers queued for a client that does not read them; beyond this it is closed.
  static constexpr std::size_t kMaxPendingBytes = std::size_t{64} * 1024;
  // Bad frames or dropped READs of one client before its flood warning (once per connection).
  static constexpr std::uint64_t kFloodWarning = 100;

  struct Connection {
    explicit Connection(Tcp::socket s) : socket(std::move(s)), decoder(kMaxFrameLength) {}
    Tcp::socket socket;
    std::string peer;
    FrameDecoder decoder;
    std::array<std::uint8_t, 1024> buffer{};
    std::deque<std::vector<std::uint8_t>> outgoing;
    std::size_t pending_bytes = 0;
    bool writing = false;
    std::uint64_t troubles = 0;  // bad frames + flood verdicts
    bool warned = false;
  };

  void accept();
  void on_accept(const std::error_code& ec, Tcp::socket socket);
  bool allowed(const Tcp::endpoint& peer) const;
  void start_read(ProxyClientId id);
  void on_read(ProxyClientId id, const std::error_code& ec, std::size_t size);
  void handle_frame(ProxyClientId id, Connection& c, const DecodeEvent& event);
  void note_trouble(Connection& c, std::string_view what);
  void carry_out(ProxyEffects& effects);
  void send(ProxyClientId id, std::vector<std::uint8_t> wire);
  void start_write(ProxyClientId id);
  void close(ProxyClientId id, std::string_view why);
  void arm_timer();

  std::shared_ptr<spdlog::logger> log_;
  std::string name_;
  ProxyConfig config_;
  Upstream upstream_;
  ProxyPolicy policy_;
  Tcp::acceptor acceptor_;
  WakeupTimer timer_;
  std::map<ProxyClientId, std::unique_ptr<Connection>> connections_;
  ProxyClientId next_id_ = 1;
  bool listening_ = false;
  std::uint64_t accepted_ = 0;
  std::uint64_t refused_ = 0;
  LifetimeGuard guard_;  // last member: handlers find it gone before anything else is
};

}  // namespace rct::daemon
