#include "tools/simulator/simulator.h"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <limits>
#include <string>
#include <utility>

#include "core/battery_status.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "core/value_codec.h"
#include "tools/simulator/battery_towers.h"
#include "tools/simulator/device_faults.h"
#include "tools/simulator/house_bindings.h"

namespace rct::sim {
namespace {

constexpr std::uint32_t kPasPeriodOid = 0x9C8FE559;  // pas.period, seconds between pushes
constexpr auto kNightPoll = std::chrono::seconds(1);
constexpr std::uint32_t kPowerReductionOid = 0xFE1AA500;  // buf_v_control.power_reduction
constexpr auto kAcceptRetry = std::chrono::milliseconds(500);

std::shared_ptr<spdlog::logger> silent_logger() {
  return std::make_shared<spdlog::logger>("rct-simulator",
                                          std::make_shared<spdlog::sinks::null_sink_mt>());
}

std::string oid_label(const Registry& registry, std::uint32_t oid) {
  const OidInfo* info = registry.find(oid);
  return format_oid(oid) + " " + (info ? std::string(info->name) : std::string("(unknown)"));
}

ReplyTraits traits_of(const Frame& reply, const OidInfo* info, bool cut) {
  ReplyTraits t;
  t.payload_size = reply.payload.size();
  t.cut = cut;
  if (info != nullptr) {
    t.lifetime_counter = is_lifetime_counter(info->name);
    t.power_or_energy =
        info->response_type == DataType::kFloat && (info->unit == "W" || info->unit == "Wh");
  }
  return t;
}

Command response_command(const Frame& request, bool force_long, std::size_t payload_size) {
  const Command base = is_plant(request.command) ? Command::kPlantResponse : Command::kResponse;
  if (force_long) {
    return is_plant(request.command) ? Command::kPlantLongResponse : Command::kLongResponse;
  }
  return command_for_payload(base, payload_size);
}

}  // namespace

std::int64_t local_device_time() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return static_cast<std::int64_t>(now) + local.tm_gmtoff;
}

Simulator::Simulator(asio::io_context& io, const Registry& registry, SimulatorOptions options)
    : io_(io),
      registry_(registry),
      options_(std::move(options)),
      logger_(options_.logger ? options_.logger : silent_logger()),
      steady_start_(std::chrono::steady_clock::now()),
      device_start_(options_.start_time ? *options_.start_time : local_device_time()),
      store_(registry, options_.seed, device_start_, options_.page_size),
      faults_(options_.faults, options_.seed),
      pipe_(
          io, PipeOptions{options_.service_time, options_.truncation, options_.max_queue},
          [this](const Frame& request) { return respond(request); },
          [this](Frame reply, bool cut) { emit(std::move(reply), cut); }),
      acceptor_(io),
      push_timer_(io),
      night_timer_(io),
      accept_retry_timer_(io),
      split_timer_(io),
      write_timer_(io) {
  apply_battery_words();
  store_.set_grid_charge_trap(options_.trap_grid_charge);
}

Simulator::~Simulator() {
  // A destructor cannot report a failed close or cancel; the members' own destructors close and
  // cancel what is left.
  try {
    shutdown();
  } catch (...) {
  }
}

std::int64_t Simulator::device_now() const {
  const std::chrono::duration<double> real = std::chrono::steady_clock::now() - steady_start_;
  return device_start_ + static_cast<std::int64_t>(std::floor(real.count() * options_.time_scale));
}

void Simulator::start() {
  const asio::ip::address address = asio::ip::make_address(options_.host);
  endpoint_ = asio::ip::tcp::endpoint(address, options_.port);
  open_listener();
  endpoint_ = acceptor_.local_endpoint();
  port_ = endpoint_.port();
  work_.emplace(io_.get_executor());  // keep the loop alive through the night
  logger_->info("listening on {}:{}", options_.host, port_.load());
  if (faults_.probability(FaultKind::kNight) > 0) watch_night();
}

void Simulator::open_listener() {
  acceptor_.open(endpoint_.protocol());
  acceptor_.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint_);
  acceptor_.listen(static_cast<int>(options_.max_clients));
  accept();
}

void Simulator::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open() || stopped_) return;
    if (ec) {
      logger_->warn("accept failed: {}", ec.message());
      accept_retry_timer_.expires_after(kAcceptRetry);
      accept_retry_timer_.async_wait([this](const asio::error_code& e) {
        if (!e && acceptor_.is_open() && !stopped_) accept();
      });
      return;
    }
    on_accept(std::move(socket));
    accept();
  });
}

