// Read-only admin endpoints of the AMQP broker, on the shared admin port:
//   GET /__mockforge/api/amqp/queues[?vhost=/]
//   GET /__mockforge/api/amqp/bindings?queue=Q[&vhost=/]
#pragma once

#include <memory>

namespace mockforge::admin {
class HttpServer;
}

namespace mockforge::amqp {

class BrokerState;

void register_admin_routes(admin::HttpServer& server, std::shared_ptr<BrokerState> broker);

}  // namespace mockforge::amqp
