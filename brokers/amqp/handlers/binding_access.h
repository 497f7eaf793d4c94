// The permissions a binding needs, shared by exchange.bind/unbind and
// queue.bind/unbind: write on the destination, read on the source exchange
// (RabbitMQ's rule).
#pragma once

#include <string>

#include "brokers/amqp/protocol/connection.h"

namespace mockforge::amqp {

// exchange.bind and exchange.unbind.
void check_exchange_binding_access(AmqpConnection& connection, const std::string& destination,
                                   const std::string& source);

// queue.bind and queue.unbind.
void check_queue_binding_access(AmqpConnection& connection, const std::string& queue,
                                const std::string& exchange);

}  // namespace mockforge::amqp
