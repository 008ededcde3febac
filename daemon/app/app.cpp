#include "daemon/app/app.h"

#include <fmt/format.h>

#include <system_error>
#include <utility>

#include "daemon/adapters/logging.h"
#include "daemon/adapters/paho_mqtt_client.h"
#include "daemon/state_file.h"
#include "daemon/topics.h"
#include "daemon/write_command.h"

namespace rct::daemon {

namespace {

// The MQTT service tick: watchdog progress, STATUS= refresh, rate-limited state saves.
constexpr auto kTick = std::chrono::seconds{1};
// Counters are written at most this often (and on shutdown).
constexpr auto kSaveInterval = std::chrono::seconds{60};
constexpr auto kStopTimeout = std::chrono::milliseconds{2000};
// For the dead-man reverts at exit: well inside the unit's TimeoutStopSec (15 s), with the MQTT
// disconnect after it.
constexpr auto kStopRevertTimeout = std::chrono::milliseconds{8000};

}  // namespace

ValueCatalog App::value_catalog(const Registry& registry) {
  ValueCatalog c;
  c.is_known_name = [&registry](std::string_view name) { return registry.find(name) != nullptr; };
  c.is_known_id = [&registry](std::uint32_t id) { return registry.find(id) != nullptr; };
  return c;
}

App::App(Config config, std::filesystem::path config_path, std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)),
      config_path_(std::move(config_path)),
      log_(std::move(log)),
      tick_timer_(io_),
      birth_timer_(io_),
      stop_timer_(io_) {
  const std::filesystem::path dir = config_.state_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) log_->warn("cannot create state directory {}: {}", dir.string(), ec.message());
  state_path_ = dir / kStateFileName;
  auto loaded = load_state_file(state_path_);
  if (loaded) {
    state_ = std::move(loaded.value());
    log_->info("state: {} ({} inverters known)", state_path_.string(), state_.inverters.size());
  } else {
    // Starting without totals is safe: the counter guard then confirms first increases.
    log_->warn("state file {} unusable, starting empty: {}", state_path_.string(), loaded.error());
  }
  mqtt_ = std::make_unique<PahoMqttClient>(io_, config_.mqtt);
  mqtt_->set_observer(this);
}

App::~App() {
  mqtt_->set_observer(nullptr);
  sessions_.clear();
}

SessionHost& App::host() {
  return *this;
}

void App::start_sessions() {
  sessions_.clear();
  for (std::size_t i = 0; i < config_.inverters.size(); ++i) {
    sessions_.push_back(
        std::make_unique<InverterSession>(io_, registry_, host(), log_, config_, i));
    sessions_.back()->start();
  }
  if (sessions_.empty()) log_->warn("no [[inverter]] configured: idling");
}

int App::run() {
  signals_.emplace(io_, [this](Signal s) { on_signal(s); });
  connect_mqtt();
  start_sessions();
  if (auto interval = watchdog_interval()) {
    const auto timeout = *watchdog_timeout();
    watchdog_ = std::make_unique<Watchdog>(
        io_, notifier_, *interval, Watchdog::deadline_for(config_.poll.fast_interval, timeout));
    watchdog_->progress();
    watchdog_->start();
  }
  tick();
  // Ready once the loop serves: neither the broker nor the inverter has to be reachable.
  asio::post(io_, [this] {
    notifier_.ready();
    update_status();
    log_->info("rct2mqtt {} running: {} inverter(s), broker {}", RCT2MQTT_VERSION,
               config_.inverters.size(), config_.mqtt.uri);
  });
  io_.run();
  return 0;
}

int App::remove_discovery(std::chrono::milliseconds timeout) {
  int code = 1;
  std::vector<DiscoveryMessage> messages;
  for (const auto& [id, rec] : state_.inverters) {
    if (!rec.discovery) continue;
    for (auto& m : removal_messages(*rec.discovery)) messages.push_back(std::move(m));
  }
  struct Once final : MqttObserver {
    std::function<void()> fn;
    void on_connected() override {
      if (fn) std::exchange(fn, nullptr)();
    }
    void on_connection_lost(std::string_view) override {}
    void on_connect_failed(std::string_view) override {}
    void on_message(const MqttMessage&) override {}
  } once;
  once.fn = [&] {
    for (const auto& m : messages) mqtt_->publish(m.topic, m.payload, 1, true);
    log_->info("removed {} discovery configs", messages.size());
    code = 0;
    stop_timer_.cancel();
    mqtt_->disconnect(kStopTimeout, [this] { io_.stop(); });
  };
  mqtt_->set_observer(&once);
  mqtt_->connect(MqttWill{bridge_status_topic(config_.mqtt.base_topic), std::string(kOffline)});
  stop_timer_.expires_after(timeout);
  stop_timer_.async_wait([this](const std::error_code& ec) {
    if (ec) return;
    log_->error("broker {} not reached in time", config_.mqtt.uri);
    io_.stop();
  });
  io_.run();
  mqtt_->set_observer(this);
  if (code == 0) {
    for (auto& [id, rec] : state_.inverters) rec.discovery.reset();
    state_dirty_ = true;
    save_state(true);
  }
  return code;
}

