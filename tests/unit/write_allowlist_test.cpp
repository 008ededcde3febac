#include "core/write_allowlist.h"

#include <algorithm>
#include <cmath>
#include <regex>
#include <set>
#include <string>

#include "core/enum_tables.h"
#include "core/frame_encoder.h"
#include "core/hex.h"
#include "core/registry.h"
#include "core/write_validation.h"
#include "tests/support/catch.h"

using rct::DataType;
using rct::InputUnit;
using rct::RejectReason;
using rct::WritableEntry;
using rct::WriteKind;

namespace {

bool multiple_of(double v, double step) {
  const double q = v / step;
  return std::fabs(q - std::round(q)) < 1e-9;
}

}  // namespace

TEST_CASE("every allowlisted OID is in the registry under its name with the registry's types",
          "[write_allowlist]") {
  const rct::Registry registry;
  REQUIRE_FALSE(rct::writable_entries().empty());
  for (const WritableEntry& e : rct::writable_entries()) {
    INFO(e.name);
    const rct::OidInfo* info = registry.find(e.oid);
    REQUIRE(info != nullptr);
    CHECK(info->name == e.name);
    CHECK(info->request_type == e.type);
    CHECK(info->response_type == e.type);
    CHECK(rct::find_writable(e.oid) == &e);
    CHECK(rct::find_writable(e.name) == &e);
    CHECK(rct::find_writable_key(e.key) == &e);
  }
}

TEST_CASE("the allowlist holds exactly the start set of docs/protocol.md §13",
          "[write_allowlist]") {
  const std::set<std::string> expected = {"power_mng.soc_strategy",
                                          "power_mng.soc_target_set",
                                          "power_mng.soc_min",
                                          "power_mng.soc_max",
                                          "power_mng.soc_min_island",
                                          "power_mng.battery_power_extern",
                                          "power_mng.use_grid_power_enable",
                                          "power_mng.soc_charge_power",
                                          "p_rec_lim[1]",
                                          "buf_v_control.power_reduction"};
  std::set<std::string> actual;
  for (const WritableEntry& e : rct::writable_entries()) actual.insert(std::string(e.name));
  CHECK(actual == expected);
}

TEST_CASE("com_service, the flash trigger, is not writable by name, by id or by any policy",
          "[write_allowlist]") {
  CHECK(rct::find_writable(rct::kOidComService) == nullptr);
  CHECK(rct::find_writable(std::string_view("com_service")) == nullptr);
  for (const WritableEntry& e : rct::writable_entries()) CHECK(e.oid != rct::kOidComService);

  // Even a policy that names it explicitly, for every value of its enum (5 = flash parameters).
  rct::WritePolicy policy = rct::allow_every_writable();
  policy.allowed.push_back(rct::kOidComService);
  for (const rct::EnumEntry& v : rct::enum_entries(rct::kOidComService)) {
    INFO("com_service = " << int(v.value));
    for (InputUnit unit : {InputUnit::kUser, InputUnit::kWire}) {
      auto by_text = rct::prepare_write(policy, rct::kOidComService, std::to_string(v.value), unit);
      REQUIRE_FALSE(by_text.ok());
      CHECK(by_text.error().reason == RejectReason::kNotAllowlisted);
      auto by_number =
          rct::prepare_write(policy, rct::kOidComService, static_cast<double>(v.value), unit);
      REQUIRE_FALSE(by_number.ok());
      CHECK(by_number.error().reason == RejectReason::kNotAllowlisted);
      auto whole = rct::validate_write(policy, rct::kOidComService, "5", unit, {});
      REQUIRE_FALSE(whole.ok());
      CHECK(whole.error().reason == RejectReason::kNotAllowlisted);
      CHECK(whole.error().message.find("0x8FC89B10") != std::string::npos);
    }
  }
}

