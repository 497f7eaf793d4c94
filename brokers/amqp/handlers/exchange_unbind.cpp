// exchange.unbind: removes an exchange-to-exchange binding.
#include "brokers/amqp/handlers/binding_access.h"
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void unbind(HandlerContext& ctx, const ExchangeUnbind& method) {
  check_exchange_binding_access(ctx.connection, method.destination, method.source);
  take(ctx.connection.vhost().unbind_exchange(method.destination, method.source, method.routing_key,
                                              method.arguments));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeUnbindOk{});
}

}  // namespace

extern const HandlerEntry kExchangeUnbindHandler = handles<ExchangeUnbind, unbind>();

}  // namespace mockforge::amqp
