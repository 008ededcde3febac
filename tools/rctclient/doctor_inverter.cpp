#include "tools/rctclient/doctor_inverter.h"

#include <array>
#include <asio.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "core/client/client.h"
#include "core/frame_decoder.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "core/inventory.h"
#include "daemon/inventory_state.h"
#include "tools/rctclient/doctor_net.h"
#include "tools/rctclient/doctor_rules.h"

namespace rct::cli::doctor {
namespace {

// The timed reads: the battery, two power flows and a lifetime counter (a counter at 0 or a
// power of 1e30 is a value no device sends).
constexpr std::array<std::string_view, 4> kDoctorReadNames = {
    "battery.soc", "g_sync.p_ac_load_sum_lp", "g_sync.p_ac_grid_sum_lp", "energy.e_ac_total"};
constexpr std::string_view kDoctorLifetimeCounter = "energy.e_ac_total";
constexpr unsigned kInventoryAttempts = 3;
constexpr unsigned kDoctorGiveUpAfter = 3;  // reads without any answer before the rest is skipped
// The EXTENSION frame the vendor app sends after connecting (docs/protocol.md §3.7).
constexpr std::array<std::uint8_t, 3> kComModeFrame = {0x2B, 0x3C, 0xE1};
constexpr std::uint32_t kComModeProbeOid = 0x959930BF;  // battery.soc

enum class DoctorPhase { kReads, kListen, kInventory };

std::string doctor_oid_text(const Registry& registry, std::uint32_t oid) {
  const OidInfo* info = registry.find(oid);
  return info != nullptr ? std::string(info->name) : format_oid(oid);
}

// Counts what the link shows for the verdicts, and passes every event on to `log`.
class DoctorObserver final : public client::ClientObserver {
 public:
  DoctorObserver(const Registry& registry, client::ClientObserver& log)
      : registry_(registry), log_(log) {}

  DoctorPhase phase = DoctorPhase::kReads;
  std::set<std::uint32_t> unanswered;  // our reads that got no answer (late answers)
  ForeignFigures foreign;
  FrameFigures frames;

  void on_state(client::ClientState state) override { log_.on_state(state); }
  void on_link_up(const std::string& peer) override { log_.on_link_up(peer); }
  void on_link_down(client::LinkDownReason reason, const std::error_code& error) override {
    log_.on_link_down(reason, error);
  }
  void on_retry(client::LinkDownReason reason, const std::error_code& error,
                client::Duration delay) override {
    switch (reason) {
      case client::LinkDownReason::kClosedByPeer:
      case client::LinkDownReason::kReadFailed:
      case client::LinkDownReason::kWriteFailed:
      case client::LinkDownReason::kTooManyFrameErrors:
      case client::LinkDownReason::kSilence:
        ++frames.link_drops;
        break;
      // The client's own reaction to missing answers, which the read check reports.
      case client::LinkDownReason::kTooManyTimeouts:
      case client::LinkDownReason::kResolveFailed:
      case client::LinkDownReason::kConnectFailed:
      case client::LinkDownReason::kConnectTimeout:
        break;
    }
    log_.on_retry(reason, error, delay);
  }
  void on_unsolicited(const client::Reading& reading) override {
    switch (phase) {
      case DoctorPhase::kListen:
        if (unanswered.count(reading.oid) != 0) {
          ++foreign.late_answers;
        } else {
          ++foreign.listen_oids[doctor_oid_text(registry_, reading.oid)];
        }
        break;
      case DoctorPhase::kReads:
      case DoctorPhase::kInventory:
        ++foreign.during_reads;
        break;
    }
    log_.on_unsolicited(reading);
  }
  void on_dropped(client::FrameVerdict verdict, Command command, std::uint32_t oid,
                  std::size_t payload_size) override {
    if (verdict == client::FrameVerdict::kTruncated) ++frames.truncated;
    log_.on_dropped(verdict, command, oid, payload_size);
  }
  void on_frame_error(DecodeOutcome outcome, std::size_t consumed) override {
    switch (outcome) {
      case DecodeOutcome::kCrcMismatch:
        ++frames.crc_errors;
        break;
      case DecodeOutcome::kIncomplete:
        ++frames.cut_frames;
        break;
      case DecodeOutcome::kInvalidCommand:
      case DecodeOutcome::kLengthExceeded:
        ++frames.other_errors;
        break;
      case DecodeOutcome::kOk:
        break;
    }
    log_.on_frame_error(outcome, consumed);
  }
  void on_timeout(std::uint32_t oid, bool will_retry) override { log_.on_timeout(oid, will_retry); }
  void on_bad_reply(std::uint32_t oid, bool will_retry) override {
    ++frames.bad_replies;
    log_.on_bad_reply(oid, will_retry);
  }
  void on_bytes(client::Direction direction, std::span<const std::uint8_t> bytes) override {
    log_.on_bytes(direction, bytes);
  }

