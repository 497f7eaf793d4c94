// basic.publish: checked and routed when it arrives; stored (returned,
// confirmed) now or, in a transaction, at tx.commit, as RabbitMQ does.
#include <fmt/format.h>

#include "brokers/amqp/handlers/publish_path.h"

namespace mockforge::amqp {
namespace {

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
