// The Kafka broker's part of the admin control API (core/control): topics
// with partition offsets, consumer groups with members, assignments,
// committed offsets and lag, peeking at an offset range, deleting topics and
// groups, purging topics, resetting Kafka alone.
#pragma once

#include <functional>
#include <memory>

#include "core/control/broker_control.h"

namespace mockforge::kafka {

class BrokerState;

// `close_connections` closes every Kafka client connection (a reset with
// connections=close).
std::shared_ptr<control::BrokerControl> make_control(std::shared_ptr<BrokerState> broker,
                                                     std::function<void()> close_connections);

}  // namespace mockforge::kafka