 private:
  const Registry& registry_;
  client::ClientObserver& log_;
};

using ReadOutcome = Result<client::Reading, client::ClientError>;

// One read on `client`, waiting for its callback (bounded by `limit`, a safety net: the client's
// own deadline answers first).
std::optional<ReadOutcome> read_once(asio::io_context& io, client::Client& client,
                                     std::uint32_t oid, DoctorClock::duration limit) {
  // Shared with the callback: should the safety net fire first, the callback still has a target.
  auto outcome = std::make_shared<std::optional<ReadOutcome>>();
  client.read(oid, [outcome](ReadOutcome r) { *outcome = std::move(r); });
  run_until(io, DoctorClock::now() + limit, [&] { return outcome->has_value(); });
  return *outcome;
}

std::optional<double> doctor_float_of(const Value& value) {
  if (const float* f = std::get_if<float>(&value)) return static_cast<double>(*f);
  return std::nullopt;
}

// A READ of kComModeProbeOid on a fresh connection, with or without the EXTENSION frame first.
// True when its RESPONSE arrives within `timeout`.
bool com_mode_read_answered(const std::string& host, std::uint16_t port, bool with_extension,
                            std::chrono::milliseconds timeout) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  asio::ip::tcp::socket socket(io);
  asio::ip::tcp::resolver resolver(io);
  asio::error_code ec;
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return false;
  const DoctorClock::time_point deadline = DoctorClock::now() + 2 * timeout;
  std::optional<asio::error_code> connected;
  asio::async_connect(
      socket, endpoints,
      [&](const asio::error_code& e, const asio::ip::tcp::endpoint&) { connected = e; });
  bool answered = false;
  // Filled by the read handler; declared before the loop so that a read still pending when the
  // deadline passes completes into live variables.
  std::array<std::uint8_t, 1024> buffer{};
  std::optional<std::size_t> got;
  bool closed = false;
  if (run_until(io, deadline, [&] { return connected.has_value(); }) && !*connected) {
    std::vector<std::uint8_t> bytes;
    if (with_extension) bytes.assign(kComModeFrame.begin(), kComModeFrame.end());
    const auto read = encode_frame(Frame{Command::kRead, std::nullopt, kComModeProbeOid, {}});
    if (read.ok()) bytes.insert(bytes.end(), read->begin(), read->end());
    asio::write(socket, asio::buffer(bytes), ec);
    FrameDecoder decoder;
    const DoctorClock::time_point answer_deadline = DoctorClock::now() + timeout;
    while (!ec && !answered && !closed) {
      got.reset();
      socket.async_read_some(asio::buffer(buffer), [&](const asio::error_code& e, std::size_t n) {
        if (e) closed = true;
        got = n;
      });
      if (!run_until(io, answer_deadline, [&] { return got.has_value(); })) break;
      decoder.feed(std::span<const std::uint8_t>(buffer.data(), *got));
      while (std::optional<DecodeEvent> event = decoder.next()) {
        if (event->outcome == DecodeOutcome::kOk && event->oid == kComModeProbeOid &&
            (event->command == Command::kResponse || event->command == Command::kLongResponse)) {
          answered = true;
        }
      }
    }
  }
  asio::error_code ignored;
  socket.close(ignored);
  io.poll();  // the cancelled read completes into `got` and `closed`, which are still alive
  return answered;
}

}  // namespace