void Simulator::on_accept(asio::ip::tcp::socket socket) {
  asio::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  const std::string who = ec ? "?" : peer.address().to_string() + ":" + std::to_string(peer.port());
  if (clients_.size() >= options_.max_clients) {
    logger_->info("refused {}: already {} clients", who, clients_.size());
    socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
    return;
  }
  const std::uint64_t id = next_client_id_++;
  Connection::Callbacks callbacks{
      [this](std::uint64_t client, Frame request) { on_request(client, std::move(request)); },
      [this](std::uint64_t client) { on_closed(client); }};
  auto connection = std::make_shared<Connection>(std::move(socket), id, std::move(callbacks),
                                                 faults_.config().disconnect_after_frames, logger_);
  clients_.emplace(id, connection);
  client_count_ = clients_.size();
  ++connections_served_;
  logger_->info("client {} connected from {} ({} connected)", id, who, clients_.size());
  connection->start();
}

void Simulator::on_closed(std::uint64_t client) {
  if (clients_.erase(client) == 0) return;
  client_count_ = clients_.size();
  logger_->info("client {} disconnected ({} connected)", client, clients_.size());
}

void Simulator::close_all_clients() {
  // close() calls on_closed, which erases from clients_: iterate over a copy.
  auto clients = clients_;
  for (auto& [id, connection] : clients) connection->close();
}

void Simulator::on_request(std::uint64_t client, Frame request) {
  received_.add(ReceivedFrame{std::chrono::steady_clock::now(), client, request});
  if (logger_->should_log(spdlog::level::debug)) {
    logger_->debug("client {} → {} {}{}", client, command_name(request.command),
                   oid_label(registry_, request.oid),
                   request.payload.empty() ? "" : " " + to_hex(request.payload));
  }
  if (options_.requires_com_mode &&
      (request.command == Command::kRead || request.command == Command::kPlantRead)) {
    const auto it = clients_.find(client);
    if (it == clients_.end() || !it->second->com_mode()) {
      logger_->debug("client {}: READ ignored (no COM mode frame on this connection)", client);
      return;
    }
  }
  if (!pipe_.submit(std::move(request))) {
    logger_->debug("serial link queue full: request from client {} lost", client);
  }
}

ValueStore* Simulator::store_for(const Frame& frame) {
  if (!frame.address) return &store_;
  const std::uint32_t address = *frame.address;
  if (auto it = plant_.find(address); it != plant_.end()) return it->second.get();
  for (std::uint32_t known : options_.plant_addresses) {
    if (known != address) continue;
    auto store = std::make_unique<ValueStore>(registry_, options_.seed ^ mix64(address),
                                              device_now(), options_.page_size);
    store->set_grid_charge_trap(options_.trap_grid_charge);
    return plant_.emplace(address, std::move(store)).first->second.get();
  }
  return nullptr;  // no such follower: nobody answers
}

std::optional<Frame> Simulator::answer_read(const Frame& request, ValueStore& store) {
  std::optional<std::vector<std::uint8_t>> payload = store.read(request.oid, device_now());
  if (!payload) return std::nullopt;
  const Command command = response_command(request, store.is_logger(request.oid), payload->size());
  return Frame{command, request.address, request.oid, std::move(*payload)};
}

std::optional<Frame> Simulator::respond(const Frame& request) {
  ValueStore* store = store_for(request);
  if (store == nullptr) return std::nullopt;
  switch (request.command) {
    case Command::kRead:
    case Command::kPlantRead:
      return answer_read(request, *store);
    case Command::kReadPeriodically:
    case Command::kPlantReadPeriodically: {
      if (store->info(request.oid) == nullptr) return std::nullopt;
      const Registration r{request.address, request.oid};
      if (std::find(registrations_.begin(), registrations_.end(), r) == registrations_.end() &&
          registrations_.size() < kMaxRegistrations) {
        registrations_.push_back(r);
        if (registrations_.size() == 1) schedule_pushes();
      }
      const Command read = request.address ? Command::kPlantRead : Command::kRead;
      return answer_read(Frame{read, request.address, request.oid, {}}, *store);
    }
    case Command::kWrite:
    case Command::kLongWrite:
    case Command::kPlantWrite:
    case Command::kPlantLongWrite:
      return serve_write(request, *store);
    case Command::kResponse:
    case Command::kLongResponse:
    case Command::kPlantResponse:
    case Command::kPlantLongResponse:
    case Command::kExtension:
      return std::nullopt;  // not requests: the device ignores them
  }
  return std::nullopt;
}