void App::on_connected() {
  log_->info("MQTT connected to {}", config_.mqtt.uri);
  publish(bridge_status_topic(config_.mqtt.base_topic), kOnline, 1, true);
  for (auto& s : sessions_) s->republish_all();
  update_status();
}

void App::on_connection_lost(std::string_view reason) {
  log_->warn("MQTT connection lost: {}", reason);
  update_status();
}

void App::on_connect_failed(std::string_view reason) {
  log_->debug("MQTT connect failed: {}", reason);
}

void App::on_message(const MqttMessage& message) {
  if (auto target = parse_command_topic(config_.mqtt.base_topic, message.topic)) {
    on_command(*target, message);
    return;
  }
  if (!config_.homeassistant.enabled || message.topic != config_.homeassistant.birth_topic ||
      message.payload != "online" || stopping_) {
    return;
  }
  // Spread the republish so that many bridges do not answer HA's birth at the same instant.
  const auto max_ms = std::max<std::int64_t>(0, config_.homeassistant.republish_delay_max.count());
  std::uniform_int_distribution<std::int64_t> dist(0, max_ms);
  birth_timer_.expires_after(std::chrono::milliseconds{dist(rng_)});
  birth_timer_.async_wait([this](const std::error_code& ec) {
    if (ec || stopping_) return;
    log_->info("Home Assistant online: republishing discovery");
    for (auto& s : sessions_) s->republish_all();
  });
}

void App::on_command(const CommandTarget& target, const MqttMessage& message) {
  if (stopping_) return;
  if (message.retained) {
    // A retained command would be carried out again on every reconnect (docs/mqtt.md §7.2).
    log_->info(
        "ignoring the retained command on {}: commands are never taken from the "
        "broker's retained store (clear it with an empty retained message)",
        loggable(message.topic, 200));
    return;
  }
  for (auto& s : sessions_) {
    if (!s->serial().empty() && topic_id(s->serial()) == target.serial) {
      s->handle_command(target.key, message.payload);
      return;
    }
  }
  auto parsed = parse_command_payload(message.payload);
  WriteResult r;
  r.id = parsed ? parsed->id : parsed.error().id;
  r.key = target.key;
  r.outcome = "rejected";
  r.reason = std::string(kReasonUnknownInverter);
  r.message = "no inverter with serial '" + loggable(target.serial) + "' is known to this bridge";
  log_->info("{}", audit_command(
                       target.serial, target.key,
                       parsed ? command_value_text(*parsed) : "'" + loggable(message.payload) + "'",
                       r.id));
  log_->info("{}", audit_outcome(target.serial, r));
  // Beside the command topic as it came (its serial level need not be topic_id-clean).
  publish(message.topic + "/result", result_payload(r, std::chrono::system_clock::now()), 1, false);
}

bool App::publish(std::string_view topic, std::string_view payload, int qos, bool retain) {
  return mqtt_->publish(topic, payload, qos, retain);
}

InverterRecord& App::record(std::string_view serial_id) {
  return state_.inverters[std::string(serial_id)];
}

void App::state_changed() {
  state_dirty_ = true;
}

void App::progress() {
  if (watchdog_) watchdog_->progress();
}

void App::status_changed() {
  update_status();
}

void App::update_status() {
  std::string text = fmt::format("mqtt {}", mqtt_->connected() ? "connected" : "disconnected");
  for (const auto& s : sessions_) {
    text += fmt::format("; {} {}{}", s->inverter().name,
                        s->online() ? "online" : (s->link_up() ? "connected" : "unreachable"),
                        s->serial().empty() ? "" : fmt::format(" ({})", s->serial()));
  }
  if (text == last_status_) return;
  last_status_ = text;
  notifier_.status(text);
}

void App::tick() {
  progress();
  update_status();
  save_state(false);
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const std::error_code& ec) {
    if (ec || stopping_) return;
    tick();
  });
}

void App::save_state(bool force) {
  if (!state_dirty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && last_save_ != std::chrono::steady_clock::time_point{} &&
      now - last_save_ < kSaveInterval) {
    return;
  }
  last_save_ = now;
  auto saved = save_state_file(state_path_, state_);
  if (saved) {
    state_dirty_ = false;
  } else {
    log_->error("cannot write state file {}: {}", state_path_.string(), saved.error());
  }
}

void App::on_signal(Signal s) {
  switch (s) {
    case Signal::kHangup:
      reload();
      return;
    case Signal::kInterrupt:
    case Signal::kTerminate:
      log_->info("{}: stopping", signal_name(s));
      shutdown();
      return;
  }
}

