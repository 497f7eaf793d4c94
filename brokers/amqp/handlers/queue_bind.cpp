// queue.bind: binds a queue to an exchange.
#include "brokers/amqp/handlers/binding_access.h"
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void bind(HandlerContext& ctx, const QueueBind& method) {
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  check_queue_binding_access(ctx.connection, queue, method.exchange);
  take(ctx.connection.vhost().bind_queue(queue, method.exchange, method.routing_key,
                                         method.arguments, ctx.connection.id()));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, QueueBindOk{});
}

}  // namespace

extern const HandlerEntry kQueueBindHandler = handles<QueueBind, bind>();

}  // namespace mockforge::amqp
