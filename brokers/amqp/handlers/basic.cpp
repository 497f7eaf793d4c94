// basic.qos, consume, cancel, publish, get, ack, reject, nack, recover.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <random>

#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/model/queue_arguments.h"
#include "brokers/amqp/protocol/dead_letter.h"

namespace mockforge::amqp {
namespace {

constexpr std::string_view kReplyToQueue = "amq.rabbitmq.reply-to";
constexpr std::string_view kReplyToPrefix = "amq.rabbitmq.reply-to.";

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

// RabbitMQ's name for a field value's type, as its errors print it.
std::string_view rabbit_type_name(const FieldValue& value) {
  switch (value.type_tag()) {
    case 't':
      return "bool";
    case 'b':
      return "byte";
    case 'B':
      return "unsignedbyte";
    case 's':
      return "short";
    case 'u':
      return "unsignedshort";
    case 'I':
      return "signedint";
    case 'i':
      return "unsignedint";
    case 'l':
      return "long";
    case 'f':
      return "float";
    case 'd':
      return "double";
    case 'D':
      return "decimal";
    case 'S':
      return "longstr";
    case 'A':
      return "array";
    case 'T':
      return "timestamp";
    case 'F':
      return "table";
    case 'V':
      return "void";
    case 'x':
      return "binary";
    default:
      return "unknown";
  }
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

// The checks RabbitMQ makes on a published message once the exchange is
// known, in its order: user_id, expiration, then the CC and BCC headers.
// Returns the per-message TTL.
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

}  // namespace

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

namespace {

std::string random_suffix() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string suffix;
  for (int i = 0; i < 22; ++i) suffix += kAlphabet[random() % 62];
  return suffix;
}

// basic.consume on the amq.rabbitmq.reply-to pseudo-queue: no-ack only, one
// per channel; replies published to the channel's key are delivered to it.
void consume_direct_reply_to(HandlerContext& ctx, const BasicConsume& method,
                             const std::string& tag) {
  if (!method.no_ack) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - reply consumer cannot acknowledge");
  }
  if (!ctx.channel.reply_consumer_tag.empty()) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - reply consumer already set");
  }
  if (ctx.channel.reply_to_key.empty()) {
    ctx.channel.reply_to_key = fmt::format("{}mf{}.{}.{}", kReplyToPrefix, ctx.connection.id(),
                                           ctx.channel.number, random_suffix());
  }
  ctx.channel.reply_consumer_tag = tag;
  ctx.connection.broker().register_reply_to(
      ctx.channel.reply_to_key,
      BrokerState::ReplyTarget{ctx.connection.weak_from_this(), ctx.channel.number});
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, BasicConsumeOk{tag});
}

// Checks the consumer arguments RabbitMQ knows (x-priority an integer,
// x-cancel-on-ha-failover a boolean, x-stream-offset a stream offset) and
// ignores the others, as RabbitMQ does. Returns the x-priority.
int64_t consumer_priority(const FieldTable& arguments, const Vhost& vhost,
                          const std::string& queue) {
  auto invalid = [&](std::string_view key, const std::string& detail) {
    return AmqpError(ReplyCode::kPreconditionFailed,
                     fmt::format("PRECONDITION_FAILED - invalid arg '{}' for queue '{}' in vhost "
                                 "'{}': {}",
                                 key, queue, vhost.name(), detail));
  };
  int64_t priority = 0;
  if (const FieldValue* value = arguments.find("x-priority")) {
    std::optional<int64_t> number = field_integer(*value);
    if (!number) {
      throw invalid("x-priority",
                    fmt::format("\"expected integer, got {}\"", rabbit_type_name(*value)));
    }
    priority = *number;
  }
  if (const FieldValue* value = arguments.find("x-cancel-on-ha-failover");
      value && !value->get_if<bool>()) {
    throw invalid("x-cancel-on-ha-failover",
                  fmt::format("{{unacceptable_type,{}}}", rabbit_type_name(*value)));
  }
  if (const FieldValue* value = arguments.find("x-stream-offset")) {
    // first, last, next, an interval such as 1D or 30m, an offset or a timestamp.
    bool valid = field_integer(*value).has_value() || value->get_if<Timestamp>() != nullptr;
    if (const auto* text = value->get_if<std::string>()) {
      const std::size_t digits = text->find_first_not_of("0123456789");
      valid = *text == "first" || *text == "last" || *text == "next" ||
              (digits != 0 && digits != std::string::npos && digits + 1 == text->size() &&
               std::string_view("YMDhms").find(text->back()) != std::string_view::npos);
    }
    if (!valid) throw invalid("x-stream-offset", "{invalid_stream_offset_arg,...}");
  }
  return priority;
}

