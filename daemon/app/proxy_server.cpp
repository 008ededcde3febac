#include "daemon/app/proxy_server.h"

#include <fmt/format.h>

#include <asio/ip/address.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <utility>

#include "config/ip_network.h"
#include "core/hex.h"

namespace rct::daemon {

namespace {

ProxySettings proxy_settings_from(const ProxyConfig& c, std::optional<std::uint32_t> plant,
                                  std::set<std::uint32_t> history_oids) {
  ProxySettings s;
  s.history_oids = std::move(history_oids);
  s.max_age = std::chrono::duration_cast<Duration>(c.max_age);
  s.frames_per_second = c.frames_per_second;
  s.plant_address = plant;
  s.verified_writes = c.verified_writes;
  return s;
}

Instant proxy_now() {
  return std::chrono::steady_clock::now();
}

}  // namespace

ProxyServer::ProxyServer(asio::io_context& io, std::shared_ptr<spdlog::logger> log,
                         std::string name, const ProxyConfig& config,
                         std::optional<std::uint32_t> plant_address,
                         std::set<std::uint32_t> history_oids, UpstreamBudget& budget,
                         Upstream upstream)
    : log_(std::move(log)),
      name_(std::move(name)),
      config_(config),
      upstream_(std::move(upstream)),
      policy_(proxy_settings_from(config, plant_address, std::move(history_oids)), &budget),
      acceptor_(io),
      timer_(io) {}

bool ProxyServer::start() {
  std::error_code ec;
  const std::string host = config_.listen.host == "localhost" ? "127.0.0.1" : config_.listen.host;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  const Tcp::endpoint endpoint(address, config_.listen.port);
  if (!ec) acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(Tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    log_->error("{}: proxy cannot listen on {}: {}; running without it", name_,
                config_.listen.listen, ec.message());
    acceptor_.close(ec);
    return false;
  }
  log_->info("{}: proxy listening on {} ({} clients at most, values up to {} s old)", name_,
             config_.listen.listen, config_.clients,
             std::chrono::duration<double>(config_.max_age).count());
  listening_ = true;
  accept();
  return true;
}

ProxyFigures ProxyServer::figures() const {
  ProxyFigures f;
  f.enabled = listening_;
  f.connections = accepted_;
  f.refused_connections = refused_;
  f.totals = policy_.totals();
  for (const auto& [id, c] : connections_) {  // ids grow: oldest first
    if (const ProxyClientFigures* counts = policy_.figures(id)) {
      f.peers.push_back(ProxyPeerFigures{c->peer, *counts});
    }
  }
  return f;
}

void ProxyServer::stop() {
  std::error_code ec;
  acceptor_.close(ec);
  listening_ = false;
  timer_.cancel();
  while (!connections_.empty()) close(connections_.begin()->first, "proxy stopped");
}

void ProxyServer::accept() {
  acceptor_.async_accept(guard_.bind(
      [this](const std::error_code& ec, Tcp::socket socket) { on_accept(ec, std::move(socket)); }));
}

bool ProxyServer::allowed(const Tcp::endpoint& peer) const {
  asio::ip::address a = peer.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  if (a.is_loopback()) return true;
  for (const IpNetwork& n : config_.allow) {
    if (a.is_v4()) {
      const auto bytes = a.to_v4().to_bytes();
      if (network_contains(n, bytes.data(), false)) return true;
    } else {
      const auto bytes = a.to_v6().to_bytes();
      if (network_contains(n, bytes.data(), true)) return true;
    }
  }
  return false;
}

void ProxyServer::on_accept(const std::error_code& ec, Tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (!ec) {
    std::error_code peer_ec;
    const Tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    const std::string who =
        peer_ec ? std::string("?") : fmt::format("{}:{}", peer.address().to_string(), peer.port());
    std::error_code ignored;
    if (peer_ec || !allowed(peer)) {
      log_->warn("{}: proxy refused {}: not in proxy_allow", name_, who);
      socket.close(ignored);
      ++refused_;
    } else if (connections_.size() >= static_cast<std::size_t>(config_.clients)) {
      log_->warn("{}: proxy refused {}: {} clients connected already (proxy_clients)", name_, who,
                 connections_.size());
      socket.close(ignored);
      ++refused_;
    } else {
      const ProxyClientId id = next_id_++;
      ++accepted_;
      auto c = std::make_unique<Connection>(std::move(socket));
      c->peer = who;
      connections_.emplace(id, std::move(c));
      policy_.on_connect(id, proxy_now());
      log_->info("{}: proxy client {} connected ({} of {})", name_, who, connections_.size(),
                 config_.clients);
      start_read(id);
    }
  } else {
    log_->debug("{}: proxy accept failed: {}", name_, ec.message());
  }
  accept();
}

void ProxyServer::start_read(ProxyClientId id) {
  Connection& c = *connections_.at(id);
  c.socket.async_read_some(asio::buffer(c.buffer),
                           guard_.bind([this, id](const std::error_code& ec, std::size_t size) {
                             on_read(id, ec, size);
                           }));
}

void ProxyServer::on_read(ProxyClientId id, const std::error_code& ec, std::size_t size) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  if (ec) {
    if (const auto cut = c.decoder.finish()) {
      policy_.on_bad_input(id, cut->consumed, true);
      log_->debug("{}: proxy client {} left inside a frame ({} bytes)", name_, c.peer,
                  cut->consumed);
    }
    close(id, ec == asio::error::eof ? "disconnected" : ec.message());
    return;
  }
  c.decoder.feed(std::span<const std::uint8_t>(c.buffer.data(), size));
  while (auto event = c.decoder.next()) {
    handle_frame(id, c, *event);
    if (!connections_.contains(id)) return;  // closed for what it sent
  }
  start_read(id);
}

