#include "config/config.h"

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "config/client_settings.h"
#include "config/config_dump.h"
#include "config/config_loader.h"
#include "config/secret.h"
#include "tests/support/catch.h"
#include "tests/support/shared_dir.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tsv.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using rct::test::TempDir;

// A few registry entries (names and OIDs from docs/protocol.md §15.4) stand in for the registry.
rct::ValueCatalog small_catalog() {
  static const std::set<std::string, std::less<>> names{
      "battery.soc", "g_sync.p_ac_grid_sum_lp", "power_mng.soc_min", "energy.e_grid_feed_total"};
  static const std::set<std::uint32_t> ids{0x959930BF, 0x91617C58, 0xCE266F0F, 0x44D4C533};
  return {[](std::string_view n) { return names.find(n) != names.end(); },
          [](std::uint32_t id) { return ids.count(id) != 0; }};
}

rct::Result<rct::Config, rct::ConfigErrors> load(const fs::path& p,
                                                 const rct::Environment& env = {}) {
  return rct::load_config(p, env, small_catalog());
}

std::string all_errors(const rct::ConfigErrors& errors) {
  return rct::format_errors(errors);
}
std::string errors_of(const rct::Result<rct::Config, rct::ConfigErrors>& r) {
  return r.ok() ? std::string{} : all_errors(r.error());
}

constexpr const char* kMinimal = R"([mqtt]
uri = "tcp://127.0.0.1:1883"

[[inverter]]
host = "192.168.1.50"
)";

}  // namespace

TEST_CASE("the minimal file from the issue loads with every default filled in", "[config]") {
  TempDir dir;
  const auto r = load(dir.write("min.toml", kMinimal));
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const rct::Config& c = r.value();

  CHECK(c.state_dir == "/var/lib/rct2mqtt");
  CHECK(c.state_dir_source == rct::StateDirSource::kDefault);
  CHECK(c.logging.level == rct::LogLevel::kInfo);

  CHECK(c.mqtt.uri == "tcp://127.0.0.1:1883");
  CHECK(c.mqtt.scheme == rct::MqttScheme::kTcp);
  CHECK(c.mqtt.protocol == rct::MqttProtocol::kV5);
  CHECK(c.mqtt.client_id.empty());
  CHECK(c.mqtt.password.empty());
  CHECK(c.mqtt.qos == 0);
  CHECK(c.mqtt.retain);
  CHECK(c.mqtt.base_topic == "rct2mqtt");
  CHECK(c.mqtt.keepalive == 30s);
  CHECK(c.mqtt.heartbeat == 300s);
  CHECK_FALSE(c.mqtt.json_aggregate);

  CHECK(c.homeassistant.enabled);
  CHECK(c.homeassistant.prefix == "homeassistant");
  CHECK(c.homeassistant.mode == rct::DiscoveryMode::kDevice);
  CHECK(c.homeassistant.birth_topic == "homeassistant/status");

  REQUIRE(c.inverters.size() == 1);
  const rct::InverterConfig& inv = c.inverters[0];
  CHECK(inv.name == "inverter1");
  CHECK(inv.host == "192.168.1.50");
  CHECK(inv.port == 8899);
  CHECK_FALSE(inv.address.has_value());
  CHECK(inv.in_flight == 1);
  CHECK(inv.request_timeout == 2s);
  CHECK(inv.request_timeout_floor == 500ms);
  CHECK(inv.frames_per_second == 5.0);

  CHECK(c.poll.defaults);
  CHECK(c.poll.fast_interval == 10s);
  CHECK(c.poll.exclude.empty());
  CHECK(c.poll.values.empty());

  CHECK_FALSE(c.writes.enabled);
  CHECK_FALSE(c.writes.dry_run);
  CHECK_FALSE(c.writes.allow.has_value());
  CHECK(c.writes.min_interval == 10s);
  CHECK(c.writes.readback_delay == 500ms);
  CHECK(c.writes.readback_interval == 500ms);
  CHECK(c.writes.readback_attempts == 4);
  CHECK(c.writes.dead_man_timeout == 120s);
  CHECK(c.writes.block_battery_bits ==
        std::vector<std::string>{"calibrating_charge", "calibrating_discharge"});
  CHECK_FALSE(c.writes.block_unknown_battery_bits);
  CHECK(rct::battery_block_policy(c.writes) == rct::BatteryBlockPolicy{});
  // Not set: every allowlisted setting.
  CHECK(rct::allowed_writable(c.writes).size() == rct::writable_entries().size());
}

TEST_CASE("an empty file is valid and leaves the bridge unconfigured", "[config]") {
  TempDir dir;
  const auto r = load(dir.write("empty.toml", ""));
  REQUIRE(r.ok());
  CHECK(r->inverters.empty());
  CHECK(r->mqtt.uri == "tcp://127.0.0.1:1883");
}

TEST_CASE("the shipped example loads and documents exactly the defaults", "[config]") {
  const fs::path example = rct::test::source_dir() / "config" / "rct2mqtt.toml";
  REQUIRE(fs::exists(example));
  const auto r = load(example);
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const rct::Config& c = r.value();
  CHECK(c.state_dir == rct::kDefaultStateDir);
  CHECK(c.logging == rct::LoggingConfig{});
  CHECK(c.mqtt == rct::MqttConfig{});
  CHECK(c.homeassistant == rct::HomeAssistantConfig{});
  CHECK(c.poll == rct::PollConfig{});
  CHECK(c.writes == rct::WritesConfig{});
  CHECK(c.metrics == rct::MetricsConfig{});
  REQUIRE(c.inverters.size() == 1);
  rct::InverterConfig expected;
  expected.name = "inverter1";
  expected.host = "192.168.1.50";
  CHECK(c.inverters[0] == expected);
}

