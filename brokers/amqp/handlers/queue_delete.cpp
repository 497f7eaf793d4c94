// queue.delete: deletes a queue (if-unused, if-empty); its consumers are
// cancelled.
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void remove(HandlerContext& ctx, const QueueDelete& method) {
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  ctx.connection.check_access(Permission::kConfigure, AmqpConnection::ResourceKind::kQueue, queue);
  QueueDeleted deleted = take(ctx.connection.vhost().delete_queue(
      queue, method.if_unused, method.if_empty, ctx.connection.id()));
  for (auto& notify : deleted.cancelled) notify();
  if (!method.no_wait) {
    ctx.connection.send_method(ctx.channel.number, QueueDeleteOk{deleted.message_count});
  }
}

}  // namespace

extern const HandlerEntry kQueueDeleteHandler = handles<QueueDelete, remove>();

}  // namespace mockforge::amqp
