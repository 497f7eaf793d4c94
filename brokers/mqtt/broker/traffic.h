// The MQTT broker on the traffic seam (core/traffic/hub.h): neutral messages
// to and from broker messages, and the Endpoint that publishes through
// Broker::publish (subscribers with their QoS, retained messages).
#pragma once

#include <memory>

#include "brokers/mqtt/broker/message.h"
#include "core/traffic/hub.h"

namespace mockforge::mqtt {

class Broker;

// A broker message as the observers see it: user properties as headers,
// response topic as reply_to, correlation data as correlation_id.
traffic::Message to_traffic(const Message& message);

std::shared_ptr<traffic::Endpoint> make_traffic_endpoint(Broker& broker);

}  // namespace mockforge::mqtt
