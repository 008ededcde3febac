#include <cmath>
#include <limits>

#include "tests/support/catch.h"
#include "tools/rctclient/doctor_report.h"
#include "tools/rctclient/doctor_rules.h"

using namespace rct::cli::doctor;

TEST_CASE("doctor's median is the middle reply time, or the mean of the two middle ones",
          "[doctor]") {
  CHECK_FALSE(latency({}).has_value());
  const auto odd = latency({30, 10, 20});
  REQUIRE(odd.has_value());
  CHECK(odd->median_ms == 20);
  CHECK(odd->worst_ms == 30);
  const auto even = latency({40, 10, 30, 20});
  REQUIRE(even.has_value());
  CHECK(even->median_ms == 25);
  CHECK(even->worst_ms == 40);
  CHECK(latency({7})->median_ms == 7);
}

TEST_CASE("doctor formats milliseconds for people", "[doctor]") {
  CHECK(format_ms(0.42) == "0.4 ms");
  CHECK(format_ms(23.4) == "23 ms");
  CHECK(format_ms(1500) == "1.5 s");
}

TEST_CASE(
    "the overall verdict is the worst check, skipped checks do not count, and only a "
    "problem exits 1",
    "[doctor]") {
  Report report;
  CHECK(overall(report) == Verdict::kOk);
  report.checks.push_back({"a", Verdict::kOk, "fine", {}});
  report.checks.push_back({"b", Verdict::kSkipped, "not checked", {}});
  CHECK(overall(report) == Verdict::kOk);
  CHECK(exit_code(report) == 0);
  report.checks.push_back({"c", Verdict::kWarning, "hm", {}});
  CHECK(overall(report) == Verdict::kWarning);
  CHECK(exit_code(report) == 0);
  report.checks.push_back({"d", Verdict::kProblem, "bad", {}});
  CHECK(overall(report) == Verdict::kProblem);
  CHECK(exit_code(report) == 1);
}

TEST_CASE("doctor's text has one aligned line per check and a last overall line", "[doctor]") {
  Report report;
  report.checks.push_back({"inverter.tcp", Verdict::kOk, "connected in 0.4 ms", {}});
  report.checks.push_back({"mqtt", Verdict::kProblem, "bad", {}});
  CHECK(render_text(report) ==
        "inverter.tcp  ok: connected in 0.4 ms\n"
        "mqtt          problem: bad\n"
        "overall: problem (1 problem, 0 warnings)\n");
}

TEST_CASE("doctor's JSON holds every check with its verdict and figures", "[doctor]") {
  Report report;
  report.checks.push_back({"inverter.reads", Verdict::kWarning, "slow", {{"median_ms", 1200}}});
  const nlohmann::json j = render_json(report);
  CHECK(j["verdict"] == "warning");
  CHECK(j["exit_code"] == 0);
  REQUIRE(j["checks"].size() == 1);
  CHECK(j["checks"][0]["name"] == "inverter.reads");
  CHECK(j["checks"][0]["verdict"] == "warning");
  CHECK(j["checks"][0]["summary"] == "slow");
  CHECK(j["checks"][0]["figures"]["median_ms"] == 1200);
}

TEST_CASE("a TCP check is a problem without a connection and a warning when slow", "[doctor]") {
  CHECK(judge_tcp("t", {"h:1", false, 0, "Connection refused"}).verdict == Verdict::kProblem);
  CHECK(judge_tcp("t", {"h:1", false, 0, "Connection refused"}).summary ==
        "cannot connect to h:1: Connection refused");
  CHECK(judge_tcp("t", {"h:1", true, 3, ""}).verdict == Verdict::kOk);
  CHECK(judge_tcp("t", {"h:1", true, kSlowConnectMs + 1, ""}).verdict == Verdict::kWarning);
}

