#include "brokers/mqtt/broker/traffic.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "brokers/mqtt/broker/broker.h"
#include "brokers/mqtt/codec/neutral_message.h"
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
  out.properties = to_publish_properties(in, Expiry::kOmit);
  const auto& p = in.properties;
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

  std::string declare(const traffic::Resource& resource) override {
    return session(resource, /*dry_run=*/false);
  }

  std::string check(const traffic::Resource& resource) override {
    return session(resource, /*dry_run=*/true);
  }

 private:
  // A persistent session: its subscriptions as a SUBSCRIBE would make them
  // (refusing what SUBACK would), its queued messages as a publish would
  // carry them.
  std::string session(const traffic::Resource& resource, bool dry_run) {
    if (resource.kind != traffic::Resource::Kind::kSession) {
      return fmt::format("MQTT has no {} to declare", traffic::to_string(resource.kind));
    }
    const auto& options = broker_.options();
    if (resource.name.empty()) return "a client id is not empty";
    storage::SubscriptionMap subscriptions;
    for (const auto& subscription : resource.subscriptions) {
      const auto parsed = parse_topic_filter(subscription.filter);
      if (!parsed) return fmt::format("\"{}\" is not a valid topic filter", subscription.filter);
      if (parsed->is_shared() && !options.shared_subscription_available) {
        return "mqtt.shared_subscription_available is false";
      }
      if (parsed->is_shared() && subscription.no_local) {
        return fmt::format("{}: no_local on a shared subscription is a protocol error",
                           subscription.filter);
      }
      if (!options.wildcard_subscription_available &&
          parsed->filter.find_first_of("+#") != std::string_view::npos) {
        return "mqtt.wildcard_subscription_available is false";
      }
      if (subscription.qos > 2 || subscription.retain_handling > 2) {
        return fmt::format("{}: qos and retain_handling are 0, 1 or 2", subscription.filter);
      }
      storage::SubscriptionOptions stored;
      // Granted as SUBACK would grant it: at most mqtt.maximum_qos.
      stored.qos = std::min<uint8_t>(subscription.qos, static_cast<uint8_t>(options.maximum_qos));
      stored.no_local = subscription.no_local;
      stored.retain_as_published = subscription.retain_as_published;
      stored.retain_handling = subscription.retain_handling;
      stored.subscription_identifier = subscription.subscription_identifier;
      subscriptions[subscription.filter] = stored;
    }
    std::vector<Message> queued;
    for (const auto& message : resource.queued) {
      if (auto refused = refusal(message, options); !refused.empty()) {
        return fmt::format("queued message to {}: {}", message.destination, refused);
      }
      if (message.qos == 0) {
        return fmt::format(
            "queued message to {}: QoS 0 messages are not queued for offline "
            "clients (1 or 2)",
            message.destination);
      }
      queued.push_back(from_traffic(message));
    }
    return broker_.declare_session(resource.name, resource.session_expiry_seconds, subscriptions,
                                   queued, dry_run);
  }

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
  read_publish_properties(message.properties, out);
  if (message.expires_at) {
    const auto left =
        std::chrono::ceil<std::chrono::seconds>(*message.expires_at - storage::Clock::now());
    out.properties.message_expiry_seconds =
        static_cast<uint32_t>(std::max<int64_t>(0, left.count()));
  }
  return out;
}

std::shared_ptr<traffic::Endpoint> make_traffic_endpoint(Broker& broker) {
  return std::make_shared<MqttEndpoint>(broker);
}

}  // namespace mockforge::mqtt
