#pragma once

#include <array>
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/fault_words.h"
#include "core/frame.h"
#include "core/lifetime_guard.h"
#include "core/registry.h"
#include "tools/simulator/battery_calibration.h"
#include "tools/simulator/connection.h"
#include "tools/simulator/faults.h"
#include "tools/simulator/received_log.h"
#include "tools/simulator/sent_log.h"
#include "tools/simulator/serial_pipe.h"
#include "tools/simulator/value_store.h"

namespace spdlog {
class logger;
}

namespace rct::sim {

inline constexpr std::uint32_t kDefaultPlantAddress = 0x12345678;

struct SimulatorOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8899;  // 0 = ephemeral; see Simulator::port()
  std::chrono::milliseconds service_time{200};
  bool truncation = true;    // interleaved requests cut replies short (valid CRC)
  bool echo_writes = false;  // answer a stored WRITE with a RESPONSE of the new value
  // A written setting becomes readable this long after the WRITE was served (0: at once).
  // 300 ms: a real device applies a write within a poll or two; long enough that a client
  // reading back at once sees the old value and must retry.
  std::chrono::milliseconds write_delay{300};
  bool busy = false;  // ignore every WRITE of a setting, as a device the app shows "offline" does
  // battery.bat_status in normal operation: 0 (older systems), 1032 or 2048 (current firmware,
  // 2048 = balancing; docs/protocol.md §14.2). 0 by default.
  std::int32_t bat_status = 0;
  Calibration calibration = Calibration::kNone;  // battery.status2 bit 3 / bit 10 while set
  // Claim (docs/protocol.md §13): buf_v_control.power_reduction is kept across a reboot. Off:
  // it reverts to its default like every written setting.
  bool reboot_keeps_power_reduction = false;
  // Claim (docs/protocol.md §3.7): some firmware answers READs only on a connection that sent
  // the EXTENSION frame 2b 3c e1 first. On: READs and PLANT_READs of other connections are
  // ignored (their writes still count).
  bool requires_com_mode = false;
  // Charge from the grid at full power under strategy Internal while the SOC is below
  // soc_min + this margin (fraction; HouseSettings::grid_charge_trap). nullopt: off.
  std::optional<double> trap_grid_charge;
  double time_scale = 1.0;                 // simulated seconds per real second
  std::optional<std::int64_t> start_time;  // device time at start; default: the local wall clock
  std::uint64_t seed = 1;
  std::size_t max_clients = 5;  // further connections are accepted and closed at once
  std::vector<std::uint32_t> plant_addresses{kDefaultPlantAddress};  // followers, each own store
  std::size_t page_size = 24;  // samples / entries per logger answer
  std::size_t max_queue = 64;  // requests waiting for the serial link
  FaultConfig faults;
  std::shared_ptr<spdlog::logger> logger;  // null: silent
};

// The simulated inverter on the network: a TCP listener in front of one shared serial pipe
// (docs/protocol.md §2.3, §16.2). Answers READ / PLANT_READ (RESPONSE, LONG_RESPONSE when L > 255),
// stores WRITEs, answers logger queries with LONG_RESPONSE pages, pushes READ_PERIODICALLY
// registrations every pas.period seconds, copies every reply to every client with a leading 0x00,
// and injects faults. Unknown OIDs, EXTENSION and `AT+\r` noise get no answer.
// Runs on the caller's io_context and starts no threads. Members marked thread-safe may be called
// from any thread; everything else on the io_context's thread (or before it runs).
class Simulator {
 public:
  static constexpr std::size_t kMaxRegistrations = 64;  // READ_PERIODICALLY (docs/protocol.md §11)

  Simulator(asio::io_context& io, const Registry& registry, SimulatorOptions options);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Binds and listens; throws std::system_error when that fails (before the loop runs).
  void start();
  // Closes the listener, every connection and all timers.
  void shutdown();

  std::uint16_t port() const { return port_.load(); }  // thread-safe; the bound port
  std::int64_t device_now() const;                     // thread-safe

