#include "core/enum_tables.h"

#include <string>

#include "core/hex.h"
#include "core/registry.h"
#include "tests/support/catch.h"

using rct::DataType;

TEST_CASE("enum texts of well-known OIDs", "[enum_tables]") {
  CHECK(rct::enum_text(0x5F33284E, 13) == "Feed-in");  // prim_sm.state
  CHECK(rct::enum_text(0x5F33284E, 11) == "Battery passive");
  CHECK(rct::enum_text(0xF168B748, 4) == "Internal");  // power_mng.soc_strategy
  CHECK(rct::enum_text(0xF168B748, 2) == "External");
  CHECK(rct::enum_text(0x682CDDA1, 5) == "No battery");                 // power_mng.battery_type
  CHECK(rct::enum_text(0x8FC89B10, 17) == "Reset battery statistics");  // com_service
  CHECK(rct::enum_text(0x90F123FA, 10) == "Input S0 external power");   // io_board.io1_usage
  CHECK(rct::enum_text(0x4F330E08, 10) == "Input S0 external power");   // io_board.io2_usage
  CHECK(rct::enum_text(0x31ED1B75, 1) == "Modbus master");              // modbus.mode
  CHECK(rct::enum_text(0xC3352B17, 4) == "Q(U)");                       // nsm.rpm
  CHECK(rct::enum_text(0x0BA16A10, 2) == "Slave");                      // wifi.sockb_protocol
}

TEST_CASE("values outside a table and OIDs without one have no text", "[enum_tables]") {
  CHECK_FALSE(rct::enum_text(0x5F33284E, 14));
  CHECK_FALSE(rct::enum_text(0xF168B748, 6));
  CHECK_FALSE(rct::enum_text(0x8FC89B10, 18));
  CHECK_FALSE(rct::enum_text(0x8FC89B10, 255));
  CHECK_FALSE(rct::enum_text(0x959930BF, 0));  // battery.soc is FLOAT
  CHECK(rct::enum_entries(0x959930BF).empty());
  CHECK(rct::enum_entries(0x00000000).empty());
}

TEST_CASE("tables have the sizes of docs/protocol.md §15.6", "[enum_tables]") {
  CHECK(rct::enum_entries(0x5F33284E).size() == 14);
  CHECK(rct::enum_entries(0xF168B748).size() == 6);
  CHECK(rct::enum_entries(0x682CDDA1).size() == 8);
  CHECK(rct::enum_entries(0xC7459513).size() == 3);
  CHECK(rct::enum_entries(0x8FC89B10).size() == 18);
  CHECK(rct::enum_entries(0x90F123FA).size() == 11);
  CHECK(rct::enum_entries(0x4F330E08).size() == 11);
  CHECK(rct::enum_entries(0x792A7B79).size() == 3);
  CHECK(rct::enum_entries(0x5EE03C45).size() == 3);
  CHECK(rct::enum_entries(0xF42D4DD0).size() == 2);
  CHECK(rct::enum_entries(0x31ED1B75).size() == 2);
  CHECK(rct::enum_entries(0x7232F7AF).size() == 2);
  CHECK(rct::enum_entries(0xC3352B17).size() == 5);
  CHECK(rct::enum_entries(0x0BA16A10).size() == 3);
}

TEST_CASE("every ENUM OID has a table except the two without one", "[enum_tables]") {
  const rct::Registry registry;
  int enums = 0;
  int with_table = 0;
  for (const rct::OidInfo& info : registry.all()) {
    const auto entries = rct::enum_entries(info.id);
    INFO(rct::format_oid(info.id) << " " << info.name);
    if (info.response_type != DataType::kEnum) {
      CHECK(entries.empty());
      continue;
    }
    ++enums;
    if (info.name == "nsm.q_u_sel" || info.name == "power_mng.power_lim_src_index") {
      CHECK(entries.empty());
      continue;
    }
    ++with_table;
    REQUIRE_FALSE(entries.empty());
    CHECK(entries.front().value == 0);
    for (std::size_t i = 1; i < entries.size(); ++i) CHECK(entries[i - 1].value < entries[i].value);
    for (const rct::EnumEntry& e : entries) CHECK_FALSE(e.text.empty());
  }
  CHECK(enums == 16);
  CHECK(with_table == 14);
}
