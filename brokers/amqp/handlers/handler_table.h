// One handler per client-to-server method of the exchange, queue, basic,
// confirm and tx classes, registered in one table by (class id, method id).
// Every handler has the same shape: take the decoded method, check, act on
// the vhost and storage, reply. Failures throw AmqpError.
#pragma once

#include <span>

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

// The handler of a method, or nullptr when the server does not accept it.
Handler find_handler(MethodId id);

// Per-class registrations, gathered by find_handler().
std::span<const HandlerEntry> exchange_handlers();
std::span<const HandlerEntry> queue_handlers();
std::span<const HandlerEntry> basic_handlers();
std::span<const HandlerEntry> confirm_tx_handlers();

// Publishes a message (basic.publish, or at tx.commit): routes, stores,
// returns unroutable mandatory messages and confirms.
void publish_message(AmqpConnection& connection, Channel& channel, const BasicPublish& publish,
                     const ContentHeader& header, const std::string& body);

// Resolves an empty queue name to the channel's last declared queue.
const std::string& resolve_queue_name(Channel& channel, const std::string& name);

// Throws AmqpError for a ModelResult error.
template <typename T>
T take(ModelResult<T> result) {
  if (!result.ok()) throw AmqpError(result.error->reply_code, result.error->text);
  return std::move(*result.value);
}

}  // namespace mockforge::amqp