  // Thread-safe: posted onto the io_context; the future is ready once applied.
  // The next `count` replies the fault applies to get it. kNight: a count > 0 turns night on,
  // 0 turns it off (as set_night).
  std::future<void> script_fault(FaultKind f, unsigned count);
  std::future<void> set_fault_probability(FaultKind f, double p);
  std::future<void> set_disconnect_after(unsigned frames);
  std::future<void> set_stall_duration(std::chrono::milliseconds d);
  std::future<void> set_night(bool night);  // true: refuse connections until false
  std::future<void> set_truncation(bool on);
  std::future<void> set_busy(bool busy);          // ignore (true) or apply writes of settings
  std::future<void> script_busy(unsigned count);  // ignore the next `count` writes of settings
  // SimulatorOptions::trap_grid_charge from now on (every store); nullopt: off.
  std::future<void> set_grid_charge_trap(std::optional<double> margin);
  std::future<void> set_write_delay(std::chrono::milliseconds d);  // for writes served from now
  // A device reboot: written settings revert to their defaults (never flashed), pending writes
  // and READ_PERIODICALLY registrations are lost, every connection is closed. The house model
  // (SOC, counters, history) carries on.
  std::future<void> reboot();
  // The battery's status words from now on (a reboot keeps them: they are the battery's, not
  // settings). They replace a value written to either OID.
  std::future<void> set_bat_status(std::int32_t bat_status);
  std::future<void> set_calibration(Calibration calibration);
  std::future<void> set_reboot_keeps_power_reduction(bool keep);
  // Raises (true) or clears fault `number` (0..127) of fault[0..3].flt (docs/protocol.md §14.1)
  // from now on; a reboot keeps it. A fault that ends logs its event-table entry
  // (tools/simulator/device_faults.h). Raising a raised fault or clearing a clear one does
  // nothing.
  std::future<void> set_device_fault(unsigned number, bool active);
  // Takes the battery module of tower `tower` (0: battery.*, 1: battery_placeholder[0].*) in
  // `slot` (from 0) out (`installed` false) or puts it back: while out its cells read 0 V, as an
  // empty slot. A reboot keeps it. Nothing happens for a slot that never held a module.
  std::future<void> set_module_installed(int tower, int slot, bool installed);
  std::future<void> post_shutdown();

  // Thread-safe reads.
  std::size_t client_count() const { return client_count_.load(); }
  // Connections served since start() (refused ones not counted): a client's reconnects.
  std::uint64_t connections_served() const { return connections_served_.load(); }
  std::vector<SentReply> sent() const { return log_.all(); }
  std::set<std::vector<std::uint8_t>> truth(std::uint32_t oid,
                                            std::optional<std::uint32_t> address = {}) const {
    return log_.truth(oid, address);
  }
  const SentLog& log() const { return log_; }
  // Every frame the clients sent, in arrival order (thread-safe).
  const ReceivedLog& received() const { return received_; }

 private:
  struct PendingWrite {
    Frame request;
    std::chrono::steady_clock::time_point due;
  };
  static constexpr std::size_t kMaxPendingWrites = 64;

  struct Registration {
    std::optional<std::uint32_t> address;
    std::uint32_t oid = 0;
    bool operator==(const Registration&) const = default;
  };

  template <typename F>
  std::future<void> post_task(F f);
  void open_listener();
  void accept();
  void on_accept(asio::ip::tcp::socket socket);
  void on_request(std::uint64_t client, Frame request);
  void on_closed(std::uint64_t client);
  void close_all_clients();
  void apply_night(bool night);
  void watch_night();
  void schedule_pushes();

  ValueStore* store_for(const Frame& frame);
  std::optional<Frame> respond(const Frame& request);
  std::optional<Frame> answer_read(const Frame& request, ValueStore& store);
  std::optional<Frame> serve_write(const Frame& request, ValueStore& store);
  // Stores a setting; returns the echo (a READ of the new value) when echo_writes is on.
  std::optional<Frame> apply_write(const Frame& request, ValueStore& store);
  void arm_write_timer();
  void on_write_timer();
  void do_reboot();
  void apply_battery_words();
  void apply_fault_words();
  void emit(Frame reply, bool cut);
  void broadcast(std::vector<std::uint8_t> bytes);
  void send_split(std::vector<std::uint8_t> wire);

  asio::io_context& io_;
  const Registry& registry_;
  SimulatorOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  std::chrono::steady_clock::time_point steady_start_;
  std::int64_t device_start_ = 0;
  ValueStore store_;                                            // this device
  std::map<std::uint32_t, std::unique_ptr<ValueStore>> plant_;  // followers, created on demand
  FaultInjector faults_;
  SerialPipe pipe_;
  SentLog log_;
  ReceivedLog received_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::endpoint endpoint_;
  std::map<std::uint64_t, std::shared_ptr<Connection>> clients_;
  std::uint64_t next_client_id_ = 1;
  std::atomic<std::uint16_t> port_{0};
  std::atomic<std::size_t> client_count_{0};
  std::atomic<std::uint64_t> connections_served_{0};
  std::vector<Registration> registrations_;
  asio::steady_timer push_timer_;
  asio::steady_timer night_timer_;
  asio::steady_timer accept_retry_timer_;
  asio::steady_timer split_timer_;
  asio::steady_timer write_timer_;           // applies pending_writes_ when due
  std::deque<PendingWrite> pending_writes_;  // served, not yet readable; in due order
  unsigned busy_scripted_ = 0;               // writes still to ignore (script_busy)
  // Held from start() to shutdown(): with the listener closed at night nothing else is pending.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  bool night_ = false;
  std::optional<bool> night_override_;
  bool stopped_ = false;
  bool absurd_nan_ = false;
  FaultWords device_faults_{};  // set_device_fault
  std::array<std::int64_t, kFaultNumberCount>
      raised_at_{};  // device time each was raised  // alternates the absurd value between 1e30 and
                     // NaN
  // Posted tasks check it. Never reset: post_task() takes its token on the caller's thread.
  LifetimeGuard guard_;
};

// Device time now: the local wall clock encoded as if it were UTC (docs/protocol.md §9.4).
std::int64_t local_device_time();

}  // namespace rct::sim