std::optional<Frame> Simulator::serve_write(const Frame& request, ValueStore& store) {
  if (store.is_logger(request.oid)) {
    // A history query (docs/protocol.md §9.1, §10.1): answered at once, never delayed or ignored.
    ValueStore::WriteOutcome outcome = store.write(request.oid, request.payload, device_now());
    if (outcome.result == ValueStore::WriteResult::kAnswered) {
      return Frame{response_command(request, true, outcome.answer.size()), request.address,
                   request.oid, std::move(outcome.answer)};
    }
    logger_->debug("query of {} not answered", oid_label(registry_, request.oid));
    return std::nullopt;
  }
  if (options_.busy || busy_scripted_ > 0) {
    if (busy_scripted_ > 0) --busy_scripted_;
    logger_->info("busy: write to {} ignored", oid_label(registry_, request.oid));
    return std::nullopt;
  }
  if (options_.write_delay.count() <= 0) return apply_write(request, store);
  if (pending_writes_.size() >= kMaxPendingWrites) {
    logger_->warn("{} writes pending: write to {} lost", pending_writes_.size(),
                  oid_label(registry_, request.oid));
    return std::nullopt;
  }
  const auto due = std::chrono::steady_clock::now() + options_.write_delay;
  // In due order; equal times keep their arrival order.
  auto at = std::upper_bound(pending_writes_.begin(), pending_writes_.end(), due,
                             [](const auto& t, const PendingWrite& p) { return t < p.due; });
  pending_writes_.insert(at, PendingWrite{request, due});
  arm_write_timer();
  return std::nullopt;
}

std::optional<Frame> Simulator::apply_write(const Frame& request, ValueStore& store) {
  ValueStore::WriteOutcome outcome = store.write(request.oid, request.payload, device_now());
  switch (outcome.result) {
    case ValueStore::WriteResult::kStored:
      logger_->info("stored {} = {}", oid_label(registry_, request.oid), to_hex(request.payload));
      if (request.oid == kPasPeriodOid && !request.address) {
        if (std::all_of(request.payload.begin(), request.payload.end(),
                        [](std::uint8_t b) { return b == 0; })) {
          registrations_.clear();  // writing 0 clears the list (docs/protocol.md §11)
          push_timer_.cancel();
        } else {
          schedule_pushes();
        }
      }
      if (!options_.echo_writes) return std::nullopt;
      return answer_read(Frame{request.address ? Command::kPlantRead : Command::kRead,
                               request.address,
                               request.oid,
                               {}},
                         store);
    case ValueStore::WriteResult::kAnswered:  // not for settings; serve_write handles queries
    case ValueStore::WriteResult::kUnknownOid:
    case ValueStore::WriteResult::kWrongSize:
    case ValueStore::WriteResult::kReadOnly:
      logger_->debug("write to {} not stored", oid_label(registry_, request.oid));
      return std::nullopt;
  }
  return std::nullopt;
}

void Simulator::arm_write_timer() {
  if (pending_writes_.empty()) {
    write_timer_.cancel();
    return;
  }
  write_timer_.expires_at(pending_writes_.front().due);
  write_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    on_write_timer();
  });
}

void Simulator::on_write_timer() {
  const auto now = std::chrono::steady_clock::now();
  while (!pending_writes_.empty() && pending_writes_.front().due <= now) {
    const Frame request = std::move(pending_writes_.front().request);
    pending_writes_.pop_front();
    ValueStore* store = store_for(request);
    if (store == nullptr) continue;
    if (apply_write(request, *store)) {
      // The echo goes through the serial link like any reply, after what is queued there.
      pipe_.inject(Frame{request.address ? Command::kPlantRead : Command::kRead,
                         request.address,
                         request.oid,
                         {}});
    }
  }
  arm_write_timer();
}

