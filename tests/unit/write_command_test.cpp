#include "daemon/write_command.h"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "daemon/topics.h"
#include "tests/support/catch.h"

using nlohmann::json;
using rct::daemon::CommandTarget;
using rct::daemon::WriteCommand;
using rct::daemon::WriteResult;

TEST_CASE("command topics name the inverter and the setting; nothing else is a command",
          "[write_command]") {
  struct Row {
    int line;
    std::string base;
    std::string topic;
    std::optional<CommandTarget> expected;
  };
  const std::vector<Row> rows{
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/settings/soc_target/set",
       CommandTarget{"0123456789", "soc_target"}},
      {__LINE__, "home/pv", "home/pv/AB_12/settings/grid_charging/set",
       CommandTarget{"AB_12", "grid_charging"}},
      // The answer topic is one level deeper and never a command (no loop).
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/settings/soc_target/set/result", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/settings/soc_target", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/battery/soc/set", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/settings//set", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqtt//settings/soc_target/set", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqttx/0123456789/settings/soc_target/set", std::nullopt},
      {__LINE__, "rct2mqtt", "other/0123456789/settings/soc_target/set", std::nullopt},
      {__LINE__, "home/pv", "home/0123456789/settings/soc_target/set", std::nullopt},
      {__LINE__, "rct2mqtt", "homeassistant/status", std::nullopt},
      // The battery mode command (daemon/battery_mode_session.h) under its own key; no setting
      // has that key.
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/battery/mode/set",
       CommandTarget{"0123456789", "battery_mode"}},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/battery/mode/set/result", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/settings/battery_mode/set", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/battery/state/set", std::nullopt},
      // The bridge's buttons (daemon/bridge_actions.h) under keys no setting can have ('/').
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/bridge/reconnect/set",
       CommandTarget{"0123456789", "bridge/reconnect"}},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/bridge/republish_discovery/set",
       CommandTarget{"0123456789", "bridge/republish_discovery"}},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/bridge/reconnect/set/result", std::nullopt},
      {__LINE__, "rct2mqtt", "rct2mqtt/0123456789/bridge/errors/set", std::nullopt},
  };
  for (const Row& row : rows) {
    INFO("row at " << __FILE__ << ":" << row.line << ": " << row.topic);
    CHECK(rct::daemon::parse_command_topic(row.base, row.topic) == row.expected);
  }
  // The topics the daemon builds are the ones it parses.
  const std::string topic = rct::daemon::setting_command_topic("a/b", "SN 1", "soc_min");
  CHECK(topic == "a/b/SN_1/settings/soc_min/set");
  CHECK(rct::daemon::parse_command_topic("a/b", topic) == CommandTarget{"SN_1", "soc_min"});
  CHECK(rct::daemon::setting_result_topic("a/b", "SN_1", "soc_min") ==
        "a/b/SN_1/settings/soc_min/set/result");
  CHECK(rct::daemon::setting_topic("a/b", "SN_1", "soc_min") == "a/b/SN_1/settings/soc_min");
  CHECK(rct::daemon::setting_command_filter("a/b") == "a/b/+/settings/+/set");
}

TEST_CASE("command payloads: plain text, JSON strings and JSON objects with an id",
          "[write_command]") {
  struct Row {
    int line;
    std::string payload;
    std::variant<std::string, double> value;
    std::string id;
  };
  const std::vector<Row> rows{
      {__LINE__, "50", std::string("50"), "null"},
      {__LINE__, " External\n", std::string("External"), "null"},
      {__LINE__, "ON", std::string("ON"), "null"},
      {__LINE__, "\"External\"", std::string("External"), "null"},
      {__LINE__, R"({"value": 50, "id": "abc"})", 50.0, "\"abc\""},
      {__LINE__, R"({"value": -1500.5})", -1500.5, "null"},
      {__LINE__, R"({"value": "External", "id": 42})", std::string("External"), "42"},
      {__LINE__, R"({"value": true, "id": null, "extra": [1]})", std::string("true"), "null"},
      {__LINE__, R"( {"id":"x\"y","value":"OFF"} )", std::string("OFF"), "\"x\\\"y\""},
  };
  for (const Row& row : rows) {
    INFO("row at " << __FILE__ << ":" << row.line << ": " << row.payload);
    const auto r = rct::daemon::parse_command_payload(row.payload);
    REQUIRE(r.ok());
    CHECK(r->value == row.value);
    CHECK(r->id == row.id);
  }
}

