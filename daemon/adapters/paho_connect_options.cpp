#include "daemon/adapters/paho_connect_options.h"

#include <MQTTAsync.h>
#include <mqtt/ssl_options.h>

namespace rct {

int paho_version(MqttProtocol protocol) {
  switch (protocol) {
    case MqttProtocol::kV5:
      return MQTTVERSION_5;
    case MqttProtocol::kV311:
      return MQTTVERSION_3_1_1;
  }
  return MQTTVERSION_5;
}

mqtt::create_options paho_create_options(MqttProtocol protocol) {
  // A setting of the whole process, which Paho reads when it creates its first client: made once,
  // by whichever thread gets here first (a function-local static is initialised exactly once).
  static const bool openssl_left_alone = [] {
    MQTTAsync_init_options init = MQTTAsync_init_options_initializer;
    init.do_openssl_init = 0;
    MQTTAsync_global_init(&init);
    return true;
  }();
  (void)openssl_left_alone;
  return mqtt::create_options(paho_version(protocol));
}

mqtt::connect_options_builder paho_connect_builder(const MqttConfig& config, bool tls) {
  auto builder = mqtt::connect_options_builder().mqtt_version(paho_version(config.protocol));
  // One flag on the wire, two fields in Paho C, which refuses a connect that sets the other
  // version's: clean session (3.1.1) or clean start (5), without a session expiry either way.
  switch (config.protocol) {
    case MqttProtocol::kV5:
      builder.clean_session(false).clean_start(true);
      break;
    case MqttProtocol::kV311:
      builder.clean_session(true).clean_start(false);
      break;
  }
  if (!config.username.empty()) builder.user_name(config.username);
  if (!config.password.empty()) builder.password(config.password.reveal());
  if (tls) {
    const TlsConfig& t = config.tls;
    auto ssl = mqtt::ssl_options_builder();
    if (!t.ca_file.empty()) ssl.trust_store(t.ca_file);
    if (!t.cert_file.empty()) ssl.key_store(t.cert_file);
    if (!t.key_file.empty()) ssl.private_key(t.key_file);
    if (!t.key_password.empty()) ssl.private_keypassword(t.key_password.reveal());
    ssl.enable_server_cert_auth(!t.insecure);
    ssl.verify(!t.insecure);
    builder.ssl(ssl.finalize());
  }
  return builder;
}

}  // namespace rct
