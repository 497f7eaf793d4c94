// The AMQP broker's part of the admin control API (core/control): vhosts,
// exchanges, queues with ready and unacked counts, bindings, consumers,
// connections and channels; peeking at a queue's head; deleting queues and
// exchanges, purging queues, resetting AMQP alone.
#pragma once

#include <memory>

#include "core/control/broker_control.h"

namespace mockforge::amqp {

class BrokerState;

std::shared_ptr<control::BrokerControl> make_control(std::shared_ptr<BrokerState> broker);

}  // namespace mockforge::amqp
