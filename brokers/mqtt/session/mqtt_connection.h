// The MQTT session glue on core/net: frames MQTT packets out of the byte
// stream (oversize lengths refused before the body is read) and feeds them
// to the protocol state (broker/client.h) on the connection's strand.
#pragma once

#include <cstddef>
#include <memory>

#include "core/net/connection.h"

namespace mockforge::mqtt {

class Broker;

// The factory Connection::start needs for an MQTT connection. Above
// `max_unsent_bytes` of unsent output (mqtt.max_unsent_bytes) the client is
// slow: QoS 0 to it is dropped, QoS 1/2 waits in its backlog.
net::Connection::ProtocolFactory make_mqtt_protocol_factory(Broker& broker,
                                                            std::size_t max_unsent_bytes);

}  // namespace mockforge::mqtt
