// queue.purge: drops a queue's ready messages.
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void purge(HandlerContext& ctx, const QueuePurge& method) {
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  ctx.connection.check_access(Permission::kRead, AmqpConnection::ResourceKind::kQueue, queue);
  uint32_t count = take(ctx.connection.vhost().purge_queue(queue, ctx.connection.id()));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, QueuePurgeOk{count});
}

}  // namespace

extern const HandlerEntry kQueuePurgeHandler = handles<QueuePurge, purge>();

}  // namespace mockforge::amqp