TEST_CASE(
    "reads are a problem without answers or with much loss, a warning with some loss, slow "
    "answers or implausible values",
    "[doctor]") {
  ReadFigures none{4, {}, 2, {}};
  CHECK(judge_reads(none).verdict == Verdict::kProblem);
  CHECK(judge_reads(none).summary == "the inverter answered none of 4 reads within 2 s each");

  ReadFigures all{3, {10, 20, 30}, 2, {}};
  CHECK(judge_reads(all).verdict == Verdict::kOk);
  CHECK(judge_reads(all).summary == "3 of 3 answered, median 20 ms, worst 30 ms");
  CHECK(judge_reads(all).figures["median_ms"] == 20);

  ReadFigures one_lost{20, std::vector<double>(19, 25.0), 2, {}};
  CHECK(judge_reads(one_lost).verdict == Verdict::kWarning);
  CHECK(judge_reads(one_lost).summary.find("1 of 20 reads got no usable answer") == 0);

  ReadFigures many_lost{20, std::vector<double>(15, 25.0), 2, {}};
  CHECK(judge_reads(many_lost).verdict == Verdict::kProblem);

  ReadFigures slow{2, {kSlowMedianMs + 100, kSlowMedianMs + 200}, 2, {}};
  CHECK(judge_reads(slow).verdict == Verdict::kWarning);
  CHECK(judge_reads(slow).summary.find("slow answers") == 0);

  ReadFigures odd{2, {10, 10}, 2, {"energy.e_ac_total a lifetime counter at 0"}};
  CHECK(judge_reads(odd).verdict == Verdict::kWarning);
  CHECK(judge_reads(odd).summary.find("1 implausible values") == 0);
}

TEST_CASE("values no device sends are implausible", "[doctor]") {
  CHECK(implausible_value(std::numeric_limits<double>::quiet_NaN(), false) == "nan");
  CHECK(implausible_value(1e30, false).has_value());
  CHECK(implausible_value(0, true).has_value());
  CHECK_FALSE(implausible_value(0, false).has_value());
  CHECK_FALSE(implausible_value(-2500.5, false).has_value());
  CHECK_FALSE(implausible_value(123456.0, true).has_value());
}

TEST_CASE("foreign replies while we listen name the second client in one line", "[doctor]") {
  ForeignFigures f;
  f.listen_s = 5;
  f.listen_oids = {
      {"battery.soc", 20}, {"g_sync.p_ac_load_sum_lp", 10}, {"a", 3}, {"b", 2}, {"c", 2}};
  const Check c = judge_foreign(f);
  CHECK(c.verdict == Verdict::kProblem);
  CHECK(c.summary ==
        "another client is on the link: 37 foreign replies in 5 s (OIDs: battery.soc, "
        "g_sync.p_ac_load_sum_lp, a, b, ...)");
  CHECK(c.summary.find('\n') == std::string::npos);
  CHECK(c.figures["foreign_replies"] == 37);
  CHECK(c.figures["rate_per_s"] == 7.4);

  ForeignFigures quiet;
  quiet.listen_s = 0.5;
  CHECK(judge_foreign(quiet).verdict == Verdict::kOk);
  CHECK(judge_foreign(quiet).summary == "no foreign replies in 0.5 s");
  quiet.during_reads = 2;
  CHECK(judge_foreign(quiet).verdict == Verdict::kWarning);
}

TEST_CASE("broken frames are a warning and a lost connection a problem", "[doctor]") {
  FrameFigures clean;
  clean.frames = 40;
  CHECK(judge_frames(clean).verdict == Verdict::kOk);
  FrameFigures crc = clean;
  crc.crc_errors = 2;
  crc.truncated = 1;
  CHECK(judge_frames(crc).verdict == Verdict::kWarning);
  CHECK(judge_frames(crc).summary ==
        "corrupted or cut replies: 2 CRC errors, 1 truncated payloads among 40 good frames");
  FrameFigures dropped = clean;
  dropped.link_drops = 1;
  CHECK(judge_frames(dropped).verdict == Verdict::kProblem);
}

TEST_CASE("the inventory check lists identity and hardware", "[doctor]") {
  InventoryFigures f;
  f.asked = 10;
  CHECK(judge_inventory(f).verdict == Verdict::kProblem);
  f.answered = 10;
  f.serial = "0050KC035678";
  f.firmware = "3.2.1";
  f.device_name = "PS 6.0 BA3L";
  f.has_battery = true;
  f.battery_count = 1;
  f.pv_a = true;
  f.pv_b = false;
  const Check c = judge_inventory(f);
  CHECK(c.verdict == Verdict::kOk);
  CHECK(c.summary ==
        "PS 6.0 BA3L, serial 0050KC035678, firmware 3.2.1, battery yes (1), PV A yes, PV B no");
  f.answered = 9;
  CHECK(judge_inventory(f).verdict == Verdict::kWarning);
}

TEST_CASE("the COM mode check tells needed, not needed and no effect apart", "[doctor]") {
  CHECK(judge_com_mode({true, false, false, false}).verdict == Verdict::kOk);
  CHECK(judge_com_mode({false, false, false, false}).verdict == Verdict::kSkipped);
  const Check needed = judge_com_mode({false, true, false, true});
  CHECK(needed.verdict == Verdict::kProblem);
  CHECK(needed.summary.find("only after the EXTENSION frame 2b 3c e1") != std::string::npos);
  const Check neither = judge_com_mode({false, true, false, false});
  CHECK(neither.verdict == Verdict::kProblem);
  CHECK(neither.summary == "no answer with or without the EXTENSION frame 2b 3c e1");
  CHECK(judge_com_mode({false, true, true, true}).verdict == Verdict::kWarning);
}

