// basic.consume: a consumer on a queue (arguments x-priority, ...), or the
// direct reply-to consumer of amq.rabbitmq.reply-to.
#include <fmt/format.h>

#include <random>

#include "brokers/amqp/handlers/direct_reply_to.h"
#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/handlers/rabbit_type_name.h"
#include "brokers/amqp/model/queue_arguments.h"

namespace mockforge::amqp {
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

void consume(HandlerContext& ctx, const BasicConsume& method) {
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
  const DeliveryRules rules =
      DeliveryRules::of(ctx.connection.vhost().queue_policy(queue_name).value_or(QueuePolicy{}));
  // RabbitMQ 3.10's quorum queues refuse a channel-wide prefetch (a
  // connection error, as there).
  if (rules.quorum && ctx.channel.channel_prefetch > 0) {
    throw AmqpError(ReplyCode::kNotImplemented,
                    fmt::format("NOT_IMPLEMENTED - queue '{}' in vhost '{}' does not support "
                                "global qos",
                                queue_name, ctx.connection.vhost().name()));
  }

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
  consumer.shared_tag = std::make_shared<const std::string>(tag);
  consumer.queue = queue_name;
  consumer.storage = storage_queue;
  consumer.no_ack = method.no_ack;
  consumer.prefetch = ctx.channel.consumer_prefetch;
  consumer.rules = rules;
  consumer.registration = registration_id;
  consumer.ready = ready;
  consumer.unacked = unacked;
  consumer.listener =
      storage_queue->add_available_listener([weak, channel_number, wanted = consumer.pump_wanted] {
        if (wanted->exchange(true, std::memory_order_acq_rel)) return;  // a pump is due anyway
        if (auto self = weak.lock()) self->schedule_pump(channel_number);
      });
  if (ctx.connection.events_on()) {
    ctx.connection.emit_event(traffic::EventKind::kSubscribe, consumer.queue,
                              fmt::format("consumer tag '{}' on channel {}{}", tag,
                                          ctx.channel.number, method.no_ack ? ", no ack" : ""));
  }
  ctx.channel.consumers[tag] = std::move(consumer);
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, BasicConsumeOk{tag});
  ctx.connection.pump(ctx.channel);
}

}  // namespace

extern const HandlerEntry kBasicConsumeHandler = handles<BasicConsume, consume>();

}  // namespace mockforge::amqp
