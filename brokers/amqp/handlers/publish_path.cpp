// publish_message() and the message checks it runs; see publish_path.h.
#include "brokers/amqp/handlers/publish_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "brokers/amqp/handlers/direct_reply_to.h"
#include "brokers/amqp/handlers/rabbit_type_name.h"
#include "brokers/amqp/protocol/dead_letter.h"
#include "brokers/amqp/protocol/traffic.h"

namespace mockforge::amqp {
namespace {

// The `expiration` property in milliseconds, refused as RabbitMQ refuses it (its
// reasons, in its words: no_integer, {leftover_string,"..."}, {value_negative,N}).
std::chrono::milliseconds parse_expiration(const std::string& text) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  const char* digits = begin != end && (*begin == '+' || *begin == '-') ? begin + 1 : begin;
  int64_t millis = 0;
  auto [stop, error] = std::from_chars(digits, end, millis);
  std::string reason;
  if (stop == digits) {
    reason = "no_integer";
  } else if (error != std::errc()) {
    reason = fmt::format("{{value_too_large,{}}}", text);
  } else if (stop != end) {
    reason = fmt::format("{{leftover_string,\"{}\"}}", std::string_view(stop, end));
  } else {
    if (*begin == '-') millis = -millis;
    if (millis < 0) reason = fmt::format("{{value_negative,{}}}", millis);
  }
  if (!reason.empty()) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    fmt::format("PRECONDITION_FAILED - invalid expiration '{}': {}", text, reason));
  }
  return std::chrono::milliseconds(millis);
}

// The routing keys of a message's CC and BCC headers (RabbitMQ's
// sender-selected distribution): each header, if present, must be an array;
// its longstr elements are keys, anything else in it is skipped.
struct HeaderRoutes {
  std::vector<std::string> cc;
  std::vector<std::string> bcc;
  // Set when a header is not an array: RabbitMQ's 406 for it (CC checked first).
  std::optional<AmqpError> error;
};

HeaderRoutes header_routes(const BasicProperties& properties) {
  HeaderRoutes routes;
  if (!properties.headers) return routes;
  for (auto [name, keys] : {std::pair{"CC", &routes.cc}, std::pair{"BCC", &routes.bcc}}) {
    const FieldValue* value = properties.headers->find(name);
    if (!value) continue;
    const auto* array = value->get_if<FieldArray>();
    if (!array) {
      routes.error.emplace(ReplyCode::kPreconditionFailed,
                           fmt::format("PRECONDITION_FAILED - invalid message: "
                                       "{{unacceptable_type_in_header,\"{}\",{}}}",
                                       name, rabbit_type_name(*value)));
      return routes;
    }
    for (const FieldValue& element : array->values) {
      if (const auto* key = element.get_if<std::string>()) keys->push_back(*key);
    }
  }
  return routes;
}

// Removes the first BCC header, which RabbitMQ strips before delivery (an
// emptied table stays, empty).
void strip_bcc(BasicProperties& properties) {
  if (!properties.headers) return;
  auto& entries = properties.headers->entries;
  auto bcc = std::ranges::find(entries, std::string_view("BCC"), &FieldTableEntry::name);
  if (bcc != entries.end()) entries.erase(bcc);
}

// The checks RabbitMQ makes on a published message after the exchange and the
// direct reply-to: user_id, expiration, then the CC and BCC headers. Returns
// the per-message TTL.
std::optional<std::chrono::milliseconds> check_message(AmqpConnection& connection,
                                                       const BasicProperties& properties,
                                                       const HeaderRoutes& routes) {
  // A user_id naming anyone but the authenticated user is refused, unless
  // the user has the impersonator tag (RabbitMQ's validated user-id).
  const std::string& user = connection.user();
  if (properties.user_id && *properties.user_id != user &&
      !connection.broker().access().has_tag(user, "impersonator")) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    fmt::format("PRECONDITION_FAILED - user_id property set to '{}' but "
                                "authenticated user was '{}'",
                                *properties.user_id, user));
  }
  std::optional<std::chrono::milliseconds> ttl;
  if (properties.expiration) ttl = parse_expiration(*properties.expiration);
  if (routes.error) throw *routes.error;
  return ttl;
}

void send_return(AmqpConnection& connection, Channel& channel, const BasicPublish& publish,
                 const std::string& properties, const std::string& body) {
  connection.broker().metrics().returned.inc();
  connection.send_content(
      channel.number,
      BasicReturn{static_cast<uint16_t>(ReplyCode::kNoRoute), "NO_ROUTE", publish.exchange,
                  publish.routing_key},
      std::span(reinterpret_cast<const uint8_t*>(properties.data()), properties.size()), body);
}

// Tells the traffic observers, if any watch, about an accepted publish.
void observe(AmqpConnection& connection, const BasicPublish& publish, const std::string& properties,
             const std::string& body) {
  auto* hub = connection.broker().traffic();
  if (hub == nullptr || !hub->observed()) return;
  hub->accepted(to_traffic(publish.exchange, publish.routing_key, properties, body,
                           connection.vhost().name(), connection.client_id()));
}

}  // namespace

bool deliver_direct_reply(BrokerState& broker, const std::string& routing_key,
                          const storage::Bytes& properties, const std::string& body) {
  auto target = broker.find_reply_to(routing_key);
  if (!target) return false;
  auto requester = target->connection.lock();
  if (!requester) return false;
  requester->deliver_direct_reply(target->channel, routing_key, properties,
                                  storage::make_bytes(body));
  return true;
}

