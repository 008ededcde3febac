#include "core/battery_status.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/registry.h"
#include "tests/support/catch.h"

using rct::BatteryBlockPolicy;
using rct::BatterySummary;
using rct::BatteryWord;

namespace {

std::vector<std::string> set_names(const rct::BatteryState& s) {
  std::vector<std::string> out;
  for (const rct::BatteryBit* b : s.set_bits) out.emplace_back(b->name);
  return out;
}

}  // namespace

TEST_CASE("the battery status bits table names the bits of both words", "[battery_status]") {
  struct Want {
    BatteryWord word;
    unsigned bit;
    const char* name;
  };
  const Want wanted[] = {
      {BatteryWord::kStatus2, 3, "calibrating_charge"},
      {BatteryWord::kStatus2, 10, "calibrating_discharge"},
      {BatteryWord::kStatus2, 8, "balancing"},
      {BatteryWord::kStatus2, 9, "empty"},
      {BatteryWord::kBatStatus, 11, "balancing"},
      {BatteryWord::kBatStatus, 3, "bms_flag_8"},
      {BatteryWord::kBatStatus, 10, "bms_flag_1024"},
  };
  for (const Want& w : wanted) {
    INFO(w.name);
    bool found = false;
    for (const rct::BatteryBit& b : rct::battery_bits()) {
      if (b.word == w.word && b.bit == w.bit) {
        CHECK(b.name == w.name);
        found = true;
      }
    }
    CHECK(found);
    CHECK(rct::is_battery_bit_name(w.name));
  }
  CHECK(rct::battery_bits().size() == std::size(wanted));
  CHECK_FALSE(rct::is_battery_bit_name("calibrating"));
  CHECK(rct::battery_bit_names_text() ==
        "bms_flag_8, bms_flag_1024, balancing, calibrating_charge, empty, calibrating_discharge");
  // The OIDs are the registry's INT32 status words.
  const rct::Registry registry;
  const auto* bat_status = registry.find(rct::kOidBatteryStatus);
  const auto* status2 = registry.find(rct::kOidBatteryStatus2);
  REQUIRE(bat_status != nullptr);
  REQUIRE(status2 != nullptr);
  CHECK(bat_status->name == "battery.bat_status");
  CHECK(status2->name == "battery.status2");
  CHECK(bat_status->response_type == rct::DataType::kInt32);
  CHECK(status2->response_type == rct::DataType::kInt32);
}

TEST_CASE("both status words decode into one summary, most important first", "[battery_status]") {
  struct Row {
    int line;
    std::int32_t bat_status;
    std::int32_t status2;
    BatterySummary summary;
    std::vector<std::string> bits;
    std::size_t unknown;
  };
  const Row rows[] = {
      {__LINE__, 0, 0, BatterySummary::kNormal, {}, 0},
      // Current firmware: 1032 and 2048 are normal operation (docs/protocol.md §14.2).
      {__LINE__, 1032, 0, BatterySummary::kNormal, {"bms_flag_8", "bms_flag_1024"}, 0},
      {__LINE__, 2048, 0, BatterySummary::kBalancing, {"balancing"}, 0},
      {__LINE__, 0, 256, BatterySummary::kBalancing, {"balancing"}, 0},
      {__LINE__, 2048, 256, BatterySummary::kBalancing, {"balancing", "balancing"}, 0},
      {__LINE__, 0, 8, BatterySummary::kCalibratingCharge, {"calibrating_charge"}, 0},
      {__LINE__, 0, 1024, BatterySummary::kCalibratingDischarge, {"calibrating_discharge"}, 0},
      {__LINE__, 0, 512, BatterySummary::kEmpty, {"empty"}, 0},
      {__LINE__, 0, 32, BatterySummary::kUnknownBits, {}, 1},
      {__LINE__, 1 << 20, 0, BatterySummary::kUnknownBits, {}, 1},
      // Precedence: calibrating > empty > unknown bits > balancing > normal.
      {__LINE__,
       2048,
       8 | 512 | 32 | 256,
       BatterySummary::kCalibratingCharge,
       {"balancing", "calibrating_charge", "balancing", "empty"},
       1},
      {__LINE__, 0, 512 | 32 | 256, BatterySummary::kEmpty, {"balancing", "empty"}, 1},
      {__LINE__, 2048, 32, BatterySummary::kUnknownBits, {"balancing"}, 1},
      // Every bit of both words: the sign bit is an ordinary (unknown) bit.
      {__LINE__,
       -1,
       -1,
       BatterySummary::kCalibratingCharge,
       {"bms_flag_8", "bms_flag_1024", "balancing", "calibrating_charge", "balancing", "empty",
        "calibrating_discharge"},
       64 - 7},
  };
  for (const Row& row : rows) {
    INFO("battery_status_test.cpp:" << row.line);
    const rct::BatteryState s = rct::decode_battery_state(row.bat_status, row.status2);
    CHECK(s.bat_status == row.bat_status);
    CHECK(s.status2 == row.status2);
    CHECK(s.summary == row.summary);
    CHECK(set_names(s) == row.bits);
    CHECK(s.unknown_bits.size() == row.unknown);
  }
  const rct::BatteryState odd = rct::decode_battery_state(1 << 20, 32 | (1 << 31));
  REQUIRE(odd.unknown_bits.size() == 3);
  CHECK(odd.unknown_bits[0] == rct::UnknownBatteryBit{BatteryWord::kBatStatus, 20});
  CHECK(odd.unknown_bits[1] == rct::UnknownBatteryBit{BatteryWord::kStatus2, 5});
  CHECK(odd.unknown_bits[2] == rct::UnknownBatteryBit{BatteryWord::kStatus2, 31});
  CHECK(rct::battery_bit_text(BatteryWord::kStatus2, 31) == "battery.status2 bit 31 (2147483648)");
}

