// basic.publish: checked, routed and stored now or, in a transaction, checked
// now and routed and stored at tx.commit.
#include "brokers/amqp/handlers/publish_path.h"

namespace mockforge::amqp {
namespace {

void publish(HandlerContext& ctx, const BasicPublish& method) {
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

}  // namespace

extern const HandlerEntry kBasicPublishHandler = handles<BasicPublish, publish>();

}  // namespace mockforge::amqp
