// exchange.delete (a missing exchange is not an error, as in RabbitMQ 3.x).
#include <fmt/format.h>

#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void remove(HandlerContext& ctx, const ExchangeDelete& method) {
  // As RabbitMQ, by name before permissions and existence: the default exchange and every
  // amq.* name (predeclared or not) are refused.
  if (method.exchange.empty()) {
    throw AmqpError(ReplyCode::kAccessRefused,
                    "ACCESS_REFUSED - operation not permitted on the default exchange");
  }
  if (method.exchange.starts_with("amq.")) {
    throw AmqpError(
        ReplyCode::kAccessRefused,
        fmt::format("ACCESS_REFUSED - deletion of system exchange '{}' in vhost '{}' not "
                    "allowed",
                    method.exchange, ctx.connection.vhost().name()));
  }
  ctx.connection.check_access(Permission::kConfigure, AmqpConnection::ResourceKind::kExchange,
                              method.exchange);
  auto result = ctx.connection.vhost().delete_exchange(method.exchange, method.if_unused);
  // Deleting an exchange that does not exist succeeds, as in RabbitMQ 3.x.
  if (!result.ok() && result.error->reply_code != 404) take(std::move(result));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeDeleteOk{});
}

}  // namespace

extern const HandlerEntry kExchangeDeleteHandler = handles<ExchangeDelete, remove>();

}  // namespace mockforge::amqp