TEST_CASE("the example's value examples use names the reference registry knows", "[config]") {
  const auto shared = rct::test::shared_dir();
  if (!shared) {
    WARN("../shared is missing: registry-backed example check skipped");
    return;
  }
  std::set<std::string, std::less<>> names;
  for (const auto& row : rct::test::read_tsv(*shared / "reference" / "registry.tsv"))
    names.insert(row["name"]);
  REQUIRE(names.size() > 800);
  // Every commented example "name = ..." / writes example in the shipped file must be real.
  std::ifstream in(rct::test::source_dir() / "config" / "rct2mqtt.toml");
  std::string line;
  int checked = 0;
  while (std::getline(in, line)) {
    for (const std::string prefix : {"#name = \"", "# [\""}) {
      if (line.rfind(prefix, 0) != 0) continue;
      std::string rest = line.substr(prefix.size());
      for (std::size_t pos = 0; pos < rest.size();) {
        const auto end = rest.find('"', pos);
        if (end == std::string::npos) break;
        const std::string name = rest.substr(pos, end - pos);
        if (name.find('.') != std::string::npos) {
          INFO("example line: " << line);
          CHECK(names.count(name) == 1);
          ++checked;
        }
        pos = rest.find('"', end + 1);
        if (pos == std::string::npos) break;
        ++pos;
      }
    }
  }
  CHECK(checked >= 3);
}

