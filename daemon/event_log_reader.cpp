#include "daemon/event_log_reader.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/event_log_types.h"

namespace rct::daemon {
namespace {

EventLogKey event_log_key(const EventEntry& e) {
  return {e.type, e.element2, e.element3, e.element4};
}

std::uint32_t clamp_seconds(std::int64_t s) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 0, 0xFFFFFFFF));
}

// Device seconds as "YYYY-MM-DDTHH:MM:SS" (the device's local time, no zone).
std::string event_log_time_text(std::uint32_t seconds) {
  const auto t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return std::string(buf, n);
}

}  // namespace

EventLogReader::EventLogReader(std::optional<EventLogPosition> position)
    : position_(std::move(position)) {}

void EventLogReader::want(Instant now) {
  if (querying_) {
    again_ = true;
    return;
  }
  if (!due_ || *due_ > now) due_ = now;
}

std::optional<EventLogQuery> EventLogReader::take_due(Instant now, WallTime wall) {
  if (querying_ || !due_ || *due_ > now) return std::nullopt;
  const std::int64_t wall_s =
      std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count();
  EventLogQuery q;
  q.to = clamp_seconds(wall_s + kAhead);
  if (position_) {
    q.from = position_->time;
  } else {
    q.single_page = true;
  }
  due_.reset();
  querying_ = true;
  query_ = q;
  return q;
}

std::vector<EventEntry> EventLogReader::on_answer(const EventTable& table, Instant now) {
  std::vector<EventEntry> fresh;
  if (!querying_) return fresh;
  querying_ = false;
  const std::uint32_t from = query_ ? query_->from : 0;
  query_.reset();
  for (const EventEntry& e : table.entries) {
    if (e.timestamp < from) continue;
    if (position_) {
      if (e.timestamp < position_->time) continue;
      if (e.timestamp == position_->time &&
          std::find(position_->at_time.begin(), position_->at_time.end(), event_log_key(e)) !=
              position_->at_time.end()) {
        continue;
      }
    }
    if (std::find(fresh.begin(), fresh.end(), e) != fresh.end()) continue;
    fresh.push_back(e);
  }
  std::stable_sort(fresh.begin(), fresh.end(), [](const EventEntry& a, const EventEntry& b) {
    return a.timestamp < b.timestamp;
  });
  if (!fresh.empty()) {
    const std::uint32_t newest = fresh.back().timestamp;
    if (!position_ || position_->time != newest) position_ = EventLogPosition{newest, {}};
    for (const EventEntry& e : fresh) {
      if (e.timestamp == newest) position_->at_time.push_back(event_log_key(e));
    }
  }
  if (std::exchange(again_, false)) due_ = now;
  return fresh;
}

void EventLogReader::on_failed(Instant now) {
  if (!querying_) return;
  querying_ = false;
  query_.reset();
  // Wanted again meanwhile (a reconnect whose link took the query down): at once.
  due_ = std::exchange(again_, false) ? now : now + kRetryAfter;
}

std::optional<Instant> EventLogReader::next_due() const {
  if (querying_) return std::nullopt;
  return due_;
}

std::string event_log_entry_payload(const EventEntry& entry) {
  nlohmann::ordered_json j;
  j["time"] = event_log_time_text(entry.timestamp);
  j["timestamp"] = entry.timestamp;
  j["type"] = entry.type & 0xFFu;
  char code[8];
  std::snprintf(code, sizeof code, "0x%02X", static_cast<unsigned>(entry.type & 0xFFu));
  j["code"] = code;
  const std::optional<EventLogType> known = event_log_type(entry.type);
  if (known) {
    j["name"] = std::string(known->name);
    j["text"] = std::string(known->text);
    if (known->ranged && entry.element2 != 0) j["end"] = event_log_time_text(entry.element2);
  }
  j["elements"] = {entry.element2, entry.element3, entry.element4};
  return j.dump();
}

}  // namespace rct::daemon