TEST_CASE("payloads that are no command say why and keep the id they could read",
          "[write_command]") {
  struct Row {
    int line;
    std::string payload;
    std::string message;  // substring
    std::string id;
  };
  const std::vector<Row> rows{
      {__LINE__, "", "empty", "null"},
      {__LINE__, "  \n", "empty", "null"},
      {__LINE__, "{\"value\": 5", "no valid JSON object", "null"},
      {__LINE__, "\"unterminated", "no valid JSON string", "null"},
      {__LINE__, R"({"id": "a"})", "no \"value\"", "\"a\""},
      {__LINE__, R"({"value": null, "id": 7})", "no \"value\"", "7"},
      {__LINE__, R"({"value": [1], "id": "b"})", "must be a number, a string or a boolean",
       "\"b\""},
      {__LINE__, R"({"value": 1, "id": {"x": 1}})", "\"id\" must be a string or a number", "null"},
      {__LINE__, std::string(rct::daemon::kMaxCommandPayload + 1, '1'), "longer than", "null"},
  };
  for (const Row& row : rows) {
    INFO("row at " << __FILE__ << ":" << row.line << ": " << row.payload.substr(0, 40));
    const auto r = rct::daemon::parse_command_payload(row.payload);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.error().message, Catch::Contains(row.message));
    CHECK(r.error().id == row.id);
  }
}

TEST_CASE("the result JSON carries every field of the contract, with nulls where empty",
          "[write_command]") {
  // 2024-05-01T12:00:00.250Z
  const rct::daemon::WallTime ts{std::chrono::milliseconds{1714564800250}};
  WriteResult verified;
  verified.id = "\"req-1\"";
  verified.key = "soc_target";
  verified.outcome = "verified";
  verified.message = "power_mng.soc_target_set = 42 %: verified";
  verified.value = "42";
  verified.numeric = true;
  const json v = json::parse(rct::daemon::result_payload(verified, ts));
  CHECK(v == json{{"id", "req-1"},
                  {"key", "soc_target"},
                  {"outcome", "verified"},
                  {"reason", nullptr},
                  {"message", "power_mng.soc_target_set = 42 %: verified"},
                  {"value", 42},
                  {"ts", "2024-05-01T12:00:00.250Z"}});
  // The field order is the contract's.
  const std::string raw = rct::daemon::result_payload(verified, ts);
  CHECK(raw.find("\"id\"") < raw.find("\"key\""));
  CHECK(raw.find("\"key\"") < raw.find("\"outcome\""));
  CHECK(raw.find("\"reason\"") < raw.find("\"message\""));
  CHECK(raw.find("\"value\"") < raw.find("\"ts\""));

  WriteResult rejected;
  rejected.id = "42";
  rejected.key = "soc_strategy";
  rejected.outcome = "rejected";
  rejected.reason = "bad_enum";
  rejected.message = "power_mng.soc_strategy: 'Bogus' is not one of: ...";
  const json r = json::parse(rct::daemon::result_payload(rejected, ts));
  CHECK(r.at("id") == 42);
  CHECK(r.at("reason") == "bad_enum");
  CHECK(r.at("value").is_null());

  WriteResult select;
  select.key = "soc_strategy";
  select.outcome = "verified";
  select.value = "External";
  const json s = json::parse(rct::daemon::result_payload(select, ts));
  CHECK(s.at("id").is_null());
  CHECK(s.at("value") == "External");

  // Bytes that are no UTF-8 (echoed from a command) never break the JSON.
  WriteResult odd = rejected;
  odd.message = "'\xff\xfe' is not a number";
  CHECK(json::parse(rct::daemon::result_payload(odd, ts)).at("outcome") == "rejected");
}

TEST_CASE("values from the network are made safe for one log line", "[write_command]") {
  CHECK(rct::loggable("soc_target") == "soc_target");
  CHECK(rct::loggable("a\nb\x1b[31m") == "a?b?[31m");
  CHECK(rct::loggable(std::string(100, 'x'), 10) == "xxxxxxxxxx...");
  CHECK(rct::daemon::command_value_text(WriteCommand{50.5, "null"}) == "50.5");
  CHECK(rct::daemon::command_value_text(WriteCommand{std::string("External"), "null"}) ==
        "'External'");
}

TEST_CASE("audit lines name the inverter, the setting, the request and the outcome",
          "[write_command]") {
  CHECK(rct::daemon::audit_command("0123456789", "soc_target", "50", "\"abc\"") ==
        "write 0123456789 soc_target: command 50 (id \"abc\")");
  WriteResult r;
  r.key = "soc_target";
  r.outcome = "verified";
  r.message = "power_mng.soc_target_set = 50 %: verified\nforged line";
  r.value = "50";
  CHECK(rct::daemon::audit_outcome("0123456789", r) ==
        "write 0123456789 soc_target: verified, read back 50: power_mng.soc_target_set = 50 %: "
        "verified?forged line");
  r.outcome = "rejected";
  r.reason = "out_of_range";
  r.value.reset();
  r.message = "too high";
  CHECK(rct::daemon::audit_outcome("0123456789", r) ==
        "write 0123456789 soc_target: rejected (out_of_range): too high");
}