void qos(HandlerContext& ctx) {
  const auto& method = std::get<BasicQos>(ctx.command.method);
  if (method.prefetch_size != 0) {
    throw AmqpError(ReplyCode::kNotImplemented, "NOT_IMPLEMENTED - prefetch_size!=0 (" +
                                                    std::to_string(method.prefetch_size) + ")");
  }
  // RabbitMQ: global=false limits each consumer created afterwards,
  // global=true the whole channel.
  if (method.global) {
    ctx.channel.channel_prefetch = method.prefetch_count;
  } else {
    ctx.channel.consumer_prefetch = method.prefetch_count;
  }
  ctx.connection.send_method(ctx.channel.number, BasicQosOk{});
  ctx.connection.pump(ctx.channel);
}

void consume(HandlerContext& ctx) {
  const auto& method = std::get<BasicConsume>(ctx.command.method);
  const std::string& queue_name = resolve_queue_name(ctx.channel, method.queue);
  const int64_t priority = consumer_priority(method.arguments, ctx.connection.vhost(), queue_name);
  std::string tag = method.consumer_tag;
  if (tag.empty()) {
    tag = fmt::format("amq.ctag-mf{}-{}-{}", ctx.connection.id(), ctx.channel.number,
                      ctx.channel.next_consumer_number++);
  }
  if (ctx.channel.consumers.contains(tag) || tag == ctx.channel.reply_consumer_tag) {
    throw AmqpError(ReplyCode::kNotAllowed,
                    fmt::format("NOT_ALLOWED - attempt to reuse consumer tag '{}'", tag));
  }
  if (queue_name == kReplyToQueue) {
    consume_direct_reply_to(ctx, method, tag);
    return;
  }
  ctx.connection.check_access(Permission::kRead, AmqpConnection::ResourceKind::kQueue, queue_name);
  auto storage_queue =
      take(ctx.connection.vhost().open_queue(queue_name, ctx.connection.id(), /*use=*/true));

  std::weak_ptr<AmqpConnection> weak = ctx.connection.weak_from_this();
  uint16_t channel_number = ctx.channel.number;
  auto ready = std::make_shared<std::atomic<bool>>(true);
  ConsumerRegistration registration;
  registration.connection_id = ctx.connection.id();
  registration.tag = tag;
  registration.exclusive = method.exclusive;
  registration.on_queue_deleted = [weak, channel_number, tag] {
    if (auto self = weak.lock()) self->consumer_queue_deleted(channel_number, tag);
  };
  registration.priority = priority;
  registration.ready = ready;
  auto unacked = std::make_shared<std::atomic<uint32_t>>(0);
  registration.unacked = unacked;
  registration.wake = [weak, channel_number] {
    if (auto self = weak.lock()) self->schedule_pump(channel_number);
  };
  uint64_t registration_id =
      take(ctx.connection.vhost().add_consumer(queue_name, std::move(registration)));

  Consumer consumer;
  consumer.tag = tag;
  consumer.queue = queue_name;
  consumer.storage = storage_queue;
  consumer.no_ack = method.no_ack;
  consumer.prefetch = ctx.channel.consumer_prefetch;
  consumer.registration = registration_id;
  consumer.ready = ready;
  consumer.unacked = unacked;
  consumer.listener = storage_queue->add_available_listener([weak, channel_number] {
    if (auto self = weak.lock()) self->schedule_pump(channel_number);
  });
  ctx.channel.consumers[tag] = std::move(consumer);
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, BasicConsumeOk{tag});
  ctx.connection.pump(ctx.channel);
}

