// basic.get: takes one message from a queue, or get-empty.
#include <fmt/format.h>

#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/protocol/dead_letter.h"
#include "brokers/amqp/protocol/delivery_count.h"

namespace mockforge::amqp {
namespace {

void get(HandlerContext& ctx, const BasicGet& method) {
  const std::string& queue_name = resolve_queue_name(ctx.channel, method.queue);
  ctx.connection.check_access(Permission::kRead, AmqpConnection::ResourceKind::kQueue, queue_name);
  auto queue =
      take(ctx.connection.vhost().open_queue(queue_name, ctx.connection.id(), /*use=*/true));
  if (auto deadline = ctx.connection.vhost().next_unused_expiry()) {
    ctx.connection.broker().housekeeping_at(*deadline);
  }
  const DeliveryRules rules =
      DeliveryRules::of(ctx.connection.vhost().queue_policy(queue_name).value_or(QueuePolicy{}));
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
    ctx.channel.unacked.add(tag, UnackedDelivery{queue, delivery.id, nullptr, rules});
  }
  auto& metrics = ctx.connection.broker().metrics();
  metrics.delivered(ctx.connection.vhost().name(), queue_name);
  if (delivery.message.redelivered) metrics.redelivered.inc();
  if (ctx.connection.events_on()) {
    ctx.connection.emit_event(
        traffic::EventKind::kDeliver, queue_name,
        fmt::format("basic.get, delivery tag {}{}", tag, method.no_ack ? ", no ack" : ""),
        &delivery.message);
  }
  std::string_view properties = *delivery.message.properties;
  // A quorum queue's basic.get-ok carries x-delivery-count, 0 the first time
  // (RabbitMQ 3.10).
  std::vector<uint8_t> counted;
  if (rules.quorum) {
    counted = with_delivery_count(properties, delivery.message.delivery_count - 1);
    if (!counted.empty())
      properties = {reinterpret_cast<const char*>(counted.data()), counted.size()};
  }
  ctx.connection.send_content(
      ctx.channel.number,
      BasicGetOk{tag, delivery.message.redelivered, delivery.message.exchange,
                 delivery.message.routing_key, static_cast<uint32_t>(queue->ready_count())},
      std::span(reinterpret_cast<const uint8_t*>(properties.data()), properties.size()),
      *delivery.message.body);
}

}  // namespace

extern const HandlerEntry kBasicGetHandler = handles<BasicGet, get>();

}  // namespace mockforge::amqp
