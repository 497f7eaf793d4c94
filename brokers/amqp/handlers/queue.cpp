// queue.declare, queue.bind, queue.unbind, queue.purge, queue.delete.
#include <fmt/format.h>

#include <random>

#include "brokers/amqp/handlers/handler_table.h"

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

// RabbitMQ: write on the destination queue, read on the source exchange.
void check_binding_access(AmqpConnection& connection, const std::string& queue,
                          const std::string& exchange) {
  using Kind = AmqpConnection::ResourceKind;
  connection.check_access(Permission::kWrite, Kind::kQueue, queue);
  connection.check_access(Permission::kRead, Kind::kExchange, exchange);
}

void declare(HandlerContext& ctx) {
  const auto& method = std::get<QueueDeclare>(ctx.command.method);
  QueueDefinition definition{method.durable, method.exclusive, method.auto_delete,
                             method.arguments};
  if (method.passive &&
      (method.queue == "amq.rabbitmq.reply-to" ||
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

void bind(HandlerContext& ctx) {
  const auto& method = std::get<QueueBind>(ctx.command.method);
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  check_binding_access(ctx.connection, queue, method.exchange);
  take(ctx.connection.vhost().bind_queue(queue, method.exchange, method.routing_key,
                                         method.arguments, ctx.connection.id()));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, QueueBindOk{});
}

void unbind(HandlerContext& ctx) {
  const auto& method = std::get<QueueUnbind>(ctx.command.method);
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  check_binding_access(ctx.connection, queue, method.exchange);
  take(ctx.connection.vhost().unbind_queue(queue, method.exchange, method.routing_key,
                                           method.arguments, ctx.connection.id()));
  ctx.connection.send_method(ctx.channel.number, QueueUnbindOk{});
}

void purge(HandlerContext& ctx) {
  const auto& method = std::get<QueuePurge>(ctx.command.method);
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  ctx.connection.check_access(Permission::kRead, AmqpConnection::ResourceKind::kQueue, queue);
  uint32_t count = take(ctx.connection.vhost().purge_queue(queue, ctx.connection.id()));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, QueuePurgeOk{count});
}

void remove(HandlerContext& ctx) {
  const auto& method = std::get<QueueDelete>(ctx.command.method);
  const std::string& queue = resolve_queue_name(ctx.channel, method.queue);
  ctx.connection.check_access(Permission::kConfigure, AmqpConnection::ResourceKind::kQueue, queue);
  QueueDeleted deleted = take(ctx.connection.vhost().delete_queue(
      queue, method.if_unused, method.if_empty, ctx.connection.id()));
  for (auto& notify : deleted.cancelled) notify();
  if (!method.no_wait) {
    ctx.connection.send_method(ctx.channel.number, QueueDeleteOk{deleted.message_count});
  }
}

constexpr HandlerEntry kHandlers[] = {
    {QueueDeclare::kId, declare}, {QueueBind::kId, bind},     {QueueUnbind::kId, unbind},
    {QueuePurge::kId, purge},     {QueueDelete::kId, remove},
};

}  // namespace

std::span<const HandlerEntry> queue_handlers() { return kHandlers; }

}  // namespace mockforge::amqp
