#include "daemon/command_reply.h"

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include "core/write_allowlist.h"
#include "daemon/write_session.h"
#include "tests/support/catch.h"

using namespace std::chrono_literals;
using rct::daemon::Effect;
using rct::daemon::Effects;
using rct::daemon::Moment;
using rct::daemon::Publish;
using rct::daemon::ReplyTo;
using rct::daemon::SubmitWrite;
using rct::daemon::WriteSession;

namespace {

const Moment kReplyNow{rct::daemon::Instant{} + 1000h, rct::daemon::WallTime{} + 480000h};
const std::string kResultTopic = "rct/SN1/settings/soc_target/set/result";
// Binary, as Node-RED's Buffer may be: a NUL and bytes that are no UTF-8.
const std::string kCorrelation = std::string("req\0\xff\x01", 6);

template <class T>
std::vector<T> effects_of(const Effects& effects) {
  std::vector<T> out;
  for (const Effect& e : effects) {
    if (const T* t = std::get_if<T>(&e)) out.push_back(*t);
  }
  return out;
}

WriteSession reply_session() {
  rct::daemon::WriteSettings s;
  s.name = "inv";
  s.base_topic = "rct";
  s.writes.enabled = true;
  WriteSession w(s);
  w.set_serial("SN1");
  return w;
}

rct::client::WriteOutcome verified_outcome(const SubmitWrite& submitted) {
  auto prepared = std::visit(
      [&](const auto& v) {
        return rct::prepare_write(rct::allow_every_writable(), submitted.request.oid, v,
                                  rct::InputUnit::kUser);
      },
      submitted.request.value);
  REQUIRE(prepared);
  rct::client::WriteOutcome o;
  o.status = rct::client::WriteStatus::kVerified;
  o.oid = submitted.request.oid;
  o.write = prepared.value();
  o.writes_sent = 1;
  o.readback = prepared->value;
  o.message = "verified";
  return o;
}

}  // namespace

TEST_CASE("a verified write is answered on its result topic and on the command's response topic",
          "[command_reply]") {
  WriteSession w = reply_session();
  const ReplyTo reply{"nodered/replies/1", kCorrelation};
  const Effects sent =
      w.on_command("soc_target", R"({"value": 50, "id": "a"})", true, kReplyNow, reply);
  const auto writes = effects_of<SubmitWrite>(sent);
  REQUIRE(writes.size() == 1);
  CHECK(effects_of<Publish>(sent).empty());  // the answer comes with the outcome

  const Effects done = w.on_outcome(writes[0].tag, verified_outcome(writes[0]), kReplyNow);
  std::vector<Publish> answers;
  for (const Publish& p : effects_of<Publish>(done)) {
    if (p.topic == kResultTopic || p.topic == reply.topic) answers.push_back(p);
  }
  REQUIRE(answers.size() == 2);
  CHECK(answers[0].topic == kResultTopic);
  CHECK(answers[0].correlation_data.empty());
  CHECK(answers[1].topic == "nodered/replies/1");
  CHECK(answers[1].correlation_data == kCorrelation);
  CHECK(answers[1].qos == 1);
  CHECK_FALSE(answers[1].retain);
  CHECK(answers[1].payload == answers[0].payload);
  CHECK(answers[1].payload.find(R"("id":"a","key":"soc_target","outcome":"verified")") !=
        std::string::npos);
}

TEST_CASE("a command refused at once is answered on its response topic right after its result",
          "[command_reply]") {
  WriteSession w = reply_session();
  const ReplyTo reply{"replies/ha", "x"};
  const Effects e = w.on_command("soc_target", R"({"id": "u"})", true, kReplyNow, reply);
  const auto published = effects_of<Publish>(e);
  REQUIRE(published.size() == 2);
  CHECK(published[0].topic == kResultTopic);
  CHECK(published[1].topic == "replies/ha");
  CHECK(published[1].correlation_data == "x");
  CHECK(published[1].payload == published[0].payload);
  CHECK(published[1].payload.find(R"("id":"u","key":"soc_target","outcome":"rejected")") !=
        std::string::npos);
}

TEST_CASE("a command for an unknown inverter is answered on its response topic too",
          "[command_reply]") {
  const std::string command = "rct/XY/settings/soc_target/set";
  const Effects e = rct::daemon::refuse_unknown_inverter(
      {"XY", "soc_target"}, command, "50", kReplyNow.wall, ReplyTo{"replies/nr", "c"});
  const auto published = effects_of<Publish>(e);
  REQUIRE(published.size() == 2);
  CHECK(published[1].topic == "replies/nr");
  CHECK(published[1].correlation_data == "c");
  CHECK(published[1].payload.find(R"("reason":"unknown_inverter")") != std::string::npos);
}

