#include "tools/simulator/value_store.h"

#include <algorithm>
#include <bit>

#include "core/byte_order.h"
#include "core/layout_override.h"
#include "core/value_codec.h"
#include "tools/simulator/device_defaults.h"
#include "tools/simulator/house_bindings.h"

namespace rct::sim {
namespace {

// The type a device sends for `info`: a layout override's (core/layout_override.h) where the
// registry type is wrong, as for the second battery tower's modules.
DataType wire_type(const OidInfo& info) {
  const LayoutOverride* o = find_layout_override(info.name);
  return o != nullptr && o->registry_type == info.response_type ? o->layout : info.response_type;
}

std::vector<std::uint8_t> encode_static(const OidInfo& info, const Value& value) {
  const DataType type = wire_type(info);
  auto bytes = encode_value(type, value);
  if (!bytes) bytes = encode_value(type, type_default(type));
  std::vector<std::uint8_t> out = bytes ? std::move(*bytes) : std::vector<std::uint8_t>{};
  if (type == DataType::kString && out.size() < kStringBufferSize) {
    out.resize(kStringBufferSize, 0);
  }
  return out;
}

// A value as the event log shows it: up to 4 payload bytes as a big-endian number.
std::uint32_t raw_value(std::span<const std::uint8_t> payload) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < std::min<std::size_t>(payload.size(), 4); ++i) {
    v = (v << 8) | payload[i];
  }
  return v;
}

float stored_float(std::span<const std::uint8_t> payload, float fallback) {
  if (payload.size() != 4) return fallback;
  return std::bit_cast<float>(load_be32(payload));
}

}  // namespace

ValueStore::ValueStore(const Registry& registry, std::uint64_t seed, std::int64_t start_time,
                       std::size_t page_size)
    : registry_(registry), seed_(seed), model_(seed, start_time), history_(seed, page_size) {
  const auto all = registry_.all();
  entries_.resize(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    Entry& e = entries_[i];
    e.info = &all[i];
    if (e.info->response_type == DataType::kTimeSeries) {
      e.series = LoggerHistory::series_for(e.info->name);
      if (e.series) continue;
    }
    if (e.info->response_type == DataType::kEventTable) e.event_table = true;
  }
  for (const HouseBinding& b : house_bindings()) {
    if (const OidInfo* info = registry_.find(b.name)) {
      entries_[static_cast<std::size_t>(info - all.data())].measure = b.get;
    }
  }
  load_defaults();
  model_.advance_to(start_time, settings());
}

void ValueStore::load_defaults() {
  for (Entry& e : entries_) {
    if (e.series || e.event_table || e.measure != nullptr) continue;
    const std::optional<Value> v = device_default(e.info->name, seed_);
    e.stored = encode_static(*e.info, v ? *v : type_default(e.info->response_type));
  }
}

void ValueStore::reset_settings(std::int64_t now) {
  house(now);  // integrate up to now under the settings that were in force
  load_defaults();
}

ValueStore::Entry* ValueStore::find(std::uint32_t oid) {
  const OidInfo* info = registry_.find(oid);
  if (info == nullptr) return nullptr;
  return &entries_[static_cast<std::size_t>(info - registry_.all().data())];
}

const ValueStore::Entry* ValueStore::find(std::uint32_t oid) const {
  const OidInfo* info = registry_.find(oid);
  if (info == nullptr) return nullptr;
  return &entries_[static_cast<std::size_t>(info - registry_.all().data())];
}

const OidInfo* ValueStore::info(std::uint32_t oid) const {
  return registry_.find(oid);
}

bool ValueStore::is_logger(std::uint32_t oid) const {
  const Entry* e = find(oid);
  return e != nullptr && (e->series || e->event_table);
}

