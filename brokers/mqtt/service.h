// The MQTT broker as a runtime::Service: listeners "mqtt" (TCP) and
// "mqtt_ws" (WebSocket, path /mqtt, subprotocol mqtt) on every bind address.
#pragma once

#include <memory>

#include "core/runtime/service.h"

namespace mockforge::mqtt {

std::unique_ptr<runtime::Service> make_service(const runtime::ServiceContext& context);

}  // namespace mockforge::mqtt
