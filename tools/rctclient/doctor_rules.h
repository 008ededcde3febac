#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tools/rctclient/doctor_report.h"

// The verdict rules of `rctclient doctor`: figures measured on the link and on the broker in,
// one Check out (docs/rctclient.md "doctor" lists the rules). Pure.

namespace rct::cli::doctor {

// Median (mean of the two middle values for an even count) and worst of reply times in ms;
// nullopt without any.
struct Latency {
  double median_ms = 0;
  double worst_ms = 0;
};
std::optional<Latency> latency(std::vector<double> times_ms);

// "0.4 ms", "23 ms", "1.2 s".
std::string format_ms(double ms);

// A TCP connection attempt, to the inverter or to the broker.
struct TcpFigures {
  std::string target;  // "host:port", never with credentials
  bool connected = false;
  double connect_ms = 0;
  std::string error;  // why connecting failed
};
// Above this a connect is slow (a LAN connects in a few ms; the Wi-Fi stick in tens).
inline constexpr double kSlowConnectMs = 1000;
Check judge_tcp(std::string name, const TcpFigures& f);

// N sequential READs without re-sends, each waiting up to timeout_s.
struct ReadFigures {
  unsigned attempted = 0;
  std::vector<double> times_ms;  // of the answered reads
  double timeout_s = 0;
  // Values no device sends: "energy.e_ac_total = 0" (a lifetime counter at 0), "... = nan".
  std::vector<std::string> implausible;
};
// A median above this is slow: a device answers in ≈ 200 ms (docs/protocol.md §17.2).
inline constexpr double kSlowMedianMs = 1000;
// Up to this share of reads may go unanswered before it is a problem (docs/protocol.md §7.4:
// some loss is normal on a shared link).
inline constexpr double kTolerableLoss = 0.1;
Check judge_reads(const ReadFigures& f);

// Whether a float read from `name` is one no device sends: not finite, beyond ±1e9, or a
// lifetime counter (`lifetime_counter`) at exactly 0. The reason, or nullopt.
std::optional<std::string> implausible_value(double value, bool lifetime_counter);

// Replies nobody on this connection asked for.
struct ForeignFigures {
  double listen_s = 0;
  // While we sent nothing: OID name (or 0x id) → replies seen.
  std::map<std::string, unsigned> listen_oids;
  // While our reads were running: may also be answers with the wrong OID (docs/protocol.md §17).
  unsigned during_reads = 0;
  // Answers to our own unanswered reads that came late, during the listen phase.
  unsigned late_answers = 0;
};
Check judge_foreign(const ForeignFigures& f);

// Broken frames on the connection, over the whole run.
struct FrameFigures {
  unsigned frames = 0;        // valid frames received
  unsigned crc_errors = 0;    // decoder: CRC mismatch
  unsigned cut_frames = 0;    // decoder: a frame cut short by the next start token
  unsigned other_errors = 0;  // decoder: bad command byte or length
  unsigned truncated = 0;     // good CRC, payload shorter than the type needs
  unsigned bad_replies = 0;   // of these, replies to our own requests
  unsigned link_drops = 0;    // the connection was lost and reopened
};
Check judge_frames(const FrameFigures& f);

// What the inventory OIDs (core/inventory.h) answered.
struct InventoryFigures {
  unsigned asked = 0;
  unsigned answered = 0;
  std::string serial;
  std::string firmware;
  std::string device_name;
  std::optional<bool> has_battery;
  std::optional<unsigned> battery_count;
  std::optional<bool> pv_a;
  std::optional<bool> pv_b;
  std::optional<bool> power_switch;
  std::optional<unsigned> plant_role;
};
Check judge_inventory(const InventoryFigures& f);

// The EXTENSION "COM mode" frame 2b 3c e1 (docs/protocol.md §3.7): does the device answer READs
// only after it?
struct ComModeFigures {
  bool reads_worked = false;  // the read check got answers: nothing to try
  bool tried = false;         // fresh connections with and without the frame were tried
  bool answered_without = false;
  bool answered_with = false;
};
Check judge_com_mode(const ComModeFigures& f);

// An MQTT URI as given on the command line:
// mqtt://[user[:password]@]host[:port], mqtts://, tcp://, ssl:// (user and password
// percent-decoded).
struct MqttUri {
  bool tls = false;
  std::string username;
  std::string password;
  bool has_password = false;
  std::string host;
  std::uint16_t port = 0;  // 1883, or 8883 with TLS, unless given

  std::string paho_uri() const;  // "tcp://host:port" / "ssl://host:port"
  std::string redacted() const;  // "mqtts://user@host:port": never the password
};
// The reason on failure (never containing the password).
std::optional<MqttUri> parse_mqtt_uri(std::string_view text, std::string* error);
// The URI of a configuration ("tcp://host:port", maybe "mqtts://…") without any credentials.
std::string redact_uri(std::string_view uri);

// TLS towards the broker.
struct TlsFigures {
  bool used = false;      // a TLS scheme
  bool insecure = false;  // certificate checks off (tls.insecure)
  bool handshake_ok = false;
  std::string ca;     // "system trust store" or the CA file
  std::string error;  // the verification error ("certificate verify failed: ...")
};
Check judge_tls(const TlsFigures& f);

enum class LoginOutcome {
  kAccepted,
  kBadCredentials,  // CONNACK 4 / reason 0x86
  kNotAuthorized,   // CONNACK 5 / reason 0x87
  kFailed,          // any other refusal or error
  kNotTried,        // the broker was not reached
};
struct LoginFigures {
  LoginOutcome outcome = LoginOutcome::kNotTried;
  std::string username;  // empty: anonymous
  std::string error;     // kFailed
  int code = 0;          // the broker's CONNACK code (3.1.1) or reason code (5), when refused
};
Check judge_login(const LoginFigures& f);

// What the broker holds for the inverter: Home Assistant discovery and values.
struct BrokerDataFigures {
  bool connected = false;
  double listen_s = 0;
  bool discovery_enabled = true;  // [homeassistant] enabled
  std::string discovery_filter;   // "homeassistant/+/+/config"
  std::string node_prefix;        // "rct2mqtt_<serial>" (or "rct2mqtt_" without a serial)
  unsigned discovery_configs = 0;
  std::string values_filter;  // "rct2mqtt/<serial>/#"
  unsigned value_topics = 0;
};
Check judge_discovery(const BrokerDataFigures& f);
Check judge_values(const BrokerDataFigures& f);

}  // namespace rct::cli::doctor
