// Broker-wide knobs (from the mqtt.* config keys), advertised in CONNACK
// and enforced by the handlers.
#pragma once

#include <cstddef>
#include <cstdint>

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
};

}  // namespace mockforge::mqtt
