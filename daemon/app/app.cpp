#include "daemon/app/app.h"

#include <asio/post.hpp>
#include <system_error>
#include <utility>
#include <variant>

#include "daemon/adapters/logging.h"
#include "daemon/app/bridge_figures.h"
#include "daemon/app/discovery_removal.h"
#include "daemon/reload_plan.h"
#include "daemon/state_file.h"
#include "daemon/status_line.h"
#include "daemon/topics.h"
#include "daemon/write_command.h"
#include "daemon/write_session.h"

namespace rct::daemon {

namespace {

// The MQTT service tick: watchdog progress, STATUS= refresh, rate-limited state saves.
constexpr auto kTick = std::chrono::seconds{1};
// Counters are written at most this often (and on reload and shutdown).
constexpr auto kSaveInterval = std::chrono::seconds{60};
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

App::App(asio::io_context& io, Config config, std::filesystem::path config_path,
         std::shared_ptr<spdlog::logger> log, MqttClientFactory make_mqtt, Notifier& notifier)
    : io_(io),
      config_(std::move(config)),
      config_path_(std::move(config_path)),
      log_(std::move(log)),
      notifier_(notifier),
      save_schedule_(kSaveInterval),
      mqtt_(io_, std::move(make_mqtt), *this, config_),
      telemetry_(
          log_, [this](Instant now) { return bridge_figures(sessions_, mqtt_, now); },
          [this](const HealthMessage& m) { return publish(m.topic, m.payload, 0, true); }),
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
}

App::~App() {
  sessions_.clear();
}

std::unique_ptr<InverterSession> App::make_session(const Config& config, std::size_t index) {
  SessionHost& host = *this;
  auto session = std::make_unique<InverterSession>(io_, registry_, host, log_, config, index);
  session->start();
  return session;
}

int App::run() {
  signals_.emplace(io_, [this](Signal s) { on_signal(s); });
  start();
  while (!stopped_ && io_.run_one() > 0) {
  }
  return 0;
}

void App::start() {
  telemetry_.configure(config_);
  mqtt_.connect();
  for (std::size_t i = 0; i < config_.inverters.size(); ++i) {
    sessions_.push_back(make_session(config_, i));
  }
  if (sessions_.empty()) log_->warn("no [[inverter]] configured: idling");
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
}

int App::remove_discovery(std::chrono::milliseconds timeout) {
  const bool removed =
      remove_announced_discovery(io_, mqtt_.client(), config_.mqtt, state_, *log_, timeout);
  if (!removed) return 1;
  save_schedule_.mark_dirty();
  save_state(true);
  return 0;
}

void App::on_connected() {
  log_->info("MQTT connected to {}", config_.mqtt.uri);
  publish(bridge_status_topic(config_.mqtt.base_topic), kOnline, 1, true);
  for (auto& s : sessions_) s->republish_all();
  telemetry_.on_mqtt_connected();
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
  if (config_.homeassistant.enabled && message.topic == config_.homeassistant.birth_topic &&
      message.payload == "online" && !stopping_) {
    on_birth();
  }
}

void App::on_birth() {
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
    // A retained command would be carried out again on every reconnect (docs/mqtt.md).
    log_->info(
        "ignoring the retained command on {}: commands are never taken from the "
        "broker's retained store (clear it with an empty retained message)",
        loggable(message.topic, 200));
    return;
  }
  Effects effects;
  const std::optional<ReplyTo> reply = reply_route(
      message.topic, message.response_topic, message.correlation_data,
      {config_.mqtt.base_topic, config_.homeassistant.prefix, config_.homeassistant.birth_topic},
      effects);
  InverterSession* session = nullptr;
  for (auto& s : sessions_) {
    if (!s->serial().empty() && topic_id(s->serial()) == target.serial) session = s.get();
  }
  if (session == nullptr) {
    append(effects, refuse_unknown_inverter(target, message.topic, message.payload,
                                            std::chrono::system_clock::now(), reply));
  }
  for (const Effect& e : effects) {
    if (const auto* line = std::get_if<LogLine>(&e)) {
      log_->log(to_spdlog_level(line->level), "{}", line->text);
    } else if (const auto* p = std::get_if<Publish>(&e)) {
      publish(p->topic, p->payload, p->qos, p->retain, p->correlation_data);
    }
  }
  if (session != nullptr) session->handle_command(target.key, message.payload, reply);
}