void ProxyServer::handle_frame(ProxyClientId id, Connection& c, const DecodeEvent& event) {
  if (event.outcome != DecodeOutcome::kOk || !event.command || !event.oid) {
    policy_.on_bad_input(id, event.consumed, true);
    log_->debug("{}: proxy client {} sent {} ({} bytes), dropped", name_, c.peer,
                decode_outcome_name(event.outcome), event.consumed);
    note_trouble(c, "malformed frames");
    return;
  }
  ProxyEffects effects;
  const ProxyVerdict v = policy_.on_frame(id, *event.command, event.address, *event.oid,
                                          event.consumed, proxy_now(), effects, event.payload);
  switch (v) {
    case ProxyVerdict::kRefused: {
      const ProxyClientFigures* f = policy_.figures(id);
      // The first refusal of a client is worth a line at info; a client retrying is not.
      const auto level =
          f != nullptr && f->refused == 1 ? spdlog::level::info : spdlog::level::debug;
      log_->log(level, "{}: proxy client {}: WRITE to {} ({} bytes) refused: {}", name_, c.peer,
                format_oid(*event.oid), event.payload.size(), effects.refusal);
      break;
    }
    case ProxyVerdict::kQuery:
      log_->debug("{}: proxy client {}: history query of {} queued", name_, c.peer,
                  format_oid(*event.oid));
      break;
    case ProxyVerdict::kDropped:
      log_->debug("{}: proxy client {}: command 0x{:02X} for {} dropped", name_, c.peer,
                  event.command_byte, format_oid(*event.oid));
      break;
    case ProxyVerdict::kFlood:
      note_trouble(c, "READs beyond its share");
      break;
    case ProxyVerdict::kToWrites:  // the write path logs it (the audit trail)
    case ProxyVerdict::kFromCache:
    case ProxyVerdict::kForwarded:
    case ProxyVerdict::kUnknownClient:
      break;
  }
  for (const ProxyWrite& w : effects.writes) upstream_.write(w.oid, w.payload, c.peer);
  carry_out(effects);
}

