// The empty queue name of queue.bind, unbind, purge, delete, basic.consume and
// basic.get: the channel's last declared queue.
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {

const std::string& resolve_queue_name(Channel& channel, const std::string& name) {
  if (!name.empty()) return name;
  if (channel.last_declared_queue.empty()) {
    throw AmqpError(ReplyCode::kNotFound, "NOT_FOUND - no previously declared queue");
  }
  return channel.last_declared_queue;
}

}  // namespace mockforge::amqp
