#include "brokers/amqp/handlers/binding_access.h"

namespace mockforge::amqp {

void check_exchange_binding_access(AmqpConnection& connection, const std::string& destination,
                                   const std::string& source) {
  using Kind = AmqpConnection::ResourceKind;
  connection.check_access(Permission::kWrite, Kind::kExchange, destination);
  connection.check_access(Permission::kRead, Kind::kExchange, source);
}

void check_queue_binding_access(AmqpConnection& connection, const std::string& queue,
                                const std::string& exchange) {
  using Kind = AmqpConnection::ResourceKind;
  connection.check_access(Permission::kWrite, Kind::kQueue, queue);
  connection.check_access(Permission::kRead, Kind::kExchange, exchange);
}

}  // namespace mockforge::amqp