InverterProbe probe_inverter(const Registry& registry, const InverterProbeOptions& options,
                             client::ClientObserver& log) {
  InverterProbe probe;
  const ConnectionArgs& args = options.connection;
  client::ClientOptions client_opts = client_options(args);
  // Every answer is timed as it comes: a re-send would hide a lost reply.
  client_opts.retries = 0;
  const auto timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(client_opts.request_timeout);

  const TcpFigures tcp = probe_tcp(args.host, args.port, timeout);
  probe.checks.push_back(judge_tcp("inverter.tcp", tcp));
  auto skipped = [](std::string name, std::string why) {
    return Check{std::move(name), Verdict::kSkipped, std::move(why), nlohmann::json::object()};
  };
  if (!tcp.connected) {
    const std::string why = "not checked: no connection";
    probe.checks.push_back(skipped("inverter.reads", why));
    probe.checks.push_back(skipped("inverter.other_clients", why));
    probe.checks.push_back(skipped("inverter.frames", why));
    probe.checks.push_back(skipped("inverter.inventory", why));
    probe.checks.push_back(judge_com_mode(ComModeFigures{}));
    return probe;
  }

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  DoctorObserver observer(registry, log);
  client::Client client(io, registry, client_opts, observer);
  client.start();
  // The longest a read can take: connecting plus the reply's deadline, and a margin.
  const DoctorClock::duration limit =
      client_opts.connect_timeout + client_opts.request_timeout + std::chrono::seconds(1);
  // After a lost connection the client waits for its backoff before connecting again.
  const DoctorClock::duration reconnect_limit =
      client_opts.backoff.initial + client_opts.connect_timeout;

  ReadFigures reads;
  reads.timeout_s = args.timeout;
  for (unsigned i = 0; i < options.reads; ++i) {
    // A device that answered none of the first reads will not answer the rest either.
    if (i == kDoctorGiveUpAfter && reads.times_ms.empty()) break;
    const OidInfo* info = registry.find(kDoctorReadNames[i % kDoctorReadNames.size()]);
    if (info == nullptr) continue;
    ++reads.attempted;
    if (client.state() != client::ClientState::kConnected) {
      run_until(io, DoctorClock::now() + reconnect_limit,
                [&] { return client.state() == client::ClientState::kConnected; });
    }
    const DoctorClock::time_point start = DoctorClock::now();
    const std::optional<ReadOutcome> outcome = read_once(io, client, info->id, limit);
    if (!outcome || !outcome->ok()) {
      observer.unanswered.insert(info->id);
      continue;
    }
    reads.times_ms.push_back(elapsed_ms(start));
    if (const std::optional<double> v = doctor_float_of((*outcome)->value)) {
      const std::optional<std::string> why =
          implausible_value(*v, info->name == kDoctorLifetimeCounter);
      if (why) reads.implausible.push_back(std::string(info->name) + " " + *why);
    }
  }
  probe.checks.push_back(judge_reads(reads));

  observer.phase = DoctorPhase::kListen;
  observer.foreign.listen_s = options.listen_s;
  run_until(io,
            DoctorClock::now() + std::chrono::duration_cast<DoctorClock::duration>(
                                     std::chrono::duration<double>(options.listen_s)),
            [] { return false; });
  probe.checks.push_back(judge_foreign(observer.foreign));

  observer.phase = DoctorPhase::kInventory;
  daemon::Inventory inventory;
  InventoryFigures inv;
  const bool answers = !reads.times_ms.empty();
  for (const InventoryOid& item : inventory_oids()) {
    if (!answers) break;
    ++inv.asked;
    for (unsigned attempt = 0; attempt < kInventoryAttempts; ++attempt) {
      if (client.state() != client::ClientState::kConnected) {
        run_until(io, DoctorClock::now() + reconnect_limit,
                  [&] { return client.state() == client::ClientState::kConnected; });
      }
      const std::optional<ReadOutcome> outcome = read_once(io, client, item.id, limit);
      if (outcome && outcome->ok()) {
        inventory.apply(item.id, (*outcome)->value);
        ++inv.answered;
        break;
      }
    }
  }
  const client::TrackerStats& stats = client.stats();
  observer.frames.frames = static_cast<unsigned>(stats.completed + stats.unsolicited);
  client.stop();
  io.poll();  // the cancelled callbacks

  probe.checks.push_back(judge_frames(observer.frames));
  inv.serial = inventory.serial;
  inv.firmware = inventory.firmware;
  inv.device_name = inventory.device_name;
  inv.has_battery = inventory.has_battery();
  if (inventory.battery_count) inv.battery_count = *inventory.battery_count;
  inv.pv_a = inventory.pv_input_a;
  inv.pv_b = inventory.pv_input_b;
  inv.power_switch = inventory.power_switch;
  if (inventory.plant_role) inv.plant_role = *inventory.plant_role;
  if (answers) {
    probe.checks.push_back(judge_inventory(inv));
  } else {
    probe.checks.push_back(
        skipped("inverter.inventory", "not checked: the inverter does not answer"));
  }
  probe.serial = inventory.serial;

  ComModeFigures com;
  com.reads_worked = !reads.times_ms.empty();
  if (!com.reads_worked) {
    com.tried = true;
    com.answered_without = com_mode_read_answered(args.host, args.port, false, timeout);
    com.answered_with = com_mode_read_answered(args.host, args.port, true, timeout);
  }
  probe.checks.push_back(judge_com_mode(com));
  return probe;
}

}  // namespace rct::cli::doctor
