// queue.unbind: removes a queue's binding (queue.unbind has no no-wait).
#include "brokers/amqp/handlers/binding_access.h"
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void unbind(HandlerContext& ctx, const QueueUnbind& method) {
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  check_queue_binding_access(ctx.connection, queue, method.exchange);
  take(ctx.connection.vhost().unbind_queue(queue, method.exchange, method.routing_key,
                                           method.arguments, ctx.connection.id()));
  ctx.connection.send_method(ctx.channel.number, QueueUnbindOk{});
}

}  // namespace

extern const HandlerEntry kQueueUnbindHandler = handles<QueueUnbind, unbind>();

}  // namespace mockforge::amqp