TEST_CASE("each kind of error names the exact file, line and column", "[config]") {
  struct Row {
    int src_line;
    std::string toml;
    std::uint32_t line;
    std::uint32_t column;
    std::string message;  // a substring of the message
  };
  // clang-format off
  const std::vector<Row> rows{
      {__LINE__, "[mqtt]\nuri = \"tcp://127.0.0.1:1883\"\nqso = 1\n",
       3, 1, "unknown key 'mqtt.qso' (did you mean 'qos'?)"},
      {__LINE__, "[mqt]\nuri = \"tcp://127.0.0.1:1883\"\n",
       1, 2, "unknown key 'mqt' (did you mean 'mqtt'?)"},
      {__LINE__, "[mqtt]\nqos = \"1\"\n",
       2, 7, "mqtt.qos must be an integer, not a string"},
      {__LINE__, "mqtt = 5\n",
       1, 8, "mqtt must be a table, not an integer"},
      {__LINE__, "[mqtt]\nqos = 3\n",
       2, 7, "mqtt.qos must be between 0 and 2 (got 3)"},
      {__LINE__, "[mqtt]\nprotocol = \"3\"\n",
       2, 12, "mqtt.protocol must be \"5\" or \"3.1.1\" (got '3')"},
      {__LINE__, "[mqtt]\nprotocol = 5\n",
       2, 12, "mqtt.protocol must be a string, not an integer"},
      {__LINE__, "[[inverter]]\nhost = \"h\"\nport = 70000\n",
       3, 8, "inverter[0].port must be between 1 and 65535 (got 70000)"},
      {__LINE__, "[[inverter]]\nhost = \"h\"\nin_flight = 0\n",
       3, 13, "inverter[0].in_flight must be between 1 and 16 (got 0)"},
      {__LINE__, "[[inverter]]\nhost = \"h\"\nrequest_timeout = \"2s\"\n",
       3, 19, "inverter[0].request_timeout must be a number of seconds, not a string"},
      {__LINE__, "[mqtt]\nuri = \"tcp://a:1883\"\n\n[[inverter]]\nport = 8899\n",
       4, 1, "missing required key 'inverter[0].host'"},
      {__LINE__, "[[poll.value]]\ninterval = 5\n",
       1, 1, "missing required key 'poll.value[0].name'"},
      {__LINE__, "[mqtt]\nusername = \"u\"\npassword = \"pw\"\npassword_file = \"pw.txt\"\n",
       4, 17, "mqtt.password and mqtt.password_file are mutually exclusive"},
      {__LINE__, "[mqtt]\npassword = \"pw\"\n",
       2, 12, "a password needs mqtt.username"},
      {__LINE__, "[mqtt]\nusername = \"\"\npassword = \"pw\"\n",
       3, 12, "a password needs mqtt.username"},
      {__LINE__, "[poll]\nexclude = [\"battery.soc\", \"battery.sco\"]\n",
       2, 27, "poll.exclude[1]: unknown value 'battery.sco' (not in the registry)"},
      {__LINE__, "[poll]\nexclude = [\"battery.soc\", \"battery.soc\"]\n",
       2, 27, "poll.exclude[1]: 'battery.soc' is listed twice"},
      {__LINE__, "[writes]\nallow = [\"soc_target\", \"com_service\"]\n",
       2, 24, "writes.allow[1]: 'com_service' is not a writable setting (keys: "},
      {__LINE__, "[writes]\nallow = [\"power_mng.soc_min\"]\n",
       2, 10, "writes.allow[0]: give the key 'soc_min', not 'power_mng.soc_min'"},
      {__LINE__, "[writes]\nallow = [\"0xCE266F0F\"]\n",
       2, 10, "writes.allow[0]: give the key 'soc_min', not '0xCE266F0F'"},
      {__LINE__, "[writes]\nallow = [\"soc_min\", \"soc_min\"]\n",
       2, 21, "writes.allow[1]: 'soc_min' is listed twice"},
      {__LINE__, "[writes]\nallow = [1]\n",
       2, 10, "writes.allow[0] must be a string, not an integer"},
      {__LINE__, "[writes]\nblock_battery_bits = [\"empty\", \"calibrating\"]\n",
       2, 32, "writes.block_battery_bits[1]: 'calibrating' is not a battery status bit (bits: "
              "bms_flag_8, bms_flag_1024, balancing, calibrating_charge, empty, "
              "calibrating_discharge)"},
      {__LINE__, "[writes]\nblock_battery_bits = [\"empty\", \"empty\"]\n",
       2, 32, "writes.block_battery_bits[1]: 'empty' is listed twice"},
      {__LINE__, "[writes]\nblock_battery_bits = [8]\n",
       2, 23, "writes.block_battery_bits[0] must be a string, not an integer"},
      {__LINE__, "[writes]\nblock_unknown_battery_bits = \"yes\"\n",
       2, 30, "writes.block_unknown_battery_bits must be"},
      {__LINE__, "[writes]\ndead_man_timeout = 0\n",
       2, 20, "writes.dead_man_timeout must be between"},
      {__LINE__, "[writes]\nreadback_attempts = 0\n",
       2, 21, "writes.readback_attempts must be between 1 and 20 (got 0)"},
      {__LINE__, "[writes]\nallow_all = true\n",
       2, 1, "unknown key 'writes.allow_all'"},
      {__LINE__, "[battery_modes]\neffect_window = 10\nsample_interval = 20\n",
       3, 19, "battery_modes.sample_interval must not be longer than battery_modes.effect_window"},
      {__LINE__, "[battery_modes]\nnormal_soc_min = 7.5\n",
       2, 18, "battery_modes.normal_soc_min must be a whole percent"},
      {__LINE__, "[battery_modes]\ntolerance = -1\n",
       2, 13, "battery_modes.tolerance must be between"},
      {__LINE__, "[battery_modes]\neffect_window = 0\n",
       2, 17, "battery_modes.effect_window must be between"},
      {__LINE__, "[battery_modes]\nwindow = 5\n",
       2, 1, "unknown key 'battery_modes.window'"},
      {__LINE__, "[mqtt]\nuri = \"http://broker:1883\"\n",
       2, 7, "mqtt.uri scheme 'http' is not supported"},
      {__LINE__, "[mqtt]\nuri = \"broker:1883\"\n",
       2, 7, "mqtt.uri must look like tcp://host:port"},
      {__LINE__, "[mqtt]\nuri = \"tcp://broker:99999\"\n",
       2, 7, "mqtt.uri port must be a number between 1 and 65535"},
      {__LINE__, "[mqtt]\nuri = \"tcp://broker:1883/path\"\n",
       2, 7, "mqtt.uri may have a path only with ws:// or wss://"},
      {__LINE__, "[inverter]\nhost = \"h\"\n",
       1, 1, "inverter must be an array of tables: write each one as [[inverter]]"},
      {__LINE__, "[poll]\nfast_interval = 0\n",
       2, 17, "poll.fast_interval must be between 1 and 604800 seconds (got 0)"},
      {__LINE__, "state_dir = \"var/lib/x\"\n",
       1, 13, "state_dir must be an absolute path"},
      {__LINE__, "[[inverter]]\nhost = \"a\"\n[[inverter]]\nhost = \"a\"\n",
       4, 8, "inverter[1] is the same device as inverter[0]"},
      {__LINE__, "[[inverter]]\nhost = \"a\"\n[[inverter]]\nname = \"inverter1\"\nhost = \"b\"\n",
       4, 8, "inverter[1].name 'inverter1' is already used by inverter[0]"},
      {__LINE__, "[[inverter]]\nhost = \"a\"\n[[inverter]]\nhost = \"a\"\naddress = 0x10\nin_flight = 2\n",
       6, 13, "inverter[1].in_flight differs from inverter[0].in_flight, but both use the connection to a:8899"},
      {__LINE__, "[[inverter]]\nhost = \"a\"\n[[inverter]]\nhost = \"A\"\naddress = 0x10\nrequest_timeout = 5\n",
       6, 19, "inverter[1].request_timeout differs from inverter[0].request_timeout, but both use the connection to A:8899"},
      {__LINE__, "[[inverter]]\nhost = \"a\"\n[[inverter]]\nhost = \"a\"\naddress = 0x10\nrequest_timeout_floor = 0.3\n",
       6, 25, "inverter[1].request_timeout_floor differs from inverter[0].request_timeout_floor, but both use the connection to a:8899"},
      {__LINE__, "[[inverter]]\nhost = \"h\"\nrequest_timeout = 1\nrequest_timeout_floor = 1.5\n",
       4, 25, "inverter[0].request_timeout_floor must not exceed inverter[0].request_timeout"},
      {__LINE__, "[[inverter]]\nhost = \"h\"\nrequest_timeout_floor = 0.01\n",
       3, 25, "inverter[0].request_timeout_floor must be between 0.05 and 60 seconds (got 0.01)"},
      {__LINE__, "[[inverter]]\nhost = \"a\"\nretries = 1\n[[inverter]]\nhost = \"a\"\naddress = 0x10\n",
       4, 1, "inverter[1].retries differs from inverter[0].retries, but both use the connection to a:8899"},
      {__LINE__, "[[inverter]]\nhost = \"a\"\nreconnect_min = 10\nreconnect_max = 5\n",
       4, 17, "inverter[0].reconnect_max must not be less than inverter[0].reconnect_min"},
      {__LINE__, "[mqtt]\nuri = \"tcp://a:1883\"\n[mqtt.tls]\ninsecure = true\n",
       4, 12, "mqtt.tls.insecure needs an ssl://, mqtts:// or wss:// mqtt.uri (it is tcp://)"},
      {__LINE__, "[mqtt]\nuri = \"ssl://a:8883\"\n[mqtt.tls]\nca_file = \"/nonexistent/ca.pem\"\n",
       4, 11, "mqtt.tls.ca_file: cannot open '/nonexistent/ca.pem': No such file or directory"},
      {__LINE__, "[mqtt]\nuri = \"ssl://a:8883\"\n[mqtt.tls]\nca_file = \"\"\nkey_password = \"k\"\n",
       5, 16, "mqtt.tls.key_password needs mqtt.tls.key_file or mqtt.tls.cert_file"},
      {__LINE__, "[[poll.value]]\nname = \"0x12345678\"\n",
       2, 8, "poll.value[0]: 0x12345678 is not in the registry, so poll.value[0].type is required"},
      {__LINE__, "[[poll.value]]\nname = \"0x12345678\"\ntype = \"double\"\n",
       3, 8, "poll.value[0].type must be one of bool, uint8"},
      {__LINE__, "[[poll.value]]\nname = \"battery.soc\"\ntype = \"float\"\n",
       3, 8, "poll.value[0].type is only for an OID the registry does not know"},
      {__LINE__, "[[poll.value]]\nname = \"battery.soc\"\n[[poll.value]]\nname = \"battery.soc\"\n",
       4, 8, "poll.value[1]: 'battery.soc' is configured twice"},
      {__LINE__, "[poll]\nexclude = [\"battery.soc\"]\n[[poll.value]]\nname = \"battery.soc\"\n",
       4, 8, "poll.value[0]: 'battery.soc' is also in poll.exclude"},
      {__LINE__, "[[poll.value]]\nname = \"battery.soc\"\n[poll.value.homeassistant]\ndevice_class = \"batery\"\n",
       4, 16, "poll.value[0].homeassistant.device_class must be a Home Assistant device class"},
      {__LINE__, "[[poll.value]]\nname = \"battery.soc\"\n[poll.value.homeassistant]\nstate_class = \"total_increasin\"\n",
       4, 15, "must be measurement, measurement_angle, total or total_increasing or \"\""},
      {__LINE__, "[[poll.value]]\nname = \"battery.soc\"\n[poll.value.homeassistant]\nicon = \"battery\"\n",
       4, 8, "poll.value[0].homeassistant.icon must be an icon such as \"mdi:solar-power\""},
      {__LINE__, "[[poll.value]]\nname = \"battery.soc\"\nscale = 0\n",
       3, 9, "poll.value[0].scale must not be 0"},
      {__LINE__, "[[poll.value]]\nname = \"battery.soc\"\ntopic = \"battery/+\"\n",
       3, 9, "poll.value[0].topic must not contain the wildcards"},
      {__LINE__, "[mqtt]\nbase_topic = \"rct2mqtt/\"\n",
       2, 14, "mqtt.base_topic must not start or end with '/'"},
      {__LINE__, "[homeassistant]\nmode = \"devices\"\n",
       2, 8, "homeassistant.mode must be 'device' or 'entity' (got 'devices')"},
      {__LINE__, "[logging]\nlevel = \"verbose\"\n",
       2, 9, "logging.level must be one of trace, debug"},
      {__LINE__, "[mqtt]\nheartbeat = 600\n",
       2, 13, "mqtt.heartbeat must be a whole number of seconds between 10 and 300 (got 600)"},
      {__LINE__, "[mqtt]\nkeepalive = 2.5\n",
       2, 13, "mqtt.keepalive must be a whole number of seconds between 5 and 3600, not a decimal number"},
      {__LINE__, "[writes]\nenabled = 1\n",
       2, 11, "writes.enabled must be true or false, not an integer"},
      {__LINE__, "[metrics]\nlisten = \"9832\"\n",
       2, 10, "metrics.listen must be ADDRESS:PORT with an IP address"},
      {__LINE__, "[metrics]\nlisten = \"prometheus.lan:9832\"\n",
       2, 10, "(got 'prometheus.lan:9832')"},
      {__LINE__, "[metrics]\nlisten = \"127.0.0.1:0\"\n",
       2, 10, "a port 1..65535"},
      {__LINE__, "[metrics]\nlisten = \"::1:9832\"\n",
       2, 10, "brackets around IPv6"},
      {__LINE__, "[metrics]\nport = 9832\n",
       2, 1, "unknown key 'metrics.port'"},
      // Syntax errors come from toml++ with its own position.
      {__LINE__, "[mqtt]\nqos = 1\nqos = 2\n",
       3, 7, "cannot redefine existing integer 'qos'"},
      {__LINE__, "[mqtt]\nuri = [1,\n",
       2, 11, "encountered end-of-file"},
  };
  // clang-format on
  TempDir dir;
  for (const Row& row : rows) {
    INFO("table row at " << __FILE__ << ":" << row.src_line);
    const fs::path file = dir.write("bad.toml", row.toml);
    const auto r = load(file);
    REQUIRE_FALSE(r.ok());
    const rct::ConfigErrors errors = r.error();
    INFO(all_errors(errors));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].file == file.string());
    CHECK(errors[0].line == row.line);
    CHECK(errors[0].column == row.column);
    CHECK_THAT(errors[0].message, Catch::Contains(row.message));
    CHECK(errors[0].to_string().rfind(file.string() + ":" + std::to_string(row.line) + ":" +
                                          std::to_string(row.column) + ": ",
                                      0) == 0);
  }
}