bool App::publish(std::string_view topic, std::string_view payload, int qos, bool retain,
                  std::string_view correlation_data) {
  return mqtt_.publish(topic, payload, qos, retain, correlation_data);
}

InverterRecord& App::record(std::string_view serial_id) {
  return state_.inverters[std::string(serial_id)];
}

void App::state_changed() {
  save_schedule_.mark_dirty();
}

void App::progress() {
  if (watchdog_) watchdog_->progress();
}

void App::status_changed() {
  telemetry_.inverters_changed();
  update_status();
}

void App::update_status() {
  std::vector<InverterStatus> inverters;
  inverters.reserve(sessions_.size());
  for (const auto& s : sessions_) {
    inverters.push_back({s->inverter().name, s->online(), s->link_up(), s->serial()});
  }
  std::string text = status_line(mqtt_.connected(), inverters);
  if (text == last_status_) return;
  last_status_ = std::move(text);
  notifier_.status(last_status_);
}

void App::tick() {
  progress();
  update_status();
  telemetry_.tick();
  save_state(false);
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](const std::error_code& ec) {
    if (ec || stopping_) return;
    tick();
  });
}

void App::save_state(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!save_schedule_.due(now, force)) return;
  auto saved = save_state_file(state_path_, state_);
  save_schedule_.attempted(now, saved.ok());
  if (!saved) log_->error("cannot write state file {}: {}", state_path_.string(), saved.error());
}

void App::on_signal(Signal s) {
  switch (s) {
    case Signal::kHangup:
      log_->info("{}: reloading", signal_name(s));
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
  log_->info("reloading {}", config_path_.string());
  auto loaded = load_config(config_path_, Environment::from_process(), value_catalog(registry_));
  if (!loaded) {
    for (const auto& e : loaded.error()) log_->error("{}", e.to_string());
    log_->error("configuration not reloaded, keeping the running one");
    notifier_.ready();
    return;
  }
  Config next = std::move(loaded.value());
  const ReloadPlan plan = plan_reload(config_, next);
  if (plan.state_dir_changed) {
    log_->warn("a changed state_dir takes effect after a restart; keeping {}", config_.state_dir);
    next.state_dir = config_.state_dir;
  }
  apply_log_level(*log_, next.logging.level);
  std::vector<std::unique_ptr<InverterSession>> sessions;
  for (std::size_t i = 0; i < plan.sessions.size(); ++i) {
    switch (plan.sessions[i]) {
      case SessionChange::kKeep:
        sessions_[i]->apply_config(next);
        sessions.push_back(std::move(sessions_[i]));
        break;
      case SessionChange::kReplace:
        sessions_[i]->stop();
        sessions.push_back(make_session(next, i));
        break;
      case SessionChange::kStart:
        sessions.push_back(make_session(next, i));
        break;
    }
  }
  for (std::size_t i = plan.sessions.size(); i < sessions_.size(); ++i) sessions_[i]->stop();
  sessions_ = std::move(sessions);
  config_ = std::move(next);
  if (plan.reconnect_mqtt) {
    log_->info("[mqtt] or Home Assistant birth settings changed: reconnecting to {}",
               config_.mqtt.uri);
    mqtt_.replace(config_);
  }
  telemetry_.configure(config_);
  save_state(true);
  log_->info("configuration reloaded");
  notifier_.ready();
  update_status();
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
  telemetry_.stop();
  for (auto& s : sessions_) s->stop();
  if (!sessions_.empty()) save_schedule_.mark_dirty();
  save_state(true);
  if (signals_) signals_->cancel();
  mqtt_.close([this] {
    sessions_.clear();
    stopped_ = true;
  });
}

}  // namespace rct::daemon