void Simulator::do_reboot() {
  logger_->info("reboot: written settings back to their defaults, {} pending writes lost",
                pending_writes_.size());
  pending_writes_.clear();
  write_timer_.cancel();
  const std::int64_t now = device_now();
  std::optional<std::vector<std::uint8_t>> reduction;
  if (options_.reboot_keeps_power_reduction) reduction = store_.read(kPowerReductionOid, now);
  store_.reset_settings(now);
  if (reduction) {
    (void)store_.write(kPowerReductionOid, *reduction, now);
    logger_->info("reboot: buf_v_control.power_reduction kept");
  }
  apply_battery_words();
  apply_fault_words();
  plant_.clear();  // followers come back with their defaults on the next request
  registrations_.clear();
  push_timer_.cancel();
  close_all_clients();
}

void Simulator::schedule_pushes() {
  push_timer_.cancel();
  std::optional<std::vector<std::uint8_t>> period = store_.read(kPasPeriodOid, device_now());
  if (!period || period->size() != 4 || registrations_.empty()) return;
  const std::uint32_t seconds = (std::uint32_t{(*period)[0]} << 24) |
                                (std::uint32_t{(*period)[1]} << 16) |
                                (std::uint32_t{(*period)[2]} << 8) | (*period)[3];
  if (seconds == 0) return;
  push_timer_.expires_after(std::chrono::seconds(seconds));
  push_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
    for (const Registration& r : registrations_) {
      pipe_.inject(Frame{r.address ? Command::kPlantRead : Command::kRead, r.address, r.oid, {}});
    }
    schedule_pushes();
  });
}

void Simulator::emit(Frame reply, bool cut) {
  const OidInfo* info = registry_.find(reply.oid);
  SentReply record;
  record.time = std::chrono::steady_clock::now();
  record.device_time = device_now();
  record.requested_oid = reply.oid;
  record.cut_by_request = cut;
  record.intact = !cut;

  const std::optional<FaultKind> fault = faults_.decide(traits_of(reply, info, cut));
  record.fault = fault;
  std::vector<std::uint8_t> prefix;
  std::optional<std::vector<std::uint8_t>> wire_override;
  bool disconnect = false;
  if (fault) {
    switch (*fault) {
      case FaultKind::kDrop:
      case FaultKind::kStall:
        record.delivered = false;
        record.intact = false;
        break;
      case FaultKind::kWrongOid: {
        // Another OID's frame with that OID's true value, in place of the answer.
        const auto all = registry_.all();
        for (int attempt = 0; attempt < 16; ++attempt) {
          const OidInfo& other = all[faults_.pick(all.size())];
          if (other.id == reply.oid || store_.is_logger(other.id)) continue;
          ValueStore* store = store_for(reply);
          if (store == nullptr) break;
          auto payload = store->read(other.id, device_now());
          if (!payload) continue;
          reply.oid = other.id;
          reply.payload = std::move(*payload);
          const Command base =
              is_plant(reply.command) ? Command::kPlantResponse : Command::kResponse;
          reply.command = command_for_payload(base, reply.payload.size());
          break;
        }
        break;
      }
      case FaultKind::kTruncate:
        reply.payload.resize(faults_.truncated_size(reply.payload.size()));
        record.intact = false;
        break;
      case FaultKind::kCorruptCrc:
        wire_override =
            encode_with_crc(reply, static_cast<std::uint16_t>(frame_crc(reply) ^ 0x0101));
        record.intact = false;
        break;
      case FaultKind::kCounterReset:
        if (info != nullptr) {
          Value zero =
              info->response_type == DataType::kFloat ? Value(0.0f) : Value(std::int32_t{0});
          if (auto bytes = encode_value(info->response_type, zero)) reply.payload = *bytes;
        }
        break;
      case FaultKind::kAbsurdValue: {
        const float v = absurd_nan_ ? std::numeric_limits<float>::quiet_NaN() : 1e30f;
        absurd_nan_ = !absurd_nan_;
        if (auto bytes = encode_value(DataType::kFloat, Value(v))) reply.payload = *bytes;
        break;
      }
      case FaultKind::kGarbage:
        prefix = faults_.garbage();
        break;
      case FaultKind::kDisconnect:
        disconnect = true;
        break;
      case FaultKind::kSplit:  // below, once the bytes are known
      case FaultKind::kNight:
        break;
    }
    logger_->info("fault {}: reply {} for {}", fault_name(*fault),
                  record.delivered ? "altered" : "not sent",
                  oid_label(registry_, record.requested_oid));
  }
  record.command = reply.command;
  record.address = reply.address;
  record.oid = reply.oid;
  record.payload = reply.payload;

  std::vector<std::uint8_t> wire;
  if (record.delivered) {
    wire = std::move(prefix);
    wire.push_back(0x00);  // the device's leading zero byte (docs/protocol.md §2.4)
    if (wire_override) {
      wire.insert(wire.end(), wire_override->begin(), wire_override->end());
    } else if (auto encoded = encode_frame(reply, wire); !encoded) {
      logger_->error("cannot encode reply for {}: {}", oid_label(registry_, reply.oid),
                     encode_error_message(encoded.error()));
      record.delivered = false;
      record.intact = false;
    }
  }
  // Recorded before the bytes leave, so that a client never sees a reply the record lacks.
  const bool delivered = record.delivered;
  log_.add(std::move(record));
  if (delivered) {
    if (logger_->should_log(spdlog::level::debug)) {
      logger_->debug("→ all: {} {} ({} payload bytes{})", command_name(reply.command),
                     oid_label(registry_, reply.oid), reply.payload.size(),
                     cut ? ", cut by a request" : "");
    }
    if (fault == FaultKind::kSplit) {
      send_split(std::move(wire));
    } else {
      broadcast(std::move(wire));
    }
  }
  if (fault == FaultKind::kStall) pipe_.block_for(faults_.config().stall_duration);
  if (disconnect) {
    auto clients = clients_;  // close_after_flush() may close at once and edit clients_
    for (auto& [id, connection] : clients) connection->close_after_flush();
  }
}

