// exchange.bind: an exchange-to-exchange binding (RabbitMQ's extension).
#include "brokers/amqp/handlers/binding_access.h"
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void bind(HandlerContext& ctx, const ExchangeBind& method) {
  check_exchange_binding_access(ctx.connection, method.destination, method.source);
  take(ctx.connection.vhost().bind_exchange(method.destination, method.source, method.routing_key,
                                            method.arguments));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeBindOk{});
}

}  // namespace

extern const HandlerEntry kExchangeBindHandler = handles<ExchangeBind, bind>();

}  // namespace mockforge::amqp
