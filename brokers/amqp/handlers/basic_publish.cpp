// basic.publish: checked and routed when it arrives; stored (returned,
// confirmed) now or, in a transaction, at tx.commit, as RabbitMQ does.
#include <fmt/format.h>

#include "brokers/amqp/handlers/publish_path.h"
#include "brokers/amqp/protocol/traffic.h"
#include "core/traffic/hub.h"

namespace mockforge::amqp {
namespace {

// Whether a gate (AsyncAPI validation) refuses the publish; if so, it is
// nacked under confirms, else dropped, or the channel is closed with 406
// when the broker is set to (asyncapi.amqp_unconfirmed: close).
bool refused_by_gate(HandlerContext& ctx, const BasicPublish& method, const RoutedPublish& routed) {
  auto* hub = ctx.connection.broker().traffic();
  if (hub == nullptr || !hub->gated()) return false;
  const auto admission = hub->admit(
      to_traffic(method.exchange, method.routing_key, *routed.properties, ctx.command.body,
                 ctx.connection.vhost().name(), ctx.connection.client_id()));
  if (!admission.refused) return false;
  if (ctx.channel.confirm_mode) {
    ctx.connection.confirm_publish(ctx.channel, ctx.channel.next_publish_seq++, false);
  } else if (ctx.connection.broker().settings().close_on_unconfirmed_refusal) {
    throw AmqpError(ReplyCode::kPreconditionFailed, "PRECONDITION_FAILED - " + admission.reason);
  }
  return true;
}

void publish(HandlerContext& ctx, const BasicPublish& method) {
  if (method.immediate) {
    throw AmqpError(ReplyCode::kNotImplemented, "NOT_IMPLEMENTED - immediate=true");
  }
  // RabbitMQ checks the size once the content is in (the assembler did not
  // keep a body over the limit).
  const uint64_t size = ctx.command.header->body_size;
  const uint64_t max = ctx.connection.broker().settings().max_message_size;
  if (size > max) {
    // RabbitMQ leaves out "configured" at its own ceiling, 512 MiB.
    throw AmqpError(
        ReplyCode::kPreconditionFailed,
        fmt::format("PRECONDITION_FAILED - message size {} is larger than {}max size {}", size,
                    max == (uint64_t{512} << 20) ? "" : "configured ", max));
  }
  ctx.connection.check_access(Permission::kWrite, AmqpConnection::ResourceKind::kExchange,
                              method.exchange);
  RoutedPublish routed =
      route_publish(ctx.connection, ctx.channel, method, *ctx.command.header, ctx.command.body);
  if (refused_by_gate(ctx, method, routed)) return;
  if (!ctx.channel.tx_mode) {
    store_publish(ctx.connection, ctx.channel, method, routed,
                  storage::make_bytes(std::move(ctx.command.body)));
    return;
  }
  AmqpConnection* connection = &ctx.connection;
  uint16_t number = ctx.channel.number;
  ctx.channel.tx_pending.push_back([connection, number, method, routed = std::move(routed),
                                    body = storage::make_bytes(std::move(ctx.command.body))] {
    if (Channel* channel = connection->find_channel(number)) {
      store_publish(*connection, *channel, method, routed, body);
    }
  });
}

}  // namespace

extern const HandlerEntry kBasicPublishHandler = handles<BasicPublish, publish>();

}  // namespace mockforge::amqp
