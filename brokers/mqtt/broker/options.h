// Broker-wide knobs (from the mqtt.* config keys), advertised in CONNACK
// and enforced by the handlers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "brokers/mqtt/broker/access.h"
#include "brokers/mqtt/broker/password_file.h"
#include "brokers/mqtt/codec/types.h"

namespace mockforge::mqtt {

struct BrokerOptions {
  std::size_t max_connections = 0;       // 0: unlimited
  uint16_t keep_alive_cap_secs = 65535;  // Server Keep Alive when a client asks for more
  uint16_t receive_maximum = 65535;      // inbound QoS 1/2 in flight per client
  uint16_t topic_alias_maximum = 65535;  // client -> server aliases accepted
  QoS maximum_qos = QoS::exactly_once;
  bool retain_available = true;
  bool wildcard_subscription_available = true;
  bool subscription_identifiers_available = true;
  bool shared_subscription_available = true;
  uint32_t maximum_packet_size = kMaxPacketSize;
  std::size_t max_queued_messages = 1000;  // per client: offline queue and in-flight backlog
  std::size_t metrics_topic_levels = 1;    // topic label of mqtt_messages_published_total

  // Authentication: when enabled, CONNECT must carry a user name of `users`
  // with its password. When disabled, user names are taken as given.
  bool auth_enabled = false;
  std::map<std::string, std::string, std::less<>> users;  // user name -> password
  // mqtt.password_file: users with hashed passwords, checked after `users`.
  std::map<std::string, PasswordHash, std::less<>> hashed_users;
  // mqtt.use_identity_as_username: on TLS connections the user is the
  // client certificate's CN; CONNECT's user name and password are ignored.
  bool use_identity_as_username = false;
  // mqtt.use_subject_as_username: the same with the certificate's whole
  // subject (RFC 2253, as Mosquitto); use_identity_as_username wins.
  bool use_subject_as_username = false;
  std::shared_ptr<const AccessControl> acl;  // null or empty: all allowed
  // v5 SUBACK code for a subscription the ACL refuses: 0x87 Not authorized,
  // or 0x80 Unspecified error when set (3.1.1 always gets 0x80).
  bool suback_refusal_unspecified = false;

  // $SYS/broker/... statistics: how often they are published (0: never),
  // and the version string of $SYS/broker/version.
  std::chrono::milliseconds sys_interval{10000};
  std::string version = "mockforge";
};

}  // namespace mockforge::mqtt
