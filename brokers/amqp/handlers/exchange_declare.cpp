// exchange.declare: creates an exchange or checks an existing one (passive,
// or equivalence of a redeclare).
#include <fmt/format.h>

#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/model/equivalence.h"

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
    if (const FieldValue* alternate = method.arguments.find("alternate-exchange");
        alternate && !alternate->get_if<std::string>()) {
      throw AmqpError(
          ReplyCode::kPreconditionFailed,
          fmt::format("PRECONDITION_FAILED - invalid type '{}' for arg "
                      "'alternate-exchange' in exchange '{}' in vhost '{}'",
                      field_type_name(*alternate), method.exchange, ctx.connection.vhost().name()));
    }
    // RabbitMQ: configure on the exchange; creating one with an alternate
    // exchange also needs read on it and write on the alternate.
    auto& connection = ctx.connection;
    using Kind = AmqpConnection::ResourceKind;
    connection.check_access(Permission::kConfigure, Kind::kExchange, method.exchange);
    if (const FieldValue* alternate = method.arguments.find("alternate-exchange");
        alternate && !connection.vhost().has_exchange(method.exchange)) {
      connection.check_access(Permission::kRead, Kind::kExchange, method.exchange);
      connection.check_access(Permission::kWrite, Kind::kExchange,
                              *alternate->get_if<std::string>());
    }
    wanted.type = *type;
    wanted.type_name = method.type;
    wanted.durable = method.durable;
    wanted.auto_delete = method.auto_delete;
    wanted.internal = method.internal;
    wanted.arguments = method.arguments;
  }
  take(ctx.connection.vhost().declare_exchange(wanted, method.passive));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeDeclareOk{});
}

}  // namespace

extern const HandlerEntry kExchangeDeclareHandler = handles<ExchangeDeclare, declare>();

}  // namespace mockforge::amqp