TEST_CASE("outcomes of commands without a response topic are not copied anywhere",
          "[command_reply]") {
  WriteSession w = reply_session();
  const auto with_reply = effects_of<SubmitWrite>(
      w.on_command("soc_target", "50", true, kReplyNow, ReplyTo{"r/1", "1"}));
  const auto without = effects_of<SubmitWrite>(w.on_command("soc_min", "20", true, kReplyNow));
  REQUIRE(with_reply.size() == 1);
  REQUIRE(without.size() == 1);
  const Effects other = w.on_outcome(without[0].tag, verified_outcome(without[0]), kReplyNow);
  CHECK_FALSE(effects_of<Publish>(other).empty());
  for (const Publish& p : effects_of<Publish>(other)) {
    CHECK(p.topic != "r/1");
    CHECK(p.correlation_data.empty());
  }
  // The first command keeps its response topic until its own outcome.
  const auto first = effects_of<Publish>(
      w.on_outcome(with_reply[0].tag, verified_outcome(with_reply[0]), kReplyNow));
  CHECK(std::count_if(first.begin(), first.end(),
                      [](const Publish& p) { return p.topic == "r/1"; }) == 1);
}

TEST_CASE("response topics that are no topic name or lie in the bridge's trees are refused",
          "[command_reply]") {
  const std::vector<std::string> own = {"rct2mqtt", "homeassistant", "ha/status"};
  CHECK(rct::daemon::reply_topic_problem("nodered/replies/7", own).empty());
  CHECK(rct::daemon::reply_topic_problem("rct2mqtt-replies/x", own).empty());
  CHECK(rct::daemon::reply_topic_problem("ha/status2", own).empty());
  CHECK(rct::daemon::reply_topic_problem("", own) == "it is empty");
  CHECK(rct::daemon::reply_topic_problem("replies/+", own) ==
        "it contains a wildcard ('+' or '#')");
  CHECK(rct::daemon::reply_topic_problem("replies/#", own) ==
        "it contains a wildcard ('+' or '#')");
  CHECK(rct::daemon::reply_topic_problem(std::string("a\0b", 3), own) ==
        "it contains a control character");
  CHECK(rct::daemon::reply_topic_problem("$SYS/broker", own) == "it starts with '$'");
  CHECK(rct::daemon::reply_topic_problem(std::string(1025, 'a'), own) ==
        "it is longer than 1024 bytes");
  CHECK(rct::daemon::reply_topic_problem(std::string(1024, 'a'), own).empty());
  CHECK(rct::daemon::reply_topic_problem("rct2mqtt", own) ==
        "it lies in the bridge's own topic tree 'rct2mqtt'");
  CHECK(rct::daemon::reply_topic_problem("rct2mqtt/SN1/settings/soc_min/set", own) ==
        "it lies in the bridge's own topic tree 'rct2mqtt'");
  CHECK(rct::daemon::reply_topic_problem("homeassistant/sensor/x/config", own) ==
        "it lies in the bridge's own topic tree 'homeassistant'");
  CHECK(rct::daemon::reply_topic_problem("ha/status", own) ==
        "it lies in the bridge's own topic tree 'ha/status'");
}

TEST_CASE(
    "a command's reply route: none without a response topic, none and one log line for a "
    "refused one",
    "[command_reply]") {
  const std::vector<std::string> own = {"rct", "homeassistant"};
  Effects out;
  CHECK_FALSE(rct::daemon::reply_route("rct/SN1/battery/mode/set", "", "", own, out));
  CHECK(out.empty());
  const auto ok =
      rct::daemon::reply_route("rct/SN1/battery/mode/set", "replies/nr/x", kCorrelation, own, out);
  REQUIRE(ok);
  CHECK(*ok == ReplyTo{"replies/nr/x", kCorrelation});
  CHECK(out.empty());
  CHECK_FALSE(rct::daemon::reply_route("rct/SN1/battery/mode/set", "rct/SN1/battery/mode/set", "c",
                                       own, out));
  REQUIRE(out.size() == 1);
  const auto* line = std::get_if<rct::daemon::LogLine>(&out[0]);
  REQUIRE(line != nullptr);
  CHECK(line->text ==
        "command on rct/SN1/battery/mode/set: not answering to its response topic "
        "'rct/SN1/battery/mode/set': it lies in the bridge's own topic tree 'rct'");
}
