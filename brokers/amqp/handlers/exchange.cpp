// exchange.declare, exchange.delete, exchange.bind, exchange.unbind.
#include <fmt/format.h>

#include "brokers/amqp/handlers/handler_table.h"
#include "brokers/amqp/model/equivalence.h"

namespace mockforge::amqp {
namespace {

void check_exchange_name(const std::string& name) {
  for (char c : name) {
    bool allowed =
        std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':';
    if (!allowed) {
      throw AmqpError(ReplyCode::kPreconditionFailed,
                      fmt::format("PRECONDITION_FAILED - invalid exchange name '{}'", name));
    }
  }
}

// RabbitMQ: write on the destination, read on the source.
void check_binding_access(AmqpConnection& connection, const std::string& destination,
                          const std::string& source) {
  using Kind = AmqpConnection::ResourceKind;
  connection.check_access(Permission::kWrite, Kind::kExchange, destination);
  connection.check_access(Permission::kRead, Kind::kExchange, source);
}

void declare(HandlerContext& ctx) {
  const auto& method = std::get<ExchangeDeclare>(ctx.command.method);
  check_exchange_name(method.exchange);
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

void remove(HandlerContext& ctx) {
  const auto& method = std::get<ExchangeDelete>(ctx.command.method);
  ctx.connection.check_access(Permission::kConfigure, AmqpConnection::ResourceKind::kExchange,
                              method.exchange);
  auto result = ctx.connection.vhost().delete_exchange(method.exchange, method.if_unused);
  // Deleting an exchange that does not exist succeeds, as in RabbitMQ 3.x.
  if (!result.ok() && result.error->reply_code != 404) take(std::move(result));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeDeleteOk{});
}

void bind(HandlerContext& ctx) {
  const auto& method = std::get<ExchangeBind>(ctx.command.method);
  check_binding_access(ctx.connection, method.destination, method.source);
  take(ctx.connection.vhost().bind_exchange(method.destination, method.source, method.routing_key,
                                            method.arguments));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeBindOk{});
}

void unbind(HandlerContext& ctx) {
  const auto& method = std::get<ExchangeUnbind>(ctx.command.method);
  check_binding_access(ctx.connection, method.destination, method.source);
  take(ctx.connection.vhost().unbind_exchange(method.destination, method.source, method.routing_key,
                                              method.arguments));
  if (!method.no_wait) ctx.connection.send_method(ctx.channel.number, ExchangeUnbindOk{});
}

constexpr HandlerEntry kHandlers[] = {
    {ExchangeDeclare::kId, declare},
    {ExchangeDelete::kId, remove},
    {ExchangeBind::kId, bind},
    {ExchangeUnbind::kId, unbind},
};

}  // namespace

std::span<const HandlerEntry> exchange_handlers() { return kHandlers; }

}  // namespace mockforge::amqp
