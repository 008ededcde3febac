// libFuzzer target for the write validation (core/write_validation.h): what any MQTT client on
// the broker, or a mistyped `rctclient write-value`, can put in front of the allowlist.
// Input: byte 0 picks the allowlisted entry, the input unit and whether bytes 1..8 are taken as
// a number (a double) or the rest as text; the bytes after that are device values for the
// interlocks. Invariants (abort on violation):
// - a prepared write is for the entry asked for, its wire value is of the entry's type, its
//   payload decodes to that value, its user value lies within min..max, and a read-back of the
//   same value matches;
// - a write prepared in wire units gives the same wire value when asked again in user units;
// - the user text of the prepared value is accepted again and gives the same payload (what
//   Home Assistant shows can be sent back unchanged);
// - rejections carry a one-line message; the interlocks never crash on any device values.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "core/value.h"
#include "core/value_codec.h"
#include "core/write_allowlist.h"
#include "core/write_validation.h"

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

void check_rejection(const rct::WriteRejection& r) {
  check(!r.message.empty());
  check(r.message.find('\n') == std::string::npos);
  check(!rct::reject_reason_name(r.reason).empty());
}

void check_prepared(const rct::PreparedWrite& w, const rct::WritableEntry& entry,
                    const rct::WritePolicy& policy) {
  check(w.entry == &entry);
  const auto decoded = rct::decode_value(entry.type, w.payload);
  check(decoded.ok());
  check(*decoded == w.value);
  check(rct::readback_matches(w, w.value));
  check(std::isfinite(w.user_value));
  const double slack = 1e-6 * std::max(1.0, std::fabs(entry.max));
  check(w.user_value >= entry.min - slack && w.user_value <= entry.max + slack);
  const auto shown = rct::user_value(entry, w.value);
  check(shown.has_value());
  // What the state topic shows for this value is a command that writes the same bytes.
  const std::string text = rct::user_text(entry, w.value);
  const auto again = rct::prepare_write(policy, entry.oid, text, rct::InputUnit::kUser);
  check(again.ok());
  check(again->payload == w.payload);
}

// Device values for the interlocks, each from 4 bytes of the input (missing ones stay unread).
rct::CurrentValues current_values(std::span<const std::uint8_t> bytes) {
  rct::CurrentValues out;
  auto take = [&](std::uint32_t& v) {
    if (bytes.size() < 4) return false;
    std::memcpy(&v, bytes.data(), 4);
    bytes = bytes.subspan(4);
    return true;
  };
  std::uint32_t v = 0;
  if (take(v)) out[rct::kOidBatteryStatus] = static_cast<std::int32_t>(v);
  if (take(v)) out[rct::kOidBatterySoc] = std::bit_cast<float>(v);
  if (take(v)) out[rct::kOidSocMax] = std::bit_cast<float>(v);
  if (take(v)) out[rct::kOidSocMin] = std::bit_cast<float>(v);
  if (take(v)) out[rct::kOidSocMinIsland] = std::bit_cast<float>(v);
  if (take(v)) out[rct::kOidSocStrategy] = rct::EnumValue{static_cast<std::uint8_t>(v)};
  if (take(v)) out[rct::kOidBatteryPowerExtern] = std::bit_cast<float>(v);
  if (take(v)) out[rct::kOidBatteryStatus2] = static_cast<std::int32_t>(v);
  return out;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto entries = rct::writable_entries();
  const std::uint8_t config = data[0];
  const rct::WritableEntry& entry = entries[(config >> 2) % entries.size()];
  const rct::InputUnit unit = (config & 0x01) != 0 ? rct::InputUnit::kWire : rct::InputUnit::kUser;
  const bool as_number = (config & 0x02) != 0;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  const rct::WritePolicy policy = rct::allow_every_writable();

  rct::Result<rct::PreparedWrite, rct::WriteRejection> prepared =
      rct::WriteRejection{rct::RejectReason::kUnparseable, "no input"};
  if (as_number) {
    if (rest.size() < 8) return 0;
    double number = 0.0;
    std::memcpy(&number, rest.data(), 8);
    rest = rest.subspan(8);
    prepared = rct::prepare_write(policy, entry.oid, number, unit);
  } else {
    const auto end = std::find(rest.begin(), rest.end(), std::uint8_t{0});
    const std::string_view text(reinterpret_cast<const char*>(rest.data()),
                                static_cast<std::size_t>(end - rest.begin()));
    rest = rest.subspan(end == rest.end() ? rest.size() : text.size() + 1);
    prepared = rct::prepare_write(policy, entry.oid, text, unit);
  }
  if (!prepared) {
    check_rejection(prepared.error());
    return 0;
  }
  check_prepared(*prepared, entry, policy);
  if (unit == rct::InputUnit::kWire) {
    const auto user =
        rct::prepare_write(policy, entry.oid, prepared->user_value, rct::InputUnit::kUser);
    check(user.ok());
    check(user->value == prepared->value);
  }
  // Writes disabled, or the entry not allowed: refused whatever the value.
  const auto off = rct::prepare_write(rct::WritePolicy{}, entry.oid, prepared->user_value,
                                      rct::InputUnit::kUser);
  check(!off.ok());
  const rct::CurrentValues current = current_values(rest);
  // The interlocks read only device values this target can supply.
  for (const std::uint32_t oid : rct::interlock_reads(*prepared)) {
    check(oid == rct::kOidBatteryStatus || oid == rct::kOidBatteryStatus2 ||
          oid == rct::kOidBatterySoc || oid == rct::kOidSocMax || oid == rct::kOidSocMin ||
          oid == rct::kOidSocMinIsland || oid == rct::kOidSocStrategy ||
          oid == rct::kOidBatteryPowerExtern);
  }
  const auto verdict = rct::check_interlocks(policy, *prepared, current);
  if (!verdict) {
    check(verdict.error().reason == rct::RejectReason::kInterlock);
    check_rejection(verdict.error());
  }
  return 0;
}
