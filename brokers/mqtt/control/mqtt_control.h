// The MQTT broker's part of the admin control API (core/control): connected
// clients, sessions, subscriptions with their options, retained messages
// (peeked, deleted, purged), counters, and resetting MQTT alone.
#pragma once

#include <memory>

#include "core/control/broker_control.h"
#include "core/forward.h"

namespace mockforge::mqtt {

class Broker;

// `broker` and `storage` must outlive the admin server's routes.
std::shared_ptr<control::BrokerControl> make_control(Broker& broker, storage::Engine& storage);

}  // namespace mockforge::mqtt