void App::reload() {
  if (stopping_) return;
  notifier_.reloading();
  log_->info("SIGHUP: reloading {}", config_path_.string());
  auto loaded = load_config(config_path_, Environment::from_process(), value_catalog(registry_));
  if (!loaded) {
    for (const auto& e : loaded.error()) log_->error("{}", e.to_string());
    log_->error("configuration not reloaded, keeping the running one");
    notifier_.ready();
    return;
  }
  Config next = std::move(loaded.value());
  if (next.state_dir != config_.state_dir) {
    log_->warn("a changed state_dir takes effect after a restart; keeping {}", config_.state_dir);
    next.state_dir = config_.state_dir;
  }
  const bool reconnect_mqtt = !(next.mqtt == config_.mqtt) ||
                              next.homeassistant.enabled != config_.homeassistant.enabled ||
                              next.homeassistant.birth_topic != config_.homeassistant.birth_topic;
  apply_log_level(*log_, next.logging.level);
  std::vector<std::unique_ptr<InverterSession>> sessions;
  for (std::size_t i = 0; i < next.inverters.size(); ++i) {
    if (i < sessions_.size() && sessions_[i]->same_connection(next, i)) {
      sessions_[i]->apply_config(next);
      sessions.push_back(std::move(sessions_[i]));
    } else {
      // Host, port or address changed (or a new inverter): a new connection.
      if (i < sessions_.size()) sessions_[i]->stop();
      sessions.push_back(std::make_unique<InverterSession>(io_, registry_, host(), log_, next, i));
      sessions.back()->start();
    }
  }
  for (std::size_t i = next.inverters.size(); i < sessions_.size(); ++i) sessions_[i]->stop();
  sessions_ = std::move(sessions);
  const std::string old_bridge_topic = bridge_status_topic(config_.mqtt.base_topic);
  config_ = std::move(next);
  if (reconnect_mqtt) replace_mqtt_client(old_bridge_topic);
  save_state(true);
  log_->info("configuration reloaded");
  notifier_.ready();
  update_status();
}

void App::replace_mqtt_client(const std::string& old_bridge_topic) {
  log_->info("[mqtt] or Home Assistant birth settings changed: reconnecting to {}",
             config_.mqtt.uri);
  if (mqtt_replacing_) return;  // the pending replacement connects with the newest config_
  mqtt_replacing_ = true;
  // A clean disconnect does not fire the old LWT: say offline on the old connection first.
  publish(old_bridge_topic, kOffline, 1, true);
  mqtt_->set_observer(nullptr);
  // The new client connects only once the old one is gone: with the same client id, a broker
  // would otherwise take the old session over and might send its will after our "online".
  mqtt_->disconnect(kStopTimeout, [this] {
    // Replaced from a fresh handler, never from inside the old client's own callback.
    asio::post(io_, [this] {
      mqtt_replacing_ = false;
      if (stopping_) return;
      mqtt_ = std::make_unique<PahoMqttClient>(io_, config_.mqtt);
      mqtt_->set_observer(this);
      connect_mqtt();
      update_status();
    });
  });
}

void App::connect_mqtt() {
  if (config_.homeassistant.enabled) mqtt_->subscribe(config_.homeassistant.birth_topic, 1);
  // Always, writes enabled or not: a command is answered (rejected: writes_disabled) either way.
  mqtt_->subscribe(setting_command_filter(config_.mqtt.base_topic), 1);
  mqtt_->connect(MqttWill{bridge_status_topic(config_.mqtt.base_topic), std::string(kOffline)});
}

void App::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  notifier_.stopping();
  tick_timer_.cancel();
  birth_timer_.cancel();
  // Commands are refused from now on (stopping_). A battery we hold in strategy External is
  // handed back first: after the exit nothing would revert it. The watchdog keeps running.
  auto pending = std::make_shared<std::size_t>(sessions_.size() + 1);
  auto one_done = [this, pending] {
    if (*pending == 0 || --*pending > 0) return;
    stop_timer_.cancel();
    finish_shutdown();
  };
  stop_timer_.expires_after(kStopRevertTimeout);
  stop_timer_.async_wait([this, pending](const std::error_code& ec) {
    if (ec || *pending == 0) return;
    *pending = 0;
    log_->warn("dead-man reverts not answered within {} s: stopping without them",
               std::chrono::duration_cast<std::chrono::seconds>(kStopRevertTimeout).count());
    finish_shutdown();
  });
  for (auto& s : sessions_) s->revert_before_stop(one_done);
  one_done();
}

void App::finish_shutdown() {
  if (watchdog_) watchdog_->stop();
  for (auto& s : sessions_) s->stop();
  state_dirty_ = state_dirty_ || !sessions_.empty();
  save_state(true);
  if (signals_) signals_->cancel();
  // The LWT is not sent on a clean disconnect: say offline ourselves.
  publish(bridge_status_topic(config_.mqtt.base_topic), kOffline, 1, true);
  mqtt_->disconnect(kStopTimeout, [this] {
    sessions_.clear();
    io_.stop();
  });
}

}  // namespace rct::daemon
