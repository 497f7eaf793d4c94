// The handlers of the client-to-server methods of the exchange, queue, basic,
// confirm and tx classes: one file per method (`exchange_declare.cpp`, ...),
// each defining a `HandlerEntry` keyed by its method's generated ids; the
// registry (`handler_table.cpp`) lists them all, and dispatch looks a method
// up there with find_handler(). Every handler has the same shape: take the
// decoded method, check, act on the vhost and storage, reply. Failures throw
// AmqpError.
#pragma once

#include <span>
#include <variant>

#include "brokers/amqp/codec/command_assembler.h"
#include "brokers/amqp/protocol/channel.h"
#include "brokers/amqp/protocol/connection.h"

namespace mockforge::amqp {

struct HandlerContext {
  AmqpConnection& connection;
  Channel& channel;
  Command& command;
};

using Handler = void (*)(HandlerContext&);

struct HandlerEntry {
  MethodId id;
  Handler handler;
};

// The entry of a handler of method M: keyed by M's ids, and the handler gets
// the decoded M (the key and the method type cannot disagree).
template <typename M, void (*Handle)(HandlerContext&, const M&)>
constexpr HandlerEntry handles() {
  return {M::kId, [](HandlerContext& ctx) { Handle(ctx, std::get<M>(ctx.command.method)); }};
}

// The handler of a method, or nullptr when the server does not accept it.
Handler find_handler(MethodId id);

// Every registered entry, ordered by method id.
std::span<const HandlerEntry> registered_handlers();

// Resolves an empty queue name to the channel's last declared queue (404 if
// there is none), as RabbitMQ does.
const std::string& resolve_queue_name(Channel& channel, const std::string& name);

// Throws AmqpError for a ModelResult error.
template <typename T>
T take(ModelResult<T> result) {
  if (!result.ok()) throw AmqpError(result.error->reply_code, result.error->text);
  return std::move(*result.value);
}

// Throws AmqpError for an error.
inline void take(const std::optional<ModelError>& error) {
  if (error) throw AmqpError(error->reply_code, error->text);
}

}  // namespace mockforge::amqp
