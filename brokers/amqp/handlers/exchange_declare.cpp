// exchange.declare: creates an exchange or checks an existing one (passive,
// or equivalence of a redeclare).
#include <fmt/format.h>

#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void declare(HandlerContext& ctx, const ExchangeDeclare& method) {
  // Any name is allowed, as RabbitMQ allows it (the AMQP spec's character set
  // is not enforced there either); the codec bounds it to 255 bytes.
  Exchange wanted;
  wanted.name = method.exchange;
  if (!method.passive) {
    auto type = parse_exchange_type(method.type);
    if (!type) {
      throw AmqpError(ReplyCode::kCommandInvalid,
                      fmt::format("COMMAND_INVALID - unknown exchange type '{}'", method.type));
    }
    // RabbitMQ's order: configure on the exchange; a new one then has its
    // name and alternate-exchange argument checked, and creating it with an
    // alternate exchange also needs read on it and write on the alternate.
    auto& connection = ctx.connection;
    using Kind = AmqpConnection::ResourceKind;
    connection.check_access(Permission::kConfigure, Kind::kExchange, method.exchange);
    wanted.arguments = method.arguments;
    if (!connection.vhost().has_exchange(method.exchange)) {
      take(new_exchange_error(wanted, connection.vhost().name()));
      if (const FieldValue* alternate = method.arguments.find("alternate-exchange")) {
        connection.check_access(Permission::kRead, Kind::kExchange, method.exchange);
        connection.check_access(Permission::kWrite, Kind::kExchange,
                                *alternate->get_if<std::string>());
      }
    }
    wanted.type = *type;
    wanted.type_name = method.type;
    wanted.durable = method.durable;
    wanted.auto_delete = method.auto_delete;
    wanted.internal = method.internal;
  }
  take(ctx.connection.vhost().declare_exchange(wanted, method.passive));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeDeclareOk{});
}

}  // namespace

extern const HandlerEntry kExchangeDeclareHandler = handles<ExchangeDeclare, declare>();

}  // namespace mockforge::amqp
