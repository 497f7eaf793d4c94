// publish_message() and the message checks it runs; see publish_path.h.
#include "brokers/amqp/handlers/publish_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "brokers/amqp/handlers/direct_reply_to.h"
#include "brokers/amqp/handlers/rabbit_type_name.h"
#include "brokers/amqp/protocol/dead_letter.h"

namespace mockforge::amqp {
namespace {

// A direct reply (default exchange, key amq.rabbitmq.reply-to.*) goes
// straight to the requesting channel's reply consumer. False if none.
bool deliver_direct_reply(AmqpConnection& connection, const std::string& routing_key,
                          const std::vector<uint8_t>& header_payload, const std::string& body) {
  auto target = connection.broker().find_reply_to(routing_key);
  if (!target) return false;
  auto requester = target->connection.lock();
  if (!requester) return false;
  requester->deliver_direct_reply(
      target->channel, routing_key,
      storage::make_bytes(
          std::string(reinterpret_cast<const char*>(header_payload.data()), header_payload.size())),
      storage::make_bytes(body));
  return true;
}

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

}  // namespace

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

namespace {

// Removes the first BCC header, which RabbitMQ strips before delivery (an
// emptied table stays, empty).
void strip_bcc(BasicProperties& properties) {
  if (!properties.headers) return;
  auto& entries = properties.headers->entries;
  auto bcc = std::ranges::find(entries, std::string_view("BCC"), &FieldTableEntry::name);
  if (bcc != entries.end()) entries.erase(bcc);
}

}  // namespace

std::optional<std::chrono::milliseconds> check_message(AmqpConnection& connection,
                                                       const BasicProperties& properties,
                                                       const HeaderRoutes& routes) {
  // A user_id naming anyone but the authenticated user is refused.
  const std::string& user = connection.user();
  if (properties.user_id && *properties.user_id != user) {
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

void publish_message(AmqpConnection& connection, Channel& channel, const BasicPublish& publish,
                     const ContentHeader& received_header, const std::string& body) {
  uint64_t seq = channel.confirm_mode ? channel.next_publish_seq++ : 0;
  ContentHeader header = received_header;
  if (header.properties.reply_to == kReplyToQueue) {
    // Direct reply-to: the requester names its channel's reply consumer.
    if (channel.reply_consumer_tag.empty()) {
      throw AmqpError(ReplyCode::kPreconditionFailed,
                      "PRECONDITION_FAILED - fast reply consumer does not exist");
    }
    header.properties.reply_to = channel.reply_to_key;
  }
  // The message is routed with the publish's routing key and its CC and BCC
  // keys; the BCC header is removed first, so a headers exchange does not see it.
  HeaderRoutes routes = header_routes(header.properties);
  strip_bcc(header.properties);
  std::vector<std::string> routing_keys{publish.routing_key};
  routing_keys.insert(routing_keys.end(), routes.cc.begin(), routes.cc.end());
  routing_keys.insert(routing_keys.end(), routes.bcc.begin(), routes.bcc.end());
  const FieldTable* headers = header.properties.headers ? &*header.properties.headers : nullptr;
  std::set<std::string> queues =
      take(connection.vhost().route(publish.exchange, routing_keys, headers));
  std::optional<std::chrono::milliseconds> ttl =
      check_message(connection, header.properties, routes);
  connection.broker().metrics().published(connection.vhost().name(), publish.exchange);

  std::vector<uint8_t> header_payload = encode_content_header(header);
  if (publish.exchange.empty() && publish.routing_key.starts_with(kReplyToPrefix)) {
    const bool delivered =
        deliver_direct_reply(connection, publish.routing_key, header_payload, body);
    if (!delivered && publish.mandatory) {
      connection.broker().metrics().returned.inc();
      connection.send_content(channel.number,
                              BasicReturn{static_cast<uint16_t>(ReplyCode::kNoRoute), "NO_ROUTE",
                                          publish.exchange, publish.routing_key},
                              header_payload, body);
    }
    if (channel.confirm_mode) connection.send_method(channel.number, BasicAck{seq, false});
    return;
  }
  storage::Bytes properties = storage::make_bytes(
      std::string(reinterpret_cast<const char*>(header_payload.data()), header_payload.size()));
  storage::Bytes body_bytes = storage::make_bytes(body);

  bool refused = false;
  for (const std::string& name : queues) {
    auto queue = connection.vhost().open_queue(name, 0);
    std::shared_ptr<storage::Queue> target;
    if (queue.ok()) {
      target = *queue.value;
    } else {
      target = connection.broker().storage().queues().find(connection.vhost().name(), name);
    }
    if (!target) continue;
    storage::Message message;
    message.body = body_bytes;
    message.properties = properties;
    message.exchange = publish.exchange;
    message.routing_key = publish.routing_key;
    message.cc_routing_keys = routes.cc;
    message.bcc_routing_keys = routes.bcc;
    message.priority = header.properties.priority.value_or(0);
    message.ttl = ttl;
    auto pushed = target->push(std::move(message));
    if (!pushed.ok() || pushed.value().status == storage::PushStatus::kRejected) {
      refused = true;
      continue;
    }
    if (pushed.value().expires_at) connection.broker().housekeeping_at(*pushed.value().expires_at);
    if (!pushed.value().dropped.empty()) {
      dead_letter(connection.broker(), connection.vhost(), name, std::move(pushed.value().dropped),
                  DeathReason::kMaxLength);
    }
  }

  if (!queues.empty()) connection.broker().check_memory_alarm();
  if (queues.empty() && publish.mandatory) {
    connection.broker().metrics().returned.inc();
    connection.send_content(channel.number,
                            BasicReturn{static_cast<uint16_t>(ReplyCode::kNoRoute), "NO_ROUTE",
                                        publish.exchange, publish.routing_key},
                            header_payload, body);
  }
  if (channel.confirm_mode) {
    if (refused) {
      connection.send_method(channel.number, BasicNack{seq, false, false});
    } else {
      connection.send_method(channel.number, BasicAck{seq, false});
    }
  }
}

}  // namespace mockforge::amqp
