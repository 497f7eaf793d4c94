// queue.declare: creates a queue (server-named for an empty name) or checks an
// existing one; the direct reply-to pseudo-queue exists for a passive declare.
#include <fmt/format.h>

#include <random>

#include "brokers/amqp/handlers/direct_reply_to.h"
#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/model/queue_arguments.h"

namespace mockforge::amqp {
namespace {

std::string generate_queue_name() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string name = "amq.gen-";
  for (int i = 0; i < 22; ++i) name += kAlphabet[random() % 64];
  return name;
}

void declare(HandlerContext& ctx, const QueueDeclare& method) {
  QueueDefinition definition{method.durable, method.exclusive, method.auto_delete,
                             method.arguments};
  if (method.passive &&
      (method.queue == kReplyToQueue ||
       (!ctx.channel.reply_to_key.empty() && method.queue == ctx.channel.reply_to_key &&
        !ctx.channel.reply_consumer_tag.empty()))) {
    // The direct reply-to pseudo-queue exists for a passive declare, as in
    // RabbitMQ (clients check it before consuming).
    if (!method.no_wait) {
      ctx.connection.send_method(ctx.channel.number, QueueDeclareOk{method.queue, 0, 0});
    }
    return;
  }
  bool server_named = method.queue.empty() && !method.passive;
  // A passive declare of "" looks for a queue named "" (RabbitMQ does not use the
  // channel's last declared queue there): 404.
  std::string name = server_named ? generate_queue_name() : method.queue;
  if (server_named) take(server_named_queue_error(method.arguments));  // before anything else
  if (!method.passive) {
    // RabbitMQ: configure on the queue; creating one with a dead-letter
    // exchange also needs read on it and write on that exchange.
    using Kind = AmqpConnection::ResourceKind;
    ctx.connection.check_access(Permission::kConfigure, Kind::kQueue, name);
    const FieldValue* dlx = method.arguments.find("x-dead-letter-exchange");
    const auto* dlx_name = dlx ? dlx->get_if<std::string>() : nullptr;
    if (dlx_name && !ctx.connection.vhost().has_queue(name)) {
      ctx.connection.check_access(Permission::kRead, Kind::kQueue, name);
      ctx.connection.check_access(Permission::kWrite, Kind::kExchange, *dlx_name);
    }
  }
  QueueDeclared declared = take(ctx.connection.vhost().declare_queue(
      name, definition, method.passive, ctx.connection.id(), server_named));
  ctx.channel.last_declared_queue = declared.name;
  if (auto deadline = ctx.connection.vhost().next_unused_expiry()) {
    ctx.connection.broker().housekeeping_at(*deadline);  // x-expires
  }
  if (!method.no_wait) {
    ctx.connection.send_method(
        ctx.channel.number,
        QueueDeclareOk{declared.name, declared.message_count, declared.consumer_count});
  }
}

}  // namespace

extern const HandlerEntry kQueueDeclareHandler = handles<QueueDeclare, declare>();

}  // namespace mockforge::amqp
