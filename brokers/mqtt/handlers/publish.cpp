// PUBLISH from a client: topic alias resolution, the broker's limits, the
// payload format check, exactly-once for QoS 2 (a repeated packet id is
// acknowledged again, not routed again), routing, and the acknowledgement.
#include <chrono>

#include "brokers/mqtt/broker/traffic.h"
#include "brokers/mqtt/codec/topic.h"
#include "brokers/mqtt/codec/utf8.h"
#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

namespace {

// Resolves or records a v5 Topic Alias; false after failing the connection.
bool resolve_topic_alias(Client& client, Publish& publish) {
  const auto alias = publish.properties.integer(PropertyId::topic_alias);
  if (!alias) return true;
  if (*alias == 0 || *alias > client.options().topic_alias_maximum) {
    client.fail(ReasonCode::topic_alias_invalid, "topic alias out of range");
    return false;
  }
  auto& aliases = client.topic_aliases();
  if (publish.topic_name.empty()) {
    auto it = aliases.find(static_cast<uint16_t>(*alias));
    if (it == aliases.end()) {
      client.fail(ReasonCode::protocol_error, "unknown topic alias");
      return false;
    }
    publish.topic_name = it->second;
  } else {
    aliases[static_cast<uint16_t>(*alias)] = publish.topic_name;
  }
  return true;
}

void acknowledge(Client& client, const Publish& publish, ReasonCode code) {
  if (publish.qos == QoS::at_least_once) {
    PubAck puback;
    puback.packet_id = publish.packet_id;
    puback.reason_code = code;
    client.send(puback);
  } else if (publish.qos == QoS::exactly_once) {
    PubRec pubrec;
    pubrec.packet_id = publish.packet_id;
    pubrec.reason_code = code;
    client.send(pubrec);
  }
}

}  // namespace

void handle_publish(Client& client, Publish& publish) {
  const BrokerOptions& options = client.options();
  auto& stats = client.broker().stats();
  stats.publish_received.fetch_add(1, std::memory_order_relaxed);
  stats.publish_bytes_received.fetch_add(publish.payload.size(), std::memory_order_relaxed);
  if (client.v5() && !resolve_topic_alias(client, publish)) return;
  if (publish.topic_name.empty()) {
    client.fail(ReasonCode::protocol_error, "PUBLISH without a topic");
    return;
  }
  if (!is_valid_topic_name(publish.topic_name)) {
    client.fail(ReasonCode::topic_name_invalid, "invalid topic name");
    return;
  }
  if (publish.qos > options.maximum_qos) {
    client.fail(ReasonCode::qos_not_supported, "QoS above the broker's maximum");
    return;
  }
  if (publish.retain && !options.retain_available) {
    client.fail(ReasonCode::retain_not_supported, "retained messages are not available");
    return;
  }
  if (publish.properties.contains(PropertyId::subscription_identifier)) {
    client.fail(ReasonCode::protocol_error, "Subscription Identifier in a client PUBLISH");
    return;
  }
  if (publish.qos == QoS::exactly_once) {
    if (client.inbound_qos2().contains(publish.packet_id)) {
      acknowledge(client, publish, ReasonCode::success);  // already routed once
      return;
    }
    if (client.inbound_qos2().size() >= options.receive_maximum) {
      client.fail(ReasonCode::receive_maximum_exceeded, "more QoS 2 in flight than allowed");
      return;
    }
  }
  // $SYS/ is the broker's; other topics as the ACL says. A refused message
  // is not routed: v5 says so in PUBACK/PUBREC (0x87), 3.1.1 has no way to
  // and acknowledges it as usual (as Mosquitto does); QoS 0 is dropped.
  const auto* acl = client.acl();
  if (publish.topic_name.starts_with("$SYS/") ||
      (acl && !acl->may_publish(client.identity(), publish.topic_name))) {
    client.broker().dropped("not_authorized");
    if (client.v5()) {
      acknowledge(client, publish, ReasonCode::not_authorized);
    } else {
      if (publish.qos == QoS::exactly_once) client.inbound_qos2().insert(publish.packet_id);
      acknowledge(client, publish, ReasonCode::success);
    }
    return;
  }
  if (publish.properties.integer(PropertyId::payload_format_indicator).value_or(0) == 1) {
    const std::string_view text(reinterpret_cast<const char*>(publish.payload.data()),
                                publish.payload.size());
    if (validate_mqtt_utf8(text) != Utf8Status::valid) {
      if (publish.qos == QoS::at_most_once) {
        client.fail(ReasonCode::payload_format_invalid, "payload is not UTF-8");
      } else {
        acknowledge(client, publish, ReasonCode::payload_format_invalid);
      }
      return;
    }
  }

  Message message;
  message.topic = publish.topic_name;
  message.payload = std::make_shared<const Bytes>(std::move(publish.payload));
  message.qos = publish.qos;
  message.retain = publish.retain;
  message.properties = forwarded_properties(publish.properties);
  message.publisher = client.client_id();
  if (auto expiry = publish.properties.integer(PropertyId::message_expiry_interval)) {
    message.expires_at = storage::Clock::now() + std::chrono::seconds(*expiry);
  }
  // A gate (AsyncAPI validation) may refuse it: v5 says so in PUBACK/PUBREC
  // with 0x99 (Payload format invalid), QoS 0 and 3.1.1 cannot, so it is
  // dropped and counted (3.1.1 acknowledges it as usual, as for the ACL).
  std::size_t routed = 0;
  if (auto* hub = client.broker().traffic(); hub != nullptr && hub->gated()) {
    const traffic::Message as_traffic = to_traffic(message);
    if (hub->admit(as_traffic).refused) {
      client.broker().dropped("invalid_payload");
      if (client.v5()) {
        acknowledge(client, publish, ReasonCode::payload_format_invalid);
      } else {
        if (publish.qos == QoS::exactly_once) client.inbound_qos2().insert(publish.packet_id);
        acknowledge(client, publish, ReasonCode::success);
      }
      return;
    }
    routed = client.broker().publish_from_client(message, as_traffic);
  } else {
    routed = client.broker().publish_from_client(message);
  }
  if (publish.qos == QoS::exactly_once) client.inbound_qos2().insert(publish.packet_id);
  acknowledge(
      client, publish,
      routed == 0 && client.v5() ? ReasonCode::no_matching_subscribers : ReasonCode::success);
}

}  // namespace mockforge::mqtt