TEST_CASE("all errors of a file are reported in one pass, in file order", "[config]") {
  TempDir dir;
  const fs::path file = dir.write("many.toml", R"([mqtt]
uri = "tcp://127.0.0.1:1883"
qos = 5
colour = "blue"

[[inverter]]
port = 0

[poll]
exclude = ["no.such.value"]
)");
  const auto r = load(file);
  REQUIRE_FALSE(r.ok());
  const std::string text = all_errors(r.error());
  INFO(text);
  const std::string f = file.string();
  CHECK(text ==
        f + ":3:7: mqtt.qos must be between 0 and 2 (got 5)\n" +     //
            f + ":4:1: unknown key 'mqtt.colour'\n" +                //
            f + ":6:1: missing required key 'inverter[0].host'\n" +  //
            f + ":7:8: inverter[0].port must be between 1 and 65535 (got 0)\n" + f +
            ":10:12: poll.exclude[0]: unknown value 'no.such.value' (not in the registry)\n");
}

TEST_CASE("a file that cannot be opened is one error without a position", "[config]") {
  TempDir dir;
  const fs::path missing = dir.path() / "nope.toml";
  const auto r = load(missing);
  REQUIRE_FALSE(r.ok());
  REQUIRE(r.error().size() == 1);
  CHECK(r.error()[0].line == 0);
  CHECK(r.error()[0].to_string() ==
        missing.string() + ": cannot open the configuration file: No such file or directory");
}