QueueStoreOutcome store_in_queues(BrokerState& broker, Vhost& vhost,
                                  const std::set<std::string>& queues,
                                  const std::vector<std::shared_ptr<storage::Queue>>& targets,
                                  const storage::Message& message) {
  QueueStoreOutcome outcome;
  const bool found_while_routing = !targets.empty();
  std::size_t index = 0;
  for (const std::string& name : queues) {
    std::shared_ptr<storage::Queue> target =
        found_while_routing ? targets[index++] : broker.storage().queues().find(vhost.name(), name);
    if (!target) continue;
    outcome.reached = true;
    auto pushed = target->push(message);
    if (!pushed.ok() || pushed.value().status == storage::PushStatus::kRejected) {
      outcome.refused = true;
      // x-overflow reject-publish-dlx: the refused message is dead-lettered too.
      if (pushed.ok()) {
        if (auto policy = vhost.queue_policy(name); policy && policy->overflow_dead_letters) {
          dead_letter(broker, vhost, name, {message}, DeathReason::kMaxLength);
        }
      }
      continue;
    }
    if (pushed.value().expires_at) broker.housekeeping_at(*pushed.value().expires_at);
    if (!pushed.value().dropped.empty()) {
      dead_letter(broker, vhost, name, std::move(pushed.value().dropped), DeathReason::kMaxLength);
    }
  }
  if (outcome.reached) broker.check_memory_alarm();
  return outcome;
}

RoutedPublish route_publish(AmqpConnection& connection, Channel& channel,
                            const BasicPublish& publish, const ContentHeader& received_header,
                            const std::string& body) {
  ContentHeader header = received_header;
  // The message is routed with the publish's routing key and its CC and BCC
  // keys; the BCC header is removed first, so a headers exchange does not see it.
  // A CC or BCC header of the wrong type is refused after the other checks.
  HeaderRoutes routes = header_routes(header.properties);
  strip_bcc(header.properties);
  std::span<const std::string> routing_keys(&publish.routing_key, 1);
  std::vector<std::string> all_keys;  // only when there are CC or BCC keys
  if (!routes.cc.empty() || !routes.bcc.empty()) {
    all_keys.push_back(publish.routing_key);
    all_keys.insert(all_keys.end(), routes.cc.begin(), routes.cc.end());
    all_keys.insert(all_keys.end(), routes.bcc.begin(), routes.bcc.end());
    routing_keys = all_keys;
  }
  const FieldTable* headers = header.properties.headers ? &*header.properties.headers : nullptr;
  // The exchange first: 404 if missing, 403 if internal.
  RoutedPublish routed;
  // A publish stored at tx.commit looks its queues up again then.
  routed.queues = take(connection.vhost().route(publish.exchange, routing_keys, headers,
                                                /*allow_internal=*/false,
                                                channel.tx_mode ? nullptr : &routed.targets));
  if (header.properties.reply_to == kReplyToQueue) {
    // Direct reply-to: the requester names its channel's reply consumer.
    if (channel.reply_consumer_tag.empty()) {
      throw AmqpError(ReplyCode::kPreconditionFailed,
                      "PRECONDITION_FAILED - fast reply consumer does not exist");
    }
    header.properties.reply_to = channel.reply_to_key;
  }
  routed.ttl = check_message(connection, header.properties, routes);
  routed.cc = std::move(routes.cc);
  routed.bcc = std::move(routes.bcc);
  routed.priority = header.properties.priority.value_or(0);
  thread_local ByteWriter encoded;  // scratch: the stored copy is the only allocation
  encoded.clear();
  encode_content_header(encoded, header);
  if (!channel.last_properties || *channel.last_properties != encoded.view()) {
    channel.last_properties = storage::make_bytes(std::string(encoded.view()));
  }
  routed.properties = channel.last_properties;
  if (publish.exchange.empty() && publish.routing_key.starts_with(kReplyToPrefix)) {
    routed.delivered_direct_reply =
        deliver_direct_reply(connection.broker(), publish.routing_key, routed.properties, body);
  }
  return routed;
}

void store_publish(AmqpConnection& connection, Channel& channel, const BasicPublish& publish,
                   const RoutedPublish& routed, const storage::Bytes& body_bytes) {
  const std::string& body = *body_bytes;
  uint64_t seq = channel.confirm_mode ? channel.next_publish_seq++ : 0;
  if (channel.published_counter == nullptr || channel.published_exchange != publish.exchange) {
    channel.published_counter = &connection.broker().metrics().published_series(
        connection.vhost().name(), publish.exchange);
    channel.published_exchange = publish.exchange;
  }
  channel.published_counter->inc();
  if (publish.exchange.empty() && publish.routing_key.starts_with(kReplyToPrefix)) {
    if (routed.delivered_direct_reply) observe(connection, publish, *routed.properties, body);
    if (!routed.delivered_direct_reply && publish.mandatory) {
      send_return(connection, channel, publish, *routed.properties, body);
    }
    if (channel.confirm_mode) connection.confirm_publish(channel, seq, true);
    return;
  }

  storage::Message message;
  message.body = body_bytes;
  message.properties = routed.properties;
  message.exchange = publish.exchange;
  message.routing_key = publish.routing_key;
  message.cc_routing_keys = routed.cc;
  message.bcc_routing_keys = routed.bcc;
  message.priority = routed.priority;
  message.ttl = routed.ttl;
  const auto [reached, refused] = store_in_queues(connection.broker(), connection.vhost(),
                                                  routed.queues, routed.targets, message);
  observe(connection, publish, *routed.properties, body);
  if (!reached && publish.mandatory) {
    send_return(connection, channel, publish, *routed.properties, body);
  }
  if (channel.confirm_mode) connection.confirm_publish(channel, seq, !refused);
}

}  // namespace mockforge::amqp
