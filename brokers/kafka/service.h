#pragma once

// The Kafka broker as a runtime::Service: listener "kafka" on every
// server.bind address, port kafka.port.

#include <memory>

#include "core/runtime/service.h"

namespace mockforge::kafka {

std::unique_ptr<runtime::Service> make_service(const runtime::ServiceContext& context);

}  // namespace mockforge::kafka
