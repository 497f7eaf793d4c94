// SUBSCRIBE: filter checks against the broker's knobs, QoS granted up to the
// broker's maximum, then retained messages per Retain Handling (after the
// SUBACK).
#include <algorithm>

#include "brokers/mqtt/codec/topic.h"
#include "brokers/mqtt/handlers/handlers.h"

namespace mockforge::mqtt {

namespace {

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

Delivery retained_delivery(const storage::RetainedEntry& entry, QoS granted,
                           std::optional<uint32_t> subscription_identifier) {
  auto message = std::make_shared<Message>();
  message->topic = entry.topic;
  const std::string& payload = *entry.message.payload;
  message->payload = std::make_shared<const Bytes>(payload.begin(), payload.end());
  message->qos = static_cast<QoS>(entry.message.qos);
  message->retain = true;
  message->properties = load_properties(entry.message.properties);
  message->expires_at = entry.message.expires_at;
  Delivery delivery;
  delivery.qos = std::min(message->qos, granted);
  delivery.retain = true;  // always set for messages sent because of a subscription
  if (subscription_identifier)
    delivery.subscription_identifiers.push_back(*subscription_identifier);
  delivery.message = std::move(message);
  return delivery;
}

}  // namespace

void handle_subscribe(Client& client, Subscribe& subscribe) {
  const BrokerOptions& options = client.options();
  const auto subscription_identifier =
      subscribe.properties.integer(PropertyId::subscription_identifier);
  if (subscription_identifier && !options.subscription_identifiers_available) {
    client.fail(ReasonCode::subscription_identifiers_not_supported,
                "subscription identifiers are not available");
    return;
  }
  Suback suback;
  suback.packet_id = subscribe.packet_id;
  std::vector<Delivery> retained;
  for (const auto& subscription : subscribe.subscriptions) {
    const auto parsed = parse_topic_filter(subscription.topic_filter);
    if (!parsed) {
      suback.reason_codes.push_back(ReasonCode::topic_filter_invalid);
      continue;
    }
    if (parsed->is_shared() && !options.shared_subscription_available) {
      suback.reason_codes.push_back(ReasonCode::shared_subscriptions_not_supported);
      continue;
    }
    if (has_wildcard(parsed->filter) && !options.wildcard_subscription_available) {
      suback.reason_codes.push_back(ReasonCode::wildcard_subscriptions_not_supported);
      continue;
    }
    if (parsed->is_shared() && subscription.options.no_local) {
      client.fail(ReasonCode::protocol_error, "No Local on a shared subscription");
      return;
    }
    if (const auto* acl = client.acl();
        acl && !acl->may_subscribe(client.identity(), parsed->filter)) {
      // 3.1.1 encodes every refusal as 0x80.
      suback.reason_codes.push_back(options.suback_refusal_unspecified
                                        ? ReasonCode::unspecified_error
                                        : ReasonCode::not_authorized);
      continue;
    }
    const QoS granted = std::min(subscription.options.max_qos, options.maximum_qos);
    storage::SubscriptionOptions stored;
    stored.qos = static_cast<uint8_t>(granted);
    stored.no_local = subscription.options.no_local;
    stored.retain_as_published = subscription.options.retain_as_published;
    stored.retain_handling = static_cast<uint8_t>(subscription.options.retain_handling);
    stored.subscription_identifier = subscription_identifier;
    const bool is_new = client.broker().subscribe(std::string(client.client_id()),
                                                  subscription.topic_filter, stored);
    suback.reason_codes.push_back(static_cast<ReasonCode>(granted));
    if (client.events_on()) {
      client.emit_event(traffic::EventKind::kSubscribe, subscription.topic_filter,
                        "granted qos " + std::to_string(static_cast<int>(granted)));
    }

    const auto handling = subscription.options.retain_handling;
    const bool send_retained =
        !parsed->is_shared() && (handling == RetainHandling::send_at_subscribe ||
                                 (handling == RetainHandling::send_at_new_subscribe && is_new));
    if (send_retained) {
      for (const auto& entry : client.broker().retained_matching(subscription.topic_filter)) {
        retained.push_back(retained_delivery(entry, granted, subscription_identifier));
      }
    }
  }
  client.send(suback);
  for (auto& delivery : retained) client.deliver_now(std::move(delivery));
}

}  // namespace mockforge::mqtt