void Simulator::send_split(std::vector<std::uint8_t> wire) {
  const std::size_t at = faults_.split_point(wire);
  std::vector<std::uint8_t> rest(wire.begin() + static_cast<std::ptrdiff_t>(at), wire.end());
  wire.resize(at);
  broadcast(std::move(wire));
  // Nothing else may leave before the rest, or the pieces would interleave with other replies.
  pipe_.block();
  split_timer_.expires_after(faults_.config().split_delay);
  split_timer_.async_wait([this, rest = std::move(rest)](const asio::error_code& ec) mutable {
    if (ec || stopped_) return;
    broadcast(std::move(rest));
    pipe_.unblock();
  });
}

void Simulator::broadcast(std::vector<std::uint8_t> bytes) {
  auto shared = std::make_shared<const std::vector<std::uint8_t>>(std::move(bytes));
  // send() may close a connection (disconnect after N frames) and so edit clients_.
  auto clients = clients_;
  for (auto& [id, connection] : clients) connection->send(shared);
}

void Simulator::apply_night(bool night) {
  if (night == night_ || stopped_) return;
  night_ = night;
  asio::error_code ec;
  if (night) {
    logger_->info("night: the inverter is off, connections are refused");
    acceptor_.close(ec);
    accept_retry_timer_.cancel();
    close_all_clients();
    return;
  }
  try {
    open_listener();
    logger_->info("morning: listening on {}:{} again", options_.host, port_.load());
  } catch (const std::system_error& e) {
    // Stay dark and try again on the next poll; nothing may throw out of a handler.
    logger_->warn("cannot listen again on port {}: {}", port_.load(), e.what());
    acceptor_.close(ec);
    night_ = true;
  }
}

void Simulator::watch_night() {
  const bool dark = night_override_ ? *night_override_ : [this] {
    const HouseState& s = store_.house(device_now());
    return s.pv_a + s.pv_b <= 0;
  }();
  apply_night(dark);
  night_timer_.expires_after(kNightPoll);
  night_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) watch_night();
  });
}

template <typename F>
std::future<void> Simulator::post_task(F f) {
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> done = promise->get_future();
  // Not bind(): the promise is kept even when the simulator is gone.
  asio::post(io_, [this, alive = guard_.token(), promise, f = std::move(f)]() mutable {
    if (!alive.expired() && !stopped_) f();
    promise->set_value();
  });
  return done;
}

std::future<void> Simulator::script_fault(FaultKind f, unsigned count) {
  return post_task([this, f, count] {
    if (f == FaultKind::kNight) {
      night_override_ = count > 0;
      apply_night(count > 0);
      return;
    }
    faults_.script(f, count);
  });
}

std::future<void> Simulator::set_fault_probability(FaultKind f, double p) {
  return post_task([this, f, p] {
    faults_.set_probability(f, p);
    if (f == FaultKind::kNight && p > 0) watch_night();
  });
}

std::future<void> Simulator::set_disconnect_after(unsigned frames) {
  return post_task([this, frames] { faults_.set_disconnect_after(frames); });
}