TEST_CASE("loading without a value catalog is refused, not silently unchecked", "[config]") {
  TempDir dir;
  const auto r = rct::load_config(dir.write("c.toml", kMinimal), {}, rct::ValueCatalog{});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error()[0].message, Catch::Contains("no value catalog"));
}

TEST_CASE("secret values never appear in error messages or streams", "[config][secret]") {
  const std::string pw = "Tr0ub4dor&3-unique";
  TempDir dir;
  SECTION("password next to password_file") {
    const auto r = load(dir.write("a.toml", "[mqtt]\nusername = \"u\"\npassword = \"" + pw +
                                                "\"\npassword_file = \"missing\"\n"));
    REQUIRE_FALSE(r.ok());
    CHECK(all_errors(r.error()).find(pw) == std::string::npos);
  }
  SECTION("credentials inside the broker URI") {
    const auto r = load(dir.write("b.toml", "[mqtt]\nuri = \"tcp://u:" + pw + "@broker:1883\"\n"));
    REQUIRE_FALSE(r.ok());
    const std::string text = all_errors(r.error());
    CHECK_THAT(text, Catch::Contains("must not contain credentials"));
    CHECK(text.find(pw) == std::string::npos);
  }
  SECTION("a misspelt password key") {
    const auto r =
        load(dir.write("c.toml", "[mqtt]\nusername = \"u\"\npasword = \"" + pw + "\"\n"));
    REQUIRE_FALSE(r.ok());
    const std::string text = all_errors(r.error());
    CHECK_THAT(text, Catch::Contains("unknown key 'mqtt.pasword' (did you mean 'password'?)"));
    CHECK(text.find(pw) == std::string::npos);
  }
  SECTION("a TLS key password with a plain URI") {
    const auto r = load(dir.write("d.toml", "[mqtt.tls]\nkey_password = \"" + pw + "\"\n"));
    REQUIRE_FALSE(r.ok());
    const std::string text = all_errors(r.error());
    CHECK_THAT(text, Catch::Contains("mqtt.tls.key_password needs an ssl://"));
    CHECK(text.find(pw) == std::string::npos);
  }
  SECTION("streaming a Secret") {
    std::ostringstream out;
    out << rct::Secret(pw) << '|' << rct::Secret();
    CHECK(out.str() == "***|");
    CHECK(rct::Secret(pw).reveal() == pw);
  }
}

TEST_CASE("STATE_DIRECTORY wins over state_dir, which wins over the default", "[config]") {
  TempDir dir;
  const fs::path with = dir.write("with.toml", "state_dir = \"/srv/rct\"\n");
  const fs::path without = dir.write("without.toml", "");

  auto r = load(with, rct::Environment{"/var/lib/from-systemd"});
  REQUIRE(r.ok());
  CHECK(r->state_dir == "/var/lib/from-systemd");
  CHECK(r->state_dir_source == rct::StateDirSource::kEnvironment);

  r = load(with, rct::Environment{"/var/lib/first:/var/lib/second"});
  REQUIRE(r.ok());
  CHECK(r->state_dir == "/var/lib/first");

  r = load(with, rct::Environment{""});
  REQUIRE(r.ok());
  CHECK(r->state_dir == "/srv/rct");
  CHECK(r->state_dir_source == rct::StateDirSource::kConfigFile);

  r = load(with);
  REQUIRE(r.ok());
  CHECK(r->state_dir == "/srv/rct");

  r = load(without);
  REQUIRE(r.ok());
  CHECK(r->state_dir == "/var/lib/rct2mqtt");
  CHECK(r->state_dir_source == rct::StateDirSource::kDefault);

  r = load(without, rct::Environment{"/run/x"});
  REQUIRE(r.ok());
  CHECK(r->state_dir == "/run/x");
}

TEST_CASE("password_file is read relative to the config file, without its newline",
          "[config][secret]") {
  TempDir dir;
  const std::string head = "[mqtt]\nusername = \"bridge\"\npassword_file = \"";
  SECTION("LF-terminated") {
    dir.write("pw", "s3cret\n");
    const auto r = load(dir.write("c.toml", head + "pw\"\n"));
    INFO(errors_of(r));
    REQUIRE(r.ok());
    CHECK(r->mqtt.password.reveal() == "s3cret");
    CHECK(r->mqtt.password_file == (dir.path() / "pw").string());
  }
  SECTION("CRLF-terminated, absolute path") {
    const fs::path pw = dir.write("pw2", "with space\r\n");
    const auto r = load(dir.write("c.toml", head + pw.string() + "\"\n"));
    REQUIRE(r.ok());
    CHECK(r->mqtt.password.reveal() == "with space");
  }
  SECTION("no trailing newline") {
    dir.write("pw3", "x");
    const auto r = load(dir.write("c.toml", head + "pw3\"\n"));
    REQUIRE(r.ok());
    CHECK(r->mqtt.password.reveal() == "x");
  }
}

