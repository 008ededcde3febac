#include "daemon/inverter_figures.h"

#include <algorithm>
#include <map>
#include <string_view>
#include <variant>

namespace rct::daemon {

namespace {

// The number a published value stands for; nullopt for text.
std::optional<double> figure_number(const SensorValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

}  // namespace

InverterFigures inverter_figures(const SessionMachine& machine, const client::TrackerStats* frames,
                                 Instant now) {
  InverterFigures f;
  f.name = machine.settings().inverter.name;
  f.serial = machine.serial();
  f.link_up = machine.link_up();
  f.online = machine.online();
  f.counting_since = machine.started_at();
  if (frames != nullptr) {
    f.frames_sent = frames->sent;
    f.frames_answered = frames->completed;
    f.timeouts = frames->timeouts;
    f.requests_lost = frames->gave_up;
    f.frames_truncated = frames->truncated;
    f.frames_foreign = frames->unsolicited;
    f.frames_unknown_oid = frames->unknown_oid;
    f.frames_not_response = frames->not_response;
    f.frame_errors = frames->frame_errors;
    f.latency = frames->latency;
  }
  f.reconnects = machine.reconnects();
  f.overdue_values =
      machine.phase() == SessionMachine::Phase::kStopped ? 0 : machine.overdue_values(now);
  f.values_published = machine.values_published();
  const ValuePolicy* policy = machine.policy();
  if (policy == nullptr) return f;
  for (std::size_t r = 0; r < kRejectionCount; ++r) {
    f.values_rejected[r] = policy->rejected(static_cast<Rejection>(r));
  }
  std::map<std::string_view, std::string_view> units;
  for (const PollItem& item : machine.items()) {
    for (const SensorSpec& spec : item.sensors) units.emplace(spec.key, spec.unit);
  }
  for (const Publication& p : policy->current()) {
    const std::optional<double> number = figure_number(p.value);
    if (!number) continue;
    const auto unit = units.find(p.key);
    f.values.push_back(
        {p.key, unit == units.end() ? std::string() : std::string(unit->second), *number});
  }
  std::sort(f.values.begin(), f.values.end(),
            [](const ValueFigure& a, const ValueFigure& b) { return a.key < b.key; });
  return f;
}

}  // namespace rct::daemon