std::future<void> Simulator::set_stall_duration(std::chrono::milliseconds d) {
  return post_task([this, d] { faults_.set_stall_duration(d); });
}

std::future<void> Simulator::set_night(bool night) {
  return post_task([this, night] {
    night_override_ = night;
    apply_night(night);
  });
}

std::future<void> Simulator::set_truncation(bool on) {
  return post_task([this, on] { pipe_.set_truncation(on); });
}

std::future<void> Simulator::set_busy(bool busy) {
  return post_task([this, busy] {
    options_.busy = busy;
    if (!busy) busy_scripted_ = 0;
  });
}

std::future<void> Simulator::script_busy(unsigned count) {
  return post_task([this, count] { busy_scripted_ = count; });
}

std::future<void> Simulator::set_grid_charge_trap(std::optional<double> margin) {
  return post_task([this, margin] {
    options_.trap_grid_charge = margin;
    store_.set_grid_charge_trap(margin);
    for (auto& [address, store] : plant_) store->set_grid_charge_trap(margin);
  });
}

std::future<void> Simulator::set_write_delay(std::chrono::milliseconds d) {
  return post_task([this, d] { options_.write_delay = d; });
}

void Simulator::apply_battery_words() {
  const std::int64_t now = device_now();
  for (const auto& [oid, word] :
       {std::pair{kOidBatteryStatus, options_.bat_status},
        std::pair{kOidBatteryStatus2, calibration_status2(options_.calibration)}}) {
    const auto payload = encode_value(DataType::kInt32, Value(word));
    if (payload) (void)store_.write(oid, *payload, now);
  }
}

void Simulator::apply_fault_words() {
  for (std::size_t k = 0; k < kFaultWordCount; ++k) {
    (void)store_.set_device_word(kFaultWordOids[k], device_faults_[k]);
  }
}

std::future<void> Simulator::set_device_fault(unsigned number, bool active) {
  return post_task([this, number, active] {
    if (number >= kFaultNumberCount) return;
    std::uint32_t& word = device_faults_[number / 32];
    const std::uint32_t bit = 1u << (number % 32);
    if (((word & bit) != 0) == active) return;
    const std::int64_t now = device_now();
    if (active) {
      word |= bit;
      raised_at_[number] = now;
    } else {
      word &= ~bit;
      if (auto entry = device_fault_entry(number, raised_at_[number], now)) {
        store_.record_event(*entry);
      }
    }
    apply_fault_words();
    logger_->info("fault {} {}: {}", number, active ? "raised" : "cleared",
                  rct::fault_name(number));
  });
}

std::future<void> Simulator::set_module_installed(int tower, int slot, bool installed) {
  return post_task([this, tower, slot, installed] {
    if (!module_installed(tower, slot)) return;
    const std::string name = std::string(tower == 0 ? "battery" : "battery_placeholder[0]") +
                             ".cells[" + std::to_string(slot) + "]";
    if (const OidInfo* info = registry_.find(std::string_view(name))) {
      (void)store_.set_module_installed(info->id, installed);
    }
  });
}

std::future<void> Simulator::set_bat_status(std::int32_t bat_status) {
  return post_task([this, bat_status] {
    options_.bat_status = bat_status;
    apply_battery_words();
  });
}

std::future<void> Simulator::set_calibration(Calibration calibration) {
  return post_task([this, calibration] {
    options_.calibration = calibration;
    logger_->info("battery calibration: {}", calibration_name(calibration));
    apply_battery_words();
  });
}

std::future<void> Simulator::set_reboot_keeps_power_reduction(bool keep) {
  return post_task([this, keep] { options_.reboot_keeps_power_reduction = keep; });
}

std::future<void> Simulator::reboot() {
  return post_task([this] { do_reboot(); });
}

std::future<void> Simulator::post_shutdown() {
  return post_task([this] { shutdown(); });
}

void Simulator::shutdown() {
  if (stopped_) return;
  stopped_ = true;
  asio::error_code ec;
  acceptor_.close(ec);
  push_timer_.cancel();
  night_timer_.cancel();
  accept_retry_timer_.cancel();
  split_timer_.cancel();
  write_timer_.cancel();
  pending_writes_.clear();
  pipe_.stop();
  close_all_clients();
  work_.reset();
  logger_->info("simulator stopped");
}

}  // namespace rct::sim