TEST_CASE("password_file problems are positioned errors that never show the file's content",
          "[config][secret]") {
  TempDir dir;
  const std::string head = "[mqtt]\nusername = \"bridge\"\npassword_file = \"";
  const auto error_for = [&](const std::string& name) {
    const auto r = load(dir.write("c.toml", head + name + "\"\n"));
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.error().size() == 1);
    CHECK(r.error()[0].line == 3);
    CHECK(r.error()[0].column == 17);
    return r.error()[0].message;
  };
  CHECK(error_for("absent") == "mqtt.password_file: cannot open '" +
                                   (dir.path() / "absent").string() +
                                   "': No such file or directory");
  dir.write("empty", "\n");
  CHECK_THAT(error_for("empty"), Catch::EndsWith("is empty"));
  dir.write("two", "line-one-secret\nline-two-secret\n");
  const std::string two = error_for("two");
  CHECK_THAT(two, Catch::EndsWith("must hold the password on a single line"));
  CHECK(two.find("line-one-secret") == std::string::npos);
  dir.write("big", std::string(5000, 'p'));
  CHECK_THAT(error_for("big"), Catch::EndsWith("is larger than 4096 bytes"));
  fs::create_directory(dir.path() / "sub");
  CHECK_THAT(error_for("sub"), Catch::Contains("cannot"));
}