void cancel(HandlerContext& ctx) {
  const auto& method = std::get<BasicCancel>(ctx.command.method);
  if (!ctx.channel.reply_consumer_tag.empty() &&
      method.consumer_tag == ctx.channel.reply_consumer_tag) {
    ctx.connection.broker().unregister_reply_to(ctx.channel.reply_to_key);
    ctx.channel.reply_consumer_tag.clear();
  }
  ctx.connection.drop_consumer(ctx.channel, method.consumer_tag);
  if (!method.no_wait) {
    ctx.connection.send_method(ctx.channel.number, BasicCancelOk{method.consumer_tag});
  }
}

void publish(HandlerContext& ctx) {
  const auto& method = std::get<BasicPublish>(ctx.command.method);
  if (method.immediate) {
    throw AmqpError(ReplyCode::kNotImplemented, "NOT_IMPLEMENTED - immediate=true");
  }
  ctx.connection.check_access(Permission::kWrite, AmqpConnection::ResourceKind::kExchange,
                              method.exchange);
  if (ctx.channel.tx_mode) {
    // Checked now, routed and stored at commit.
    take(ctx.connection.vhost().route(method.exchange, method.routing_key, nullptr));
    const BasicProperties& properties = ctx.command.header->properties;
    check_message(ctx.connection, properties, header_routes(properties));
    AmqpConnection* connection = &ctx.connection;
    uint16_t number = ctx.channel.number;
    ctx.channel.tx_pending.push_back(
        [connection, number, method, header = *ctx.command.header, body = ctx.command.body] {
          if (Channel* channel = connection->find_channel(number)) {
            publish_message(*connection, *channel, method, header, body);
          }
        });
    return;
  }
  publish_message(ctx.connection, ctx.channel, method, *ctx.command.header, ctx.command.body);
}

void get(HandlerContext& ctx) {
  const auto& method = std::get<BasicGet>(ctx.command.method);
  const std::string& queue_name = resolve_queue_name(ctx.channel, method.queue);
  ctx.connection.check_access(Permission::kRead, AmqpConnection::ResourceKind::kQueue, queue_name);
  auto queue =
      take(ctx.connection.vhost().open_queue(queue_name, ctx.connection.id(), /*use=*/true));
  if (auto deadline = ctx.connection.vhost().next_unused_expiry()) {
    ctx.connection.broker().housekeeping_at(*deadline);
  }
  storage::PopResult popped = queue->pop(storage::Clock::now());
  if (!popped.expired.empty()) {
    dead_letter(ctx.connection.broker(), ctx.connection.vhost(), queue_name,
                std::move(popped.expired), DeathReason::kExpired);
  }
  if (!popped.delivery) {
    ctx.connection.send_method(ctx.channel.number, BasicGetEmpty{});
    return;
  }
  const storage::QueuedMessage& delivery = *popped.delivery;
  uint64_t tag = ctx.channel.next_delivery_tag++;
  if (method.no_ack) {
    queue->ack(delivery.id);
  } else {
    ctx.channel.unacked[tag] = UnackedDelivery{queue, queue_name, delivery.id, ""};
  }
  auto& metrics = ctx.connection.broker().metrics();
  metrics.delivered(ctx.connection.vhost().name(), queue_name);
  if (delivery.message.redelivered) metrics.redelivered.inc();
  const std::string& properties = *delivery.message.properties;
  ctx.connection.send_content(
      ctx.channel.number,
      BasicGetOk{tag, delivery.message.redelivered, delivery.message.exchange,
                 delivery.message.routing_key, static_cast<uint32_t>(queue->ready_count())},
      std::span(reinterpret_cast<const uint8_t*>(properties.data()), properties.size()),
      *delivery.message.body);
}