TEST_CASE("summaries read as the battery state sensor publishes them", "[battery_status]") {
  std::set<std::string_view> seen;
  for (BatterySummary s :
       {BatterySummary::kCalibratingCharge, BatterySummary::kCalibratingDischarge,
        BatterySummary::kEmpty, BatterySummary::kUnknownBits, BatterySummary::kBalancing,
        BatterySummary::kNormal}) {
    CHECK(seen.insert(rct::battery_summary_text(s)).second);
  }
  CHECK(rct::battery_summary_text(BatterySummary::kCalibratingCharge) == "calibrating (charge)");
  CHECK(rct::battery_summary_text(BatterySummary::kCalibratingDischarge) ==
        "calibrating (discharge)");
  CHECK(rct::battery_summary_text(BatterySummary::kUnknownBits) == "unknown bits");
  CHECK(rct::battery_summary_text(BatterySummary::kNormal) == "normal");
}

TEST_CASE("the block policy refuses the bits it names and names the first one set",
          "[battery_status]") {
  const BatteryBlockPolicy standard;
  std::vector<std::string> defaults;
  for (std::string_view n : rct::kDefaultBlockedBatteryBits) defaults.emplace_back(n);
  CHECK(rct::battery_block_policy(defaults, false) == standard);

  auto reason = [](const BatteryBlockPolicy& p, std::int32_t bat_status, std::int32_t status2) {
    return rct::battery_block_reason(p, rct::decode_battery_state(bat_status, status2));
  };
  // Normal operation on every firmware passes the default.
  for (std::int32_t bat_status : {0, 8, 1024, 1032, 2048}) {
    INFO(bat_status);
    CHECK_FALSE(reason(standard, bat_status, 0).has_value());
    CHECK_FALSE(reason(standard, bat_status, 256).has_value());
  }
  CHECK_FALSE(reason(standard, 0, 512).has_value());
  CHECK_FALSE(reason(standard, 0, 1 << 12).has_value());
  CHECK(reason(standard, 2048, 8) ==
        "is calibrating (charge phase): battery.status2 bit 3 (8) is set");
  CHECK(reason(standard, 0, 1024 | 8) ==
        "is calibrating (charge phase): battery.status2 bit 3 (8) is set");
  CHECK(reason(standard, 0, 1024) ==
        "is calibrating (discharge phase): battery.status2 bit 10 (1024) is set");

  const std::vector<std::string> balancing = {"balancing"};
  const BatteryBlockPolicy strict = rct::battery_block_policy(balancing, true);
  CHECK(strict.bat_status == 2048u);
  CHECK(strict.status2 == 256u);
  CHECK(strict.unknown);
  CHECK_FALSE(reason(strict, 1032, 8).has_value());
  CHECK(reason(strict, 2048, 0) ==
        "is balancing its cells: battery.bat_status bit 11 (2048) is set");
  CHECK(reason(strict, 0, 1 << 12) ==
        "reports an unknown status bit: battery.status2 bit 12 (4096) is set");
  CHECK(reason(strict, 1 << 4, 0) ==
        "reports an unknown status bit: battery.bat_status bit 4 (16) is set");
}