TEST_CASE("MQTT URIs give host, port, TLS and credentials, and are shown without the password",
          "[doctor]") {
  std::string error;
  auto u = parse_mqtt_uri("mqtt://bridge:s%40cret@broker.lan:1884", &error);
  REQUIRE(u.has_value());
  CHECK(u->username == "bridge");
  CHECK(u->password == "s@cret");
  CHECK(u->host == "broker.lan");
  CHECK(u->port == 1884);
  CHECK_FALSE(u->tls);
  CHECK(u->paho_uri() == "tcp://broker.lan:1884");
  CHECK(u->redacted() == "mqtt://bridge@broker.lan:1884");

  auto t = parse_mqtt_uri("mqtts://broker.lan", &error);
  REQUIRE(t.has_value());
  CHECK(t->tls);
  CHECK(t->port == 8883);
  CHECK(t->paho_uri() == "ssl://broker.lan:8883");
  auto v6 = parse_mqtt_uri("tcp://[::1]:1883", &error);
  REQUIRE(v6.has_value());
  CHECK(v6->host == "::1");

  CHECK_FALSE(parse_mqtt_uri("http://broker", &error).has_value());
  CHECK(error.find("unknown scheme") != std::string::npos);
  CHECK_FALSE(parse_mqtt_uri("mqtt://u:pw@:1883", &error).has_value());
  CHECK_FALSE(parse_mqtt_uri("mqtt://host:99999", &error).has_value());

  CHECK(redact_uri("mqtt://user:topsecret@host:1883") == "mqtt://user@host:1883");
  CHECK(redact_uri("tcp://127.0.0.1:1883") == "tcp://127.0.0.1:1883");
}

TEST_CASE("a refused login says why in one line", "[doctor]") {
  const Check bad = judge_login({LoginOutcome::kBadCredentials, "bridge", "", 135});
  CHECK(bad.verdict == Verdict::kProblem);
  CHECK(bad.summary == "broker refused the login (bad user name or password)");
  CHECK(bad.figures["code"] == 135);
  CHECK(judge_login({LoginOutcome::kAccepted, "", "", 0}).summary ==
        "the broker accepted the login (anonymous)");
  CHECK(judge_login({LoginOutcome::kNotTried, "", "", 0}).verdict == Verdict::kSkipped);
  const Check anonymous = judge_login({LoginOutcome::kNotAuthorized, "", "", 135});
  CHECK(anonymous.verdict == Verdict::kProblem);
  CHECK(anonymous.summary == "broker refused the login (not authorized: anonymous)");
}

TEST_CASE(
    "TLS is skipped for plain MQTT, a problem when verification fails and a warning when "
    "it is off",
    "[doctor]") {
  CHECK(judge_tls({}).verdict == Verdict::kSkipped);
  TlsFigures failed{true, false, false, "system trust store",
                    "certificate verify failed: self-signed certificate"};
  CHECK(judge_tls(failed).verdict == Verdict::kProblem);
  CHECK(judge_tls(failed).summary ==
        "TLS handshake failed: certificate verify failed: self-signed certificate");
  CHECK(judge_tls({true, true, true, "system trust store", ""}).verdict == Verdict::kWarning);
  CHECK(judge_tls({true, false, true, "CA file ca.pem", ""}).verdict == Verdict::kOk);
}

TEST_CASE("discovery and values are a problem when the broker holds none of them", "[doctor]") {
  BrokerDataFigures f;
  f.connected = true;
  f.listen_s = 2;
  f.discovery_filter = "homeassistant/+/+/config";
  f.node_prefix = "rct2mqtt_0050KC035678";
  f.values_filter = "rct2mqtt/0050KC035678/#";
  CHECK(judge_discovery(f).verdict == Verdict::kProblem);
  CHECK(judge_values(f).verdict == Verdict::kProblem);
  f.discovery_configs = 3;
  f.value_topics = 80;
  CHECK(judge_discovery(f).verdict == Verdict::kOk);
  CHECK(judge_values(f).summary == "80 value topics on rct2mqtt/0050KC035678/#");
  f.discovery_enabled = false;
  CHECK(judge_discovery(f).verdict == Verdict::kSkipped);
  f.connected = false;
  CHECK(judge_values(f).verdict == Verdict::kSkipped);
}
