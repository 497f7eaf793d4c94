// An application message as the broker routes it, and one delivery of it to
// one client (with the QoS, retain flag and subscription identifiers that
// client's matching subscriptions give it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brokers/mqtt/codec/properties.h"
#include "brokers/mqtt/codec/types.h"
#include "core/storage/common.h"
#include "core/storage/mqtt_state.h"

namespace mockforge::mqtt {

struct Message {
  std::string topic;
  std::shared_ptr<const Bytes> payload;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  // v5 properties passed through to subscribers: payload format, content
  // type, response topic, correlation data, user properties. Never topic
  // alias, subscription identifier or message expiry (recomputed).
  Properties properties;
  std::optional<storage::TimePoint> expires_at;
  std::string publisher;  // client id, for No Local
};

struct Delivery {
  std::shared_ptr<const Message> message;
  QoS qos = QoS::at_most_once;
  bool retain = false;
  std::vector<uint32_t> subscription_identifiers;
};

// Properties that travel with a message from publisher to subscriber.
Properties forwarded_properties(const Properties& publish_properties);

// v5 properties in storage (offline queues, retained messages).
storage::Bytes store_properties(const Properties& properties);
Properties load_properties(const storage::Bytes& stored);

// Storage form of a delivery, for offline queues; and back.
storage::OfflineMessage to_offline(const Delivery& delivery);
Delivery from_offline(const storage::OfflineMessage& offline);

}  // namespace mockforge::mqtt
