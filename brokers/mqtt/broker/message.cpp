#include "brokers/mqtt/broker/message.h"

#include <variant>

#include "brokers/mqtt/codec/packet.h"

namespace mockforge::mqtt {

Properties forwarded_properties(const Properties& publish_properties) {
  Properties out;
  for (const auto& property : publish_properties.entries()) {
    switch (property.id) {
      case PropertyId::payload_format_indicator:
      case PropertyId::content_type:
      case PropertyId::response_topic:
      case PropertyId::correlation_data:
      case PropertyId::user_property:
        out.add(property.id, property.value);
        break;
      default:
        break;
    }
  }
  return out;
}

// Properties are kept in storage as a v5 PUBLISH carrying only them, so the
// codec both writes and validates them.
storage::Bytes store_properties(const Properties& properties) {
  if (properties.empty()) return nullptr;
  Publish carrier;
  carrier.topic_name = "p";
  carrier.properties = properties;
  const Bytes encoded = encode_packet(carrier, ProtocolVersion::v5);
  return storage::make_bytes(std::string(encoded.begin(), encoded.end()));
}

Properties load_properties(const storage::Bytes& stored) {
  if (!stored || stored->empty()) return {};
  const auto* data = reinterpret_cast<const uint8_t*>(stored->data());
  auto decoded = decode_packet({data, stored->size()}, ProtocolVersion::v5);
  if (!decoded) return {};
  if (auto* publish = std::get_if<Publish>(&decoded.value())) return publish->properties;
  return {};
}

storage::OfflineMessage to_offline(const Delivery& delivery) {
  const Message& message = *delivery.message;
  storage::OfflineMessage offline;
  offline.topic = message.topic;
  offline.payload =
      storage::make_bytes(std::string(message.payload->begin(), message.payload->end()));
  offline.qos = static_cast<uint8_t>(delivery.qos);
  offline.retain = delivery.retain;
  Properties properties = message.properties;
  for (uint32_t id : delivery.subscription_identifiers) {
    properties.add(PropertyId::subscription_identifier, id);
  }
  offline.properties = store_properties(properties);
  offline.expires_at = message.expires_at;
  return offline;
}

Delivery from_offline(const storage::OfflineMessage& offline) {
  auto message = std::make_shared<Message>();
  message->topic = offline.topic;
  const std::string& payload = offline.payload ? *offline.payload : std::string();
  message->payload = std::make_shared<const Bytes>(payload.begin(), payload.end());
  message->qos = static_cast<QoS>(offline.qos);
  message->retain = offline.retain;
  message->expires_at = offline.expires_at;
  Delivery delivery;
  Properties properties = load_properties(offline.properties);
  delivery.subscription_identifiers = properties.subscription_identifiers();
  properties.erase(PropertyId::subscription_identifier);
  message->properties = std::move(properties);
  delivery.qos = message->qos;
  delivery.retain = offline.retain;
  delivery.message = std::move(message);
  return delivery;
}

}  // namespace mockforge::mqtt