TEST_CASE("allowlist keys are unique snake_case words and every entry has a note",
          "[write_allowlist]") {
  const std::regex snake("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  std::set<std::string_view> keys;
  for (const WritableEntry& e : rct::writable_entries()) {
    INFO(e.name);
    CHECK(std::regex_match(std::string(e.key), snake));
    CHECK(keys.insert(e.key).second);
    CHECK_FALSE(e.note.empty());
  }
}

TEST_CASE("bounds of every allowlisted number are consistent with its step and wire range",
          "[write_allowlist]") {
  for (const WritableEntry& e : rct::writable_entries()) {
    INFO(e.name);
    CHECK(e.min < e.max);
    CHECK(e.step > 0);
    CHECK(multiple_of(e.min, e.step));
    CHECK(multiple_of(e.max, e.step));
    switch (rct::write_kind(e)) {
      case WriteKind::kNumber:
        CHECK(e.type == DataType::kFloat);
        if (e.unit == "%") {
          // A fraction on the wire, percent for people; never beyond 0..1 on the wire.
          CHECK(e.scale == 100.0);
          CHECK(e.min >= 0.0);
          CHECK(e.max <= 100.0);
        } else {
          CHECK(e.scale == 1.0);
        }
        break;
      case WriteKind::kEnum:
        CHECK(e.type == DataType::kEnum);
        CHECK(e.scale == 1.0);
        break;
      case WriteKind::kBool:
        CHECK(e.type == DataType::kBool);
        CHECK(e.min == 0.0);
        CHECK(e.max == 1.0);
        break;
    }
  }
}

TEST_CASE("power bounds are within ±6000 W and the external battery power is symmetric",
          "[write_allowlist]") {
  for (const WritableEntry& e : rct::writable_entries()) {
    if (e.unit != "W") continue;
    INFO(e.name);
    CHECK(e.max <= 6000.0);
    CHECK(e.min >= -6000.0);
  }
  const WritableEntry* extern_power = rct::find_writable(rct::kOidBatteryPowerExtern);
  REQUIRE(extern_power != nullptr);
  CHECK(extern_power->min == -extern_power->max);
  CHECK(extern_power->key == "battery_power_extern");
}

TEST_CASE("the SOC strategy is an enum setting whose options are the six labels of its enum",
          "[write_allowlist]") {
  const WritableEntry* e = rct::find_writable_key("soc_strategy");
  REQUIRE(e != nullptr);
  CHECK(rct::write_kind(*e) == WriteKind::kEnum);
  const auto options = rct::enum_options(*e);
  REQUIRE(options.size() == 6);
  CHECK(options[2].value == 2);
  CHECK(options[2].text == "External");
  CHECK(options[4].text == "Internal");
  for (std::size_t i = 0; i < options.size(); ++i) CHECK(options[i].value == i);
  // Other kinds have no options.
  CHECK(rct::enum_options(*rct::find_writable_key("soc_min")).empty());
  CHECK(rct::enum_options(*rct::find_writable_key("grid_charging")).empty());
}

TEST_CASE("an enum setting offers every value of its bounds, each under a label of its own",
          "[write_allowlist]") {
  // A label names one value: commands may give the label, and Home Assistant's select needs
  // distinct options.
  for (const WritableEntry& e : rct::writable_entries()) {
    if (rct::write_kind(e) != WriteKind::kEnum) continue;
    INFO(e.name);
    const auto options = rct::enum_options(e);
    CHECK(options.size() == static_cast<std::size_t>(e.max - e.min) + 1);
    std::set<std::string_view> labels;
    for (const rct::EnumEntry& o : options) {
      CHECK_FALSE(o.text.empty());
      CHECK(labels.insert(o.text).second);
    }
  }
}

TEST_CASE("the kind of a setting follows from its type", "[write_allowlist]") {
  CHECK(rct::write_kind(DataType::kBool) == WriteKind::kBool);
  CHECK(rct::write_kind(DataType::kEnum) == WriteKind::kEnum);
  CHECK(rct::write_kind(DataType::kFloat) == WriteKind::kNumber);
  CHECK(rct::write_kind(DataType::kUint8) == WriteKind::kNumber);
  CHECK(rct::write_kind(*rct::find_writable_key("grid_charging")) == WriteKind::kBool);
  CHECK(rct::write_kind(*rct::find_writable_key("soc_min")) == WriteKind::kNumber);
}

TEST_CASE("interlocks are attached where docs/protocol.md §13 and §14.2 need them",
          "[write_allowlist]") {
  using rct::has_interlock;
  using rct::Interlock;
  const auto* strategy = rct::find_writable(rct::kOidSocStrategy);
  const auto* power = rct::find_writable(rct::kOidBatteryPowerExtern);
  const auto* soc_min = rct::find_writable(rct::kOidSocMin);
  const auto* soc_max = rct::find_writable(rct::kOidSocMax);
  const auto* island = rct::find_writable(rct::kOidSocMinIsland);
  REQUIRE(strategy != nullptr);
  REQUIRE(power != nullptr);
  REQUIRE(soc_min != nullptr);
  REQUIRE(soc_max != nullptr);
  REQUIRE(island != nullptr);
  CHECK(has_interlock(strategy->interlocks, Interlock::kBatteryBits));
  CHECK(has_interlock(strategy->interlocks, Interlock::kExternPowerZero));
  CHECK(has_interlock(power->interlocks, Interlock::kBatteryBits));
  CHECK(has_interlock(power->interlocks, Interlock::kStrategyExternal));
  // Only the two writes that give the battery away carry the battery bits interlock.
  for (const rct::WritableEntry& e : rct::writable_entries()) {
    INFO(e.name);
    CHECK(has_interlock(e.interlocks, Interlock::kBatteryBits) == (&e == strategy || &e == power));
  }
  CHECK(has_interlock(soc_min->interlocks, Interlock::kNotAboveSocMax));
  CHECK(has_interlock(soc_min->interlocks, Interlock::kNotAboveSoc));
  CHECK(has_interlock(island->interlocks, Interlock::kNotAboveSocMax));
  CHECK(has_interlock(soc_max->interlocks, Interlock::kNotBelowSocMins));
  std::set<std::string_view> names;
  for (Interlock i : rct::kAllInterlocks) CHECK(names.insert(rct::interlock_name(i)).second);
}

TEST_CASE("prepared writes encode to the WRITE frames of docs/protocol.md §19 TC10 and TC11",
          "[write_allowlist]") {
  const rct::WritePolicy policy = rct::allow_every_writable();
  struct Row {
    std::uint32_t oid;
    const char* text;
    InputUnit unit;
    const char* frame_hex;  // docs/protocol.md §19
  };
  const Row rows[] = {
      {rct::kOidSocStrategy, "Internal", InputUnit::kUser, "2b0205f168b74804d0e6"},  // TC10
      {rct::kOidSocStrategy, "4", InputUnit::kWire, "2b0205f168b74804d0e6"},         // TC10
      {rct::kOidBatteryPowerExtern, "-1000", InputUnit::kUser,
       "2b0208bd008e29c47a000069a2"},  // TC11
  };
  for (const Row& row : rows) {
    INFO(row.text);
    auto w = rct::prepare_write(policy, row.oid, row.text, row.unit);
    REQUIRE(w.ok());
    auto frame =
        rct::encode_frame(rct::Frame{rct::Command::kWrite, std::nullopt, row.oid, w->payload});
    REQUIRE(frame.ok());
    CHECK(rct::to_hex(*frame) == row.frame_hex);
  }
}