HouseSettings ValueStore::settings() const {
  HouseSettings s;
  auto stored = [this](std::string_view name) -> std::span<const std::uint8_t> {
    const OidInfo* info = registry_.find(name);
    if (info == nullptr) return {};
    return entries_[static_cast<std::size_t>(info - registry_.all().data())].stored;
  };
  s.soc_min = stored_float(stored("power_mng.soc_min"), 0.07f);
  s.soc_max = stored_float(stored("power_mng.soc_max"), 0.97f);
  s.battery_power_extern = stored_float(stored("power_mng.battery_power_extern"), 0.0f);
  s.power_reduction = stored_float(stored("buf_v_control.power_reduction"), 1.0f);
  s.grid_charge_trap = grid_charge_trap_.value_or(-1);
  if (auto strategy = stored("power_mng.soc_strategy"); strategy.size() == 1) {
    s.soc_strategy = strategy[0];
  }
  return s;
}

bool ValueStore::set_module_installed(std::uint32_t cells_oid, bool installed) {
  const Entry* e = find(cells_oid);
  if (e == nullptr || e->measure == nullptr ||
      wire_type(*e->info) != DataType::kBatteryModuleStatus) {
    return false;
  }
  std::erase(removed_modules_, cells_oid);
  if (!installed) removed_modules_.push_back(cells_oid);
  return true;
}

const HouseState& ValueStore::house(std::int64_t now) {
  return model_.advance_to(now, settings());
}

std::vector<std::uint8_t> ValueStore::logger_answer(Entry& e, std::uint32_t t, std::int64_t now) {
  if (e.series) return encode_timeseries(history_.query_series(model_, *e.series, t, now));
  return encode_event_table(history_.query_events(t, now));
}

std::optional<std::vector<std::uint8_t>> ValueStore::read(std::uint32_t oid, std::int64_t now) {
  Entry* e = find(oid);
  if (e == nullptr) return std::nullopt;
  if (e->series || e->event_table) {
    return logger_answer(*e, static_cast<std::uint32_t>(std::max<std::int64_t>(now, 0)), now);
  }
  if (e->measure == nullptr) return e->stored;
  if (std::find(removed_modules_.begin(), removed_modules_.end(), oid) != removed_modules_.end()) {
    return encode_value(wire_type(*e->info), Value(BatteryModuleStatus{})).value();
  }
  auto bytes = encode_value(wire_type(*e->info), e->measure(house(now)));
  if (!bytes) return std::nullopt;  // a binding of the wrong type; caught by the unit tests
  return std::move(*bytes);
}

ValueStore::WriteOutcome ValueStore::write(std::uint32_t oid, std::span<const std::uint8_t> payload,
                                           std::int64_t now) {
  Entry* e = find(oid);
  if (e == nullptr) return {WriteResult::kUnknownOid, {}};
  if (e->series || e->event_table) {
    // The query: an INT32 timestamp T (docs/protocol.md §9.1, §10.1).
    if (payload.size() != 4) return {WriteResult::kWrongSize, {}};
    return {WriteResult::kAnswered, logger_answer(*e, load_be32(payload), now)};
  }
  if (e->measure != nullptr) return {WriteResult::kReadOnly, {}};
  const DataType type = e->info->request_type;
  if (type == DataType::kString) {
    const std::size_t buffer = std::max(kStringBufferSize, e->stored.size());
    if (payload.size() > buffer) return {WriteResult::kWrongSize, {}};
  } else if (!payload_size_fits(type, payload.size())) {
    return {WriteResult::kWrongSize, {}};
  }
  // Integrate up to now under the old settings before a setting change takes effect.
  house(now);
  std::vector<std::uint8_t> value(payload.begin(), payload.end());
  if (type == DataType::kString) value.resize(std::max(kStringBufferSize, e->stored.size()), 0);
  if (type != DataType::kString) {
    history_.record_parameter_change(now, oid, raw_value(e->stored), raw_value(value));
  }
  e->stored = std::move(value);
  return {WriteResult::kStored, {}};
}

bool ValueStore::set_device_word(std::uint32_t oid, std::uint32_t word) {
  Entry* e = find(oid);
  if (e == nullptr || e->info->response_type != DataType::kUint32 || e->measure != nullptr) {
    return false;
  }
  e->stored = {static_cast<std::uint8_t>(word >> 24), static_cast<std::uint8_t>(word >> 16),
               static_cast<std::uint8_t>(word >> 8), static_cast<std::uint8_t>(word)};
  return true;
}

}  // namespace rct::sim