TEST_CASE("several inverters, plant addresses and value settings load", "[config]") {
  TempDir dir;
  const auto r = load(dir.write("full.toml", R"(
[mqtt]
uri = "mqtts://broker.example.org:8883"
username = "bridge"
password = "pw"
qos = 1
[mqtt.tls]
insecure = true

[homeassistant]
prefix = "ha"
mode = "entity"

[[inverter]]
name = "master"
host = "192.168.1.50"
in_flight = 4
request_timeout = 0.5

[[inverter]]
name = "slave"
host = "192.168.1.50"
address = 0x1234ABCD
in_flight = 4
request_timeout = 0.5

[[inverter]]
host = "inv3.lan"
port = 9000

[poll]
exclude = ["g_sync.p_ac_grid_sum_lp", "0x44D4C533"]

[[poll.value]]
name = "0xDEADBEEF"
type = "uint16"
interval = 2.5
friendly_name = "Mystery"
topic = "extra/mystery"
deadband = 1

[[poll.value]]
name = "battery.soc"
scale = 100
[poll.value.homeassistant]
device_class = "battery"
unit = "%"
enabled_by_default = false
entity_category = ""
suggested_display_precision = 1

[writes]
enabled = true
allow = ["soc_min", "soc_strategy"]
dry_run = true
min_interval = 30
readback_delay = 0
readback_interval = 0.25
readback_attempts = 7
dead_man_timeout = 2.5
block_battery_bits = ["balancing", "calibrating_charge"]
block_unknown_battery_bits = true
)"));
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const rct::Config& c = r.value();
  CHECK(c.mqtt.scheme == rct::MqttScheme::kMqtts);
  CHECK(rct::is_tls(c.mqtt.scheme));
  CHECK(c.mqtt.tls.insecure);
  CHECK(c.mqtt.password.reveal() == "pw");
  CHECK(c.homeassistant.birth_topic == "ha/status");
  CHECK(c.homeassistant.mode == rct::DiscoveryMode::kEntity);
  REQUIRE(c.inverters.size() == 3);
  CHECK(c.inverters[1].address == 0x1234ABCDu);
  CHECK(c.inverters[1].request_timeout == 500ms);
  CHECK(c.inverters[2].name == "inverter3");
  CHECK(c.inverters[2].port == 9000);
  REQUIRE(c.poll.exclude.size() == 2);
  CHECK(c.poll.exclude[1].id == 0x44D4C533u);
  REQUIRE(c.poll.values.size() == 2);
  const rct::PollValue& raw = c.poll.values[0];
  CHECK(raw.value.text() == "0xDEADBEEF");
  CHECK(raw.type == rct::DataType::kUint16);
  CHECK(raw.interval == 2500ms);
  CHECK(raw.topic == "extra/mystery");
  CHECK(raw.deadband == 1.0);
  const rct::PollValue& soc = c.poll.values[1];
  CHECK(soc.value.name == "battery.soc");
  CHECK_FALSE(soc.type.has_value());
  CHECK(soc.scale == 100.0);
  CHECK(soc.homeassistant.device_class == "battery");
  CHECK(soc.homeassistant.entity_category == "");
  CHECK(soc.homeassistant.enabled_by_default == false);
  CHECK(soc.homeassistant.suggested_display_precision == 1);
  CHECK(c.writes.enabled);
  CHECK(c.writes.dry_run);
  CHECK(c.writes.allow == std::vector<std::string>{"soc_min", "soc_strategy"});
  CHECK(c.writes.min_interval == 30s);
  CHECK(c.writes.readback_delay == 0ms);
  CHECK(c.writes.readback_interval == 250ms);
  CHECK(c.writes.readback_attempts == 7);
  CHECK(c.writes.dead_man_timeout == 2500ms);
  CHECK(c.writes.block_battery_bits == std::vector<std::string>{"balancing", "calibrating_charge"});
  CHECK(c.writes.block_unknown_battery_bits);
  const rct::BatteryBlockPolicy battery = rct::battery_block_policy(c.writes);
  CHECK(battery.bat_status == 2048u);
  CHECK(battery.status2 == 256u + 8u);
  CHECK(battery.unknown);
  const auto allowed = rct::allowed_writable(c.writes);
  REQUIRE(allowed.size() == 2);
  CHECK(allowed[0]->key == "soc_min");  // allowlist order (by OID)
  CHECK(allowed[1]->key == "soc_strategy");
}

TEST_CASE("dump_config masks secrets and loads back to the same configuration",
          "[config][secret]") {
  TempDir dir;
  const std::string pw = "dump-secret-Xy9";
  const fs::path file = dir.write("c.toml", R"([mqtt]
uri = "ssl://broker:8883"
username = "bridge"
password = ")" + pw + R"("
[mqtt.tls]
key_password = ")" + pw + R"(-key"
cert_file = "client.crt"

[[inverter]]
host = "192.168.1.50"
address = 0x00000010

[[poll.value]]
name = "0x00ABCDEF"
type = "float"
friendly_name = "Quote \" and backslash \\"
[poll.value.homeassistant]
icon = "mdi:flash"

[writes]
allow = ["soc_min"]
dead_man_timeout = 30
)");
  dir.write("client.crt", "not parsed by the loader");
  const auto r = load(file);
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const std::string dump = rct::dump_config(r.value());
  INFO(dump);
  CHECK(dump.find(pw) == std::string::npos);
  CHECK_THAT(dump, Catch::Contains("password = \"***\""));
  CHECK_THAT(dump, Catch::Contains("key_password = \"***\""));

  const auto again = load(dir.write("dump.toml", dump));
  INFO(errors_of(again));
  REQUIRE(again.ok());
  rct::Config expected = r.value();
  expected.source = again->source;
  expected.state_dir_source = rct::StateDirSource::kConfigFile;
  expected.mqtt.password = rct::Secret("***");
  expected.mqtt.tls.key_password = rct::Secret("***");
  CHECK(again.value() == expected);
}

TEST_CASE("dump_config shows a password file's name, never its content", "[config][secret]") {
  TempDir dir;
  dir.write("pw", "file-secret-123\n");
  const auto r = load(dir.write("c.toml", "[mqtt]\nusername = \"u\"\npassword_file = \"pw\"\n"));
  REQUIRE(r.ok());
  const std::string dump = rct::dump_config(r.value());
  CHECK(dump.find("file-secret-123") == std::string::npos);
  CHECK_THAT(dump, Catch::Contains("password_file = \"" + (dir.path() / "pw").string() + "\""));
}

TEST_CASE("the example file round-trips through dump_config", "[config]") {
  const auto r = load(rct::test::source_dir() / "config" / "rct2mqtt.toml");
  REQUIRE(r.ok());
  TempDir dir;
  const auto again = load(dir.write("dump.toml", rct::dump_config(r.value())));
  INFO(errors_of(again));
  REQUIRE(again.ok());
  rct::Config expected = r.value();
  expected.source = again->source;
  CHECK(again.value() == expected);
}

TEST_CASE(
    "request_timeout_floor is read, shown by dump_config, and follows a short request_timeout down",
    "[config]") {
  TempDir dir;
  const auto r = load(
      dir.write("floor.toml",
                "[[inverter]]\nhost = \"h\"\nrequest_timeout = 3\nrequest_timeout_floor = 0.4\n"));
  INFO(errors_of(r));
  REQUIRE(r.ok());
  CHECK(r.value().inverters[0].request_timeout_floor == 400ms);
  CHECK(rct::dump_config(r.value()).find("request_timeout_floor = 0.4\n") != std::string::npos);
  CHECK(rct::client_options(r.value().inverters[0]).request_timeout_floor == 400ms);
  CHECK(rct::client_options(r.value().inverters[0]).request_timeout == 3s);

  // The default floor (0.5 s) is no error under a shorter request_timeout given alone.
  const auto short_ceiling =
      load(dir.write("short.toml", "[[inverter]]\nhost = \"h\"\nrequest_timeout = 0.3\n"));
  INFO(errors_of(short_ceiling));
  REQUIRE(short_ceiling.ok());
  CHECK(short_ceiling.value().inverters[0].request_timeout_floor == 300ms);
}

TEST_CASE("mqtt.protocol \"3.1.1\" selects the old protocol and shows in dump_config", "[config]") {
  TempDir dir;
  const auto r = load(dir.write("old.toml", "[mqtt]\nprotocol = \"3.1.1\"\n"));
  INFO(errors_of(r));
  REQUIRE(r.ok());
  CHECK(r.value().mqtt.protocol == rct::MqttProtocol::kV311);
  CHECK(rct::dump_config(r.value()).find("protocol = \"3.1.1\"\n") != std::string::npos);
  const auto v5 = load(dir.write("new.toml", "[mqtt]\nprotocol = \"5\"\n"));
  REQUIRE(v5.ok());
  CHECK(v5.value().mqtt.protocol == rct::MqttProtocol::kV5);
}

TEST_CASE("writes.allow = [] allows nothing, and not setting it allows every setting",
          "[config][writes]") {
  TempDir dir;
  const auto none = load(dir.write("none.toml", "[writes]\nenabled = true\nallow = []\n"));
  REQUIRE(none.ok());
  CHECK(none->writes.allow == std::vector<std::string>{});
  CHECK(rct::allowed_writable(none->writes).empty());

  const auto all = load(dir.write("all.toml", "[writes]\nenabled = true\n"));
  REQUIRE(all.ok());
  const auto allowed = rct::allowed_writable(all->writes);
  REQUIRE(allowed.size() == rct::writable_entries().size());
  // The dump names them in a comment and loads back to "not set".
  const std::string dump = rct::dump_config(all.value());
  INFO(dump);
  for (const rct::WritableEntry* e : allowed)
    CHECK_THAT(dump, Catch::Contains(std::string(e->key)));
  CHECK(dump.find("\nallow = ") == std::string::npos);
  const auto again = load(dir.write("dump.toml", dump));
  REQUIRE(again.ok());
  CHECK_FALSE(again->writes.allow.has_value());
  CHECK(again->writes == all->writes);
}

TEST_CASE("the example's [writes] section names only keys of the allowlist", "[config][writes]") {
  std::ifstream in(rct::test::source_dir() / "config" / "rct2mqtt.toml");
  std::string line;
  bool in_writes = false;
  std::set<std::string> documented;
  int examples = 0;
  while (std::getline(in, line)) {
    if (line.rfind("[", 0) == 0) in_writes = line == "[writes]";
    if (!in_writes) continue;
    if (line.rfind("#allow = [", 0) == 0) {
      // Every quoted word of the example line.
      for (std::size_t p = line.find('"'); p != std::string::npos;) {
        const auto end = line.find('"', p + 1);
        REQUIRE(end != std::string::npos);
        const std::string key = line.substr(p + 1, end - p - 1);
        INFO("example line: " << line);
        CHECK(rct::find_writable_key(key) != nullptr);
        ++examples;
        p = line.find('"', end + 1);
      }
    }
    // The list of keys: "#   key  description" (or "#   key, key  description").
    if (line.rfind("#   ", 0) == 0) {
      std::istringstream words(line.substr(4));
      std::string word;
      while (words >> word) {
        if (!word.empty() && word.back() == ',') word.pop_back();
        if (rct::find_writable_key(word) == nullptr) break;
        documented.insert(word);
      }
    }
  }
  CHECK(examples >= 2);
  std::set<std::string> all;
  for (const rct::WritableEntry& e : rct::writable_entries()) all.insert(std::string(e.key));
  CHECK(documented == all);
}

TEST_CASE("battery_mode is allowed like a setting key and [battery_modes] is read", "[config]") {
  TempDir dir;
  const auto r = load(dir.write("modes.toml", R"([writes]
enabled = true
allow = ["soc_target", "battery_mode"]
[battery_modes]
effect_window = 20
sample_interval = 0.5
tolerance = 150
charge_power = 2500
normal_soc_min = 10
)"));
  INFO(errors_of(r));
  REQUIRE(r.ok());
  const rct::Config& c = r.value();
  CHECK(rct::battery_modes_allowed(c.writes));
  CHECK(rct::allowed_writable(c.writes).size() == 1);  // battery_mode is no allowlist entry
  CHECK(c.battery_modes.effect_window == std::chrono::seconds{20});
  CHECK(c.battery_modes.sample_interval == std::chrono::milliseconds{500});
  CHECK(c.battery_modes.tolerance == 150);
  CHECK(c.battery_modes.charge_power == 2500);
  CHECK(c.battery_modes.normal_soc_min == 10);
  rct::WritesConfig without;
  without.enabled = true;
  without.allow = std::vector<std::string>{"soc_min"};
  CHECK_FALSE(rct::battery_modes_allowed(without));
  without.allow.reset();
  CHECK(rct::battery_modes_allowed(without));
  without.enabled = false;
  CHECK_FALSE(rct::battery_modes_allowed(without));
}

TEST_CASE("[metrics] is off unless listen is set, and listen takes IPv4, IPv6 and localhost",
          "[config][metrics]") {
  TempDir dir;
  {
    const auto r = load(dir.write("none.toml", kMinimal));
    REQUIRE(r.ok());
    CHECK(r.value().metrics.listen.empty());
    const auto empty = load(dir.write("empty.toml", std::string(kMinimal) + "[metrics]\n"));
    REQUIRE(empty.ok());
    CHECK(empty.value().metrics.listen.empty());
  }
  struct Row {
    std::string listen;
    std::string host;
    std::uint16_t port;
    bool loopback;
  };
  const std::vector<Row> rows{
      {"127.0.0.1:9832", "127.0.0.1", 9832, true},
      {"127.8.9.10:1", "127.8.9.10", 1, true},
      {"localhost:9832", "localhost", 9832, true},
      {"[::1]:9832", "::1", 9832, true},
      {"0.0.0.0:9832", "0.0.0.0", 9832, false},
      {"192.168.1.20:65535", "192.168.1.20", 65535, false},
      {"[::]:9832", "::", 9832, false},
      {"[fd00::5]:9100", "fd00::5", 9100, false},
  };
  for (const Row& row : rows) {
    INFO(row.listen);
    const auto r = load(dir.write(
        "m.toml", std::string(kMinimal) + "[metrics]\nlisten = \"" + row.listen + "\"\n"));
    INFO(errors_of(r));
    REQUIRE(r.ok());
    const rct::MetricsConfig& m = r.value().metrics;
    CHECK(m.listen == row.listen);
    CHECK(m.host == row.host);
    CHECK(m.port == row.port);
    CHECK(m.loopback == row.loopback);
    // The dump shows it and loads back the same.
    const std::string dump = rct::dump_config(r.value());
    CHECK_THAT(dump, Catch::Contains("listen = \"" + row.listen + "\""));
    const auto again = load(dir.write("dump.toml", dump));
    REQUIRE(again.ok());
    CHECK(again.value().metrics == m);
  }
  for (const std::string bad :
       {"127.0.0.1", "127.0.0.1:", ":9832", "127.0.0.1:65536", "127.0.0.1:98x", "256.0.0.1:9832",
        "[::1:9832", "[]:9832", "[127.0.0.1]:9832", "host.example:9832"}) {
    INFO(bad);
    const auto r = load(
        dir.write("bad.toml", std::string(kMinimal) + "[metrics]\nlisten = \"" + bad + "\"\n"));
    CHECK_FALSE(r.ok());
  }
}
