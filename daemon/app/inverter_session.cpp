#include "daemon/app/inverter_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <asio/post.hpp>
#include <chrono>
#include <set>
#include <utility>
#include <variant>

#include "config/client_settings.h"
#include "core/data_type.h"
#include "core/hex.h"
#include "core/value_codec.h"
#include "core/write_allowlist.h"
#include "core/write_validation.h"
#include "daemon/adapters/logging.h"
#include "daemon/inverter_figures.h"

namespace rct::daemon {

namespace {

client::WriterOptions writer_options(const WritesConfig& w) {
  client::WriterOptions o;
  o.verify.readback_delay = w.readback_delay;
  o.verify.readback_interval = w.readback_interval;
  o.verify.readback_attempts = static_cast<unsigned>(std::max(1, w.readback_attempts));
  o.verify.dry_run = w.dry_run;
  o.min_interval = w.min_interval;
  return o;
}

}  // namespace

InverterSession::InverterSession(asio::io_context& io, const Registry& registry, SessionHost& host,
                                 std::shared_ptr<spdlog::logger> log, const Config& config,
                                 std::size_t index)
    : io_(io),
      registry_(registry),
      host_(host),
      log_(std::move(log)),
      index_(index),
      machine_(session_settings(config, index, RCT2MQTT_VERSION), registry, host,
               host.poll_lists()),
      timer_(io) {}

InverterSession::~InverterSession() {
  // The owner calls stop() first (it logs and saves). The client still reports its state from
  // its own stop(): close it here, while the machine and the guard it reports to exist.
  if (client_) client_->stop();
}

Moment InverterSession::now() {
  return Moment{std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
}

void InverterSession::start() {
  writer_.reset();  // it refers to the client being replaced
  client_ = std::make_unique<client::Client>(io_, registry_, client_options(inverter()),
                                             static_cast<client::ClientObserver&>(*this));
  writer_ = std::make_unique<client::VerifiedWriter>(io_, *client_, machine_.write_policy(),
                                                     writer_options(machine_.settings().writes));
  run(machine_.start(now()));
  client_->start();
  if (!proxy_ && inverter().proxy.enabled()) {
    std::set<std::uint32_t> history_oids;
    for (const OidInfo& info : registry_.all()) {
      if (is_history_type(info.response_type)) history_oids.insert(info.id);
    }
    proxy_ = std::make_unique<ProxyServer>(
        io_, log_, inverter().name, inverter().proxy, inverter().address, std::move(history_oids),
        guest_budget_,
        ProxyServer::Upstream{
            [this](std::optional<std::uint32_t> address, std::uint32_t oid) {
              proxy_read(address, oid);
            },
            [this](const ProxyQuery& query) { proxy_query(query); },
            [this](std::uint32_t oid, std::span<const std::uint8_t> payload,
                   const std::string& peer) { proxy_write(oid, payload, peer); }});
    if (!proxy_->start()) proxy_.reset();
  }
}

void InverterSession::stop() {
  if (machine_.phase() == SessionMachine::Phase::kStopped) return;
  stop_revert_done_ = nullptr;
  run(machine_.stop(now()));
  if (proxy_) proxy_->stop();  // frees the port for a session that replaces this one
  proxy_.reset();
  if (client_) client_->stop();
}

void InverterSession::revert_before_stop(std::function<void()> done) {
  stop_revert_done_ = std::move(done);
  run(machine_.revert_before_stop(now()));
}

void InverterSession::apply_config(const Config& config) {
  run(machine_.apply_settings(session_settings(config, index_, RCT2MQTT_VERSION), now()));
  configure_writer();
}

void InverterSession::configure_writer() {
  if (!writer_) return;
  writer_->set_policy(machine_.write_policy());
  writer_->set_options(writer_options(machine_.settings().writes));
}

void InverterSession::republish_all() {
  run(machine_.on_mqtt_connected(now()));
}

void InverterSession::handle_command(const std::string& key, std::string_view payload,
                                     const std::optional<ReplyTo>& reply) {
  run(machine_.on_command(key, payload, now(), reply));
}

InverterFigures InverterSession::figures(Instant now) const {
  InverterFigures f = inverter_figures(machine_, client_ ? &client_->stats() : nullptr, now);
  if (proxy_) {
    f.proxy = proxy_->figures();
    f.proxy.upstream_requests = machine_.guest_requests();
  }
  return f;
}

void InverterSession::on_state(client::ClientState state) {
  asio::post(io_, guard_.bind([this, state] {
    run(machine_.on_connected(state == client::ClientState::kConnected, now()));
  }));
}

void InverterSession::on_link_up(const std::string& peer) {
  asio::post(io_, guard_.bind([this, peer] { run(machine_.on_link_up(peer, now())); }));
}

void InverterSession::on_link_down(client::LinkDownReason reason, const std::error_code& error) {
  std::string what = fmt::format("{} ({})", client::link_down_reason_name(reason), error.message());
  asio::post(io_, guard_.bind([this, what] { run(machine_.on_link_down(what, now())); }));
}

void InverterSession::on_retry(client::LinkDownReason reason, const std::error_code& error,
                               client::Duration delay) {
  log_->debug("{}: retry in {} ms after {} ({})", inverter().name,
              std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(),
              client::link_down_reason_name(reason), error.message());
}

void InverterSession::on_timeout(std::uint32_t oid, bool will_retry) {
  log_->debug("{}: timeout reading {}{}", inverter().name, format_oid(oid),
              will_retry ? ", retrying" : "");
}

void InverterSession::on_bad_reply(std::uint32_t oid, bool will_retry) {
  log_->debug("{}: reply for {} cut short or with a bad CRC{}", inverter().name, format_oid(oid),
              will_retry ? ", asking again" : ", giving up");
}

void InverterSession::run(Effects effects) {
  bool stop_reverted = false;
  for (Effect& e : effects) {
    if (std::holds_alternative<StopReverted>(e)) {
      stop_reverted = true;
    } else {
      perform(e);
    }
  }
  arm_timer();
  // Last: the caller may stop this session from inside `done`.
  if (stop_reverted && stop_revert_done_) std::exchange(stop_revert_done_, nullptr)();
}

void InverterSession::perform(Effect& effect) {
  if (auto* p = std::get_if<Publish>(&effect)) {
    host_.publish(p->topic, p->payload, p->qos, p->retain, p->correlation_data);
  } else if (auto* r = std::get_if<ReadOid>(&effect)) {
    read(r->oid, r->address);
  } else if (const auto* q = std::get_if<QueryEvents>(&effect)) {
    query_events(*q);
  } else if (auto* w = std::get_if<SubmitWrite>(&effect)) {
    if (!writer_) return;  // not started: the machine refuses commands before start()
    writer_->submit(std::move(w->request),
                    guard_.bind([this, tag = w->tag](const client::WriteOutcome& o) {
                      run(machine_.on_write_outcome(tag, o, now()));
                    }));
  } else if (auto* l = std::get_if<LogLine>(&effect)) {
    log_->log(to_spdlog_level(l->level), "{}", l->text);
  } else if (std::holds_alternative<StateChanged>(effect)) {
    host_.state_changed();
  } else if (std::holds_alternative<StatusChanged>(effect)) {
    host_.status_changed();
  } else if (std::holds_alternative<Progress>(effect)) {
    host_.progress();
  } else if (std::holds_alternative<ReconnectInverter>(effect)) {
    if (!client_) return;
    // Requests in flight fail as cancelled (posted); start() connects at once, without backoff.
    client_->stop();
    client_->start();
  }
}

void InverterSession::read(std::uint32_t oid, std::optional<std::uint32_t> address) {
  auto done = guard_.bind([this, oid](Result<client::Reading, client::ClientError> result) {
    if (result) {
      run(machine_.on_reading(oid, result.value().value, now()));
    } else {
      run(machine_.on_read_failed(oid, result.error(), now()));
    }
  });
  if (address) {
    client_->read_plant(*address, oid, std::move(done));
  } else {
    client_->read(oid, std::move(done));
  }
}

void InverterSession::on_valid_payload(const client::Reading& reading,
                                       std::span<const std::uint8_t> payload) {
  if (!proxy_) return;
  const bool history = std::holds_alternative<TimeSeries>(reading.value) ||
                       std::holds_alternative<EventTable>(reading.value);
  proxy_->on_reading(reading.address, reading.oid, payload, !history);
}

void InverterSession::proxy_write(std::uint32_t oid, std::span<const std::uint8_t> payload,
                                  const std::string& peer) {
  const WritableEntry* entry = find_writable(oid);
  if (entry == nullptr) {
    log_->warn("{}: proxy client {}: WRITE to {} refused: no setting rct2mqtt writes",
               inverter().name, peer, format_oid(oid));
    return;
  }
  auto value = decode_value(entry->type, payload);
  if (!value) {
    log_->warn("{}: proxy client {}: WRITE to {} refused: {} bytes are no {}", inverter().name,
               peer, entry->name, payload.size(), data_type_name(entry->type));
    return;
  }
  // The value in the setting's user unit, as Home Assistant would have sent it: from here on it
  // is an MQTT command like any other (docs/proxy.md §2).
  std::string text = user_text(*entry, value.value());
  log_->info("{}: proxy client {}: WRITE {} = {} goes to the write path as {}", inverter().name,
             peer, entry->name, text, entry->key);
  asio::post(io_, guard_.bind([this, key = std::string(entry->key), text = std::move(text)] {
    run(machine_.on_command(key, text, now()));
  }));
}

void InverterSession::proxy_read(std::optional<std::uint32_t> address, std::uint32_t oid) {
  auto done = guard_.bind([this, address, oid](Result<client::Reading, client::ClientError> r) {
    if (proxy_) proxy_->on_forward_done(address, oid, r.ok());
    if (r && address == inverter().address) run(machine_.on_reading(oid, r.value().value, now()));
  });
  if (!client_) {
    asio::post(io_,
               [done = std::move(done)]() mutable { done(client::ClientError::kNotConnected); });
  } else if (address) {
    client_->read_plant(*address, oid, std::move(done));
  } else {
    client_->read(oid, std::move(done));
  }
}

void InverterSession::proxy_query(const ProxyQuery& query) {
  auto done = guard_.bind(
      [this, id = query.id](Result<std::vector<std::uint8_t>, client::ClientError> answer) {
        if (!proxy_) return;
        if (answer) {
          proxy_->on_query_done(id, std::span<const std::uint8_t>(answer.value()));
        } else {
          proxy_->on_query_done(id, std::nullopt);
        }
      });
  if (!client_) {
    asio::post(io_,
               [done = std::move(done)]() mutable { done(client::ClientError::kNotConnected); });
    return;
  }
  client_->query_payload(query.oid, query.timestamp, query.address, std::move(done));
}

void InverterSession::query_events(const QueryEvents& q) {
  auto done = guard_.bind([this](Result<EventTable, client::ClientError> result) {
    if (result) {
      run(machine_.on_event_table(result.value(), now()));
    } else {
      run(machine_.on_event_table_failed(result.error(), now()));
    }
  });
  if (!q.single_page) {
    client_->query_events(q.from, q.to, std::move(done));
    return;
  }
  client_->query(kOidEventTable, q.to,
                 [done = std::move(done)](Result<client::Reading, client::ClientError> r) mutable {
                   if (!r) return done(r.error());
                   if (const auto* table = std::get_if<EventTable>(&r.value().value)) {
                     return done(*table);
                   }
                   done(client::ClientError::kInvalidRequest);
                 });
}

void InverterSession::arm_timer() {
  timer_.arm(machine_.next_wakeup(), guard_, [this] { run(machine_.on_tick(now())); });
}

}  // namespace rct::daemon
