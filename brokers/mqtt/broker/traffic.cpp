#include "brokers/mqtt/broker/traffic.h"

#include <fmt/format.h>

#include <chrono>

#include "brokers/mqtt/broker/broker.h"
#include "brokers/mqtt/codec/topic.h"
#include "brokers/mqtt/codec/utf8.h"

namespace mockforge::mqtt {
namespace {

// Refuses what the broker would refuse from a client, with the reason.
std::string refusal(const traffic::Message& message, const BrokerOptions& options) {
  if (message.destination.empty() || !is_valid_topic_name(message.destination)) {
    return fmt::format("\"{}\" is not a valid MQTT topic name", message.destination);
  }
  if (message.destination.starts_with("$SYS/")) return "$SYS/ topics are the broker's";
  if (message.qos > 2) return fmt::format("QoS {} does not exist (0, 1 or 2)", message.qos);
  if (static_cast<QoS>(message.qos) > options.maximum_qos) {
    return fmt::format("QoS {} is above mqtt.maximum_qos", message.qos);
  }
  if (message.retain && !options.retain_available) return "mqtt.retain_available is false";
  if (message.properties.payload_utf8.value_or(false) &&
      validate_mqtt_utf8(message.payload) != Utf8Status::valid) {
    return "payload_format_indicator 1 but the payload is not UTF-8";
  }
  return {};
}

Message from_traffic(const traffic::Message& in) {
  Message out;
  out.topic = in.destination;
  out.payload = std::make_shared<const Bytes>(in.payload.begin(), in.payload.end());
  out.qos = static_cast<QoS>(in.qos);
  out.retain = in.retain;
  out.publisher = in.client_id;
  const auto& p = in.properties;
  if (p.payload_utf8)
    out.properties.set(PropertyId::payload_format_indicator, uint32_t{*p.payload_utf8});
  if (p.content_type) out.properties.set(PropertyId::content_type, *p.content_type);
  if (p.reply_to) out.properties.set(PropertyId::response_topic, *p.reply_to);
  if (p.correlation_id) {
    out.properties.set(PropertyId::correlation_data,
                       Bytes(p.correlation_id->begin(), p.correlation_id->end()));
  }
  for (const auto& header : in.headers) {
    out.properties.add_user_property(header.name, traffic::header_text(header.value));
  }
  if (p.message_expiry_seconds) {
    out.expires_at = storage::Clock::now() + std::chrono::seconds(*p.message_expiry_seconds);
  }
  return out;
}

class MqttEndpoint : public traffic::Endpoint {
 public:
  explicit MqttEndpoint(Broker& broker) : broker_(broker) {}

  traffic::PublishResult publish(std::span<const traffic::Message> messages) override {
    traffic::PublishResult result;
    for (const auto& message : messages) {
      if (auto refused = refusal(message, broker_.options()); !refused.empty()) {
        result.error = std::move(refused);
        return result;
      }
      broker_.publish(from_traffic(message));
      ++result.accepted;
    }
    return result;
  }

  std::string declare(const traffic::Resource& resource) override { return check(resource); }

  std::string check(const traffic::Resource& resource) override {
    return fmt::format("MQTT has no {} to declare", traffic::to_string(resource.kind));
  }

 private:
  Broker& broker_;
};

}  // namespace

traffic::Message to_traffic(const Message& message) {
  traffic::Message out;
  out.protocol = traffic::Protocol::kMqtt;
  out.destination = message.topic;
  if (message.payload) out.payload.assign(message.payload->begin(), message.payload->end());
  out.qos = static_cast<uint8_t>(message.qos);
  out.retain = message.retain;
  out.client_id = message.publisher;
  out.timestamp_ms = storage::to_unix_millis(storage::Clock::now());
  const auto& p = message.properties;
  if (auto v = p.integer(PropertyId::payload_format_indicator))
    out.properties.payload_utf8 = *v == 1;
  if (auto v = p.string(PropertyId::content_type)) out.properties.content_type = std::string(*v);
  if (auto v = p.string(PropertyId::response_topic)) out.properties.reply_to = std::string(*v);
  if (auto v = p.binary(PropertyId::correlation_data)) {
    out.properties.correlation_id = std::string(v->begin(), v->end());
  }
  if (message.expires_at) {
    const auto left =
        std::chrono::ceil<std::chrono::seconds>(*message.expires_at - storage::Clock::now());
    out.properties.message_expiry_seconds =
        static_cast<uint32_t>(std::max<int64_t>(0, left.count()));
  }
  for (auto& pair : p.user_properties())
    out.headers.push_back({std::move(pair.name), std::move(pair.value)});
  return out;
}

std::shared_ptr<traffic::Endpoint> make_traffic_endpoint(Broker& broker) {
  return std::make_shared<MqttEndpoint>(broker);
}

}  // namespace mockforge::mqtt