// The delivery tags an ack/nack/reject covers; unknown tags are 406.
std::vector<uint64_t> covered_tags(Channel& channel, uint64_t tag, bool multiple) {
  std::vector<uint64_t> tags;
  if (multiple) {
    for (const auto& [unacked_tag, delivery] : channel.unacked) {
      if (tag != 0 && unacked_tag > tag) break;
      tags.push_back(unacked_tag);
    }
    if (tag == 0 || !tags.empty()) return tags;
  } else if (channel.unacked.contains(tag)) {
    return {tag};
  }
  throw AmqpError(ReplyCode::kPreconditionFailed,
                  fmt::format("PRECONDITION_FAILED - unknown delivery tag {}", tag));
}

void settle_all(HandlerContext& ctx, uint64_t tag, bool multiple, AmqpConnection::Settle how) {
  std::vector<uint64_t> tags = covered_tags(ctx.channel, tag, multiple);
  auto apply = [connection = &ctx.connection, number = ctx.channel.number, tags, how] {
    Channel* channel = connection->find_channel(number);
    if (!channel) return;
    for (uint64_t each : tags) connection->settle(*channel, each, how);
    connection->pump(*channel);
  };
  if (ctx.channel.tx_mode) {
    ctx.channel.tx_pending.push_back(std::move(apply));
  } else {
    apply();
  }
}

void ack(HandlerContext& ctx) {
  const auto& method = std::get<BasicAck>(ctx.command.method);
  settle_all(ctx, method.delivery_tag, method.multiple, AmqpConnection::Settle::kAck);
}

void nack(HandlerContext& ctx) {
  const auto& method = std::get<BasicNack>(ctx.command.method);
  settle_all(ctx, method.delivery_tag, method.multiple,
             method.requeue ? AmqpConnection::Settle::kRequeue : AmqpConnection::Settle::kDrop);
}

void reject(HandlerContext& ctx) {
  const auto& method = std::get<BasicReject>(ctx.command.method);
  settle_all(ctx, method.delivery_tag, false,
             method.requeue ? AmqpConnection::Settle::kRequeue : AmqpConnection::Settle::kDrop);
}

void requeue_everything(HandlerContext& ctx, bool requeue) {
  if (!requeue) {
    throw AmqpError(ReplyCode::kNotImplemented, "NOT_IMPLEMENTED - requeue=false");
  }
  std::vector<uint64_t> tags;
  for (const auto& [tag, delivery] : ctx.channel.unacked) tags.push_back(tag);
  for (uint64_t tag : tags)
    ctx.connection.settle(ctx.channel, tag, AmqpConnection::Settle::kRequeue);
}

void recover(HandlerContext& ctx) {
  requeue_everything(ctx, std::get<BasicRecover>(ctx.command.method).requeue);
  ctx.connection.send_method(ctx.channel.number, BasicRecoverOk{});
  ctx.connection.pump(ctx.channel);
}

void recover_async(HandlerContext& ctx) {
  requeue_everything(ctx, std::get<BasicRecoverAsync>(ctx.command.method).requeue);
  ctx.connection.pump(ctx.channel);
}

constexpr HandlerEntry kHandlers[] = {
    {BasicQos::kId, qos},         {BasicConsume::kId, consume},
    {BasicCancel::kId, cancel},   {BasicPublish::kId, publish},
    {BasicGet::kId, get},         {BasicAck::kId, ack},
    {BasicNack::kId, nack},       {BasicReject::kId, reject},
    {BasicRecover::kId, recover}, {BasicRecoverAsync::kId, recover_async},
};

}  // namespace

std::span<const HandlerEntry> basic_handlers() { return kHandlers; }

}  // namespace mockforge::amqp
