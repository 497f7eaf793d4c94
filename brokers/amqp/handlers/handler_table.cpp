#include "brokers/amqp/handlers/handler_table.h"

#include <map>

namespace mockforge::amqp {

Handler find_handler(MethodId id) {
  static const std::map<MethodId, Handler> table = [] {
    std::map<MethodId, Handler> all;
    for (auto group :
         {exchange_handlers(), queue_handlers(), basic_handlers(), confirm_tx_handlers()}) {
      for (const HandlerEntry& entry : group) all.emplace(entry.id, entry.handler);
    }
    return all;
  }();
  auto it = table.find(id);
  return it == table.end() ? nullptr : it->second;
}

const std::string& resolve_queue_name(Channel& channel, const std::string& name) {
  if (!name.empty()) return name;
  if (channel.last_declared_queue.empty()) {
    throw AmqpError(ReplyCode::kNotFound, "NOT_FOUND - no previously declared queue");
  }
  return channel.last_declared_queue;
}

}  // namespace mockforge::amqp
