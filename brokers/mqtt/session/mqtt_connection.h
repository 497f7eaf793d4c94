// The MQTT session glue on core/net: frames MQTT packets out of the byte
// stream (oversize lengths refused before the body is read) and feeds them
// to the protocol state (broker/client.h) on the connection's strand.
#pragma once

#include <memory>

#include "core/net/connection.h"

namespace mockforge::mqtt {

class Broker;

// The factory Connection::start needs for an MQTT connection.
net::Connection::ProtocolFactory make_mqtt_protocol_factory(Broker& broker);

}  // namespace mockforge::mqtt