void ProxyServer::note_trouble(Connection& c, std::string_view what) {
  if (++c.troubles < kFloodWarning || c.warned) return;
  c.warned = true;
  log_->warn("{}: proxy client {} floods the proxy ({} and more dropped)", name_, c.peer, what);
}

void ProxyServer::on_reading(std::optional<std::uint32_t> address, std::uint32_t oid,
                             std::span<const std::uint8_t> payload, bool cacheable) {
  ProxyEffects effects;
  policy_.on_reading(address, oid, payload, cacheable, proxy_now(), effects);
  carry_out(effects);
}

void ProxyServer::on_forward_done(std::optional<std::uint32_t> address, std::uint32_t oid,
                                  bool ok) {
  ProxyEffects effects;
  policy_.on_forward_done(address, oid, ok, proxy_now(), effects);
  carry_out(effects);
}

void ProxyServer::on_query_done(std::uint64_t id,
                                std::optional<std::span<const std::uint8_t>> payload) {
  ProxyEffects effects;
  policy_.on_query_done(id, payload, proxy_now(), effects);
  carry_out(effects);
}

void ProxyServer::carry_out(ProxyEffects& effects) {
  for (ProxySend& s : effects.sends) send(s.client, std::move(s.wire));
  // Forwards and queries go through the session's client, which posts every result: nothing
  // comes back into the policy from inside this loop.
  for (const ProxyForward& f : effects.forwards) upstream_.forward(f.address, f.oid);
  for (const ProxyQuery& q : effects.queries) upstream_.query(q);
  arm_timer();
}

void ProxyServer::send(ProxyClientId id, std::vector<std::uint8_t> wire) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  Connection& c = *it->second;
  c.pending_bytes += wire.size();
  if (c.pending_bytes > kMaxPendingBytes) {
    close(id, "does not read its answers");
    return;
  }
  c.outgoing.push_back(std::move(wire));
  if (!c.writing) start_write(id);
}

void ProxyServer::start_write(ProxyClientId id) {
  Connection& c = *connections_.at(id);
  c.writing = true;
  asio::async_write(c.socket, asio::buffer(c.outgoing.front()),
                    guard_.bind([this, id](const std::error_code& ec, std::size_t) {
                      const auto it = connections_.find(id);
                      if (it == connections_.end()) return;
                      Connection& conn = *it->second;
                      conn.writing = false;
                      if (ec) {
                        close(id, ec.message());
                        return;
                      }
                      conn.pending_bytes -= conn.outgoing.front().size();
                      conn.outgoing.pop_front();
                      if (!conn.outgoing.empty()) start_write(id);
                    }));
}

void ProxyServer::close(ProxyClientId id, std::string_view why) {
  const auto it = connections_.find(id);
  if (it == connections_.end()) return;
  std::error_code ignored;
  it->second->socket.shutdown(Tcp::socket::shutdown_both, ignored);
  it->second->socket.close(ignored);
  if (const ProxyClientFigures* f = policy_.figures(id)) {
    log_->info(
        "{}: proxy client {} closed ({}) after {:.0f} s: {} frames, {} from cache, {} forwarded "
        "({} answered), {} history queries ({} answered), {} refused, {} dropped, {} bad; {} "
        "bytes in, {} out",
        name_, it->second->peer, why,
        std::chrono::duration<double>(proxy_now() - f->connected).count(), f->frames_in,
        f->from_cache, f->forwarded, f->answered, f->queries, f->queries_answered, f->refused,
        f->dropped, f->bad_frames, f->bytes_in, f->bytes_out);
  }
  policy_.on_disconnect(id);
  // The socket's aborted handlers find the id gone; a closed socket no longer touches the
  // buffers its cancelled operations named.
  connections_.erase(it);
}

void ProxyServer::arm_timer() {
  timer_.arm(policy_.next_wakeup(proxy_now()), guard_, [this] {
    ProxyEffects effects;
    policy_.on_tick(proxy_now(), effects);
    carry_out(effects);
  });
}

}  // namespace rct::daemon
