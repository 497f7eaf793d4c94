// The AMQP 0-9-1 broker as a runtime::Service: listener "amqp" on amqp.port.
#pragma once

#include <memory>

#include "core/runtime/service.h"

namespace mockforge::amqp {

std::unique_ptr<runtime::Service> make_service(const runtime::ServiceContext& context);

}  // namespace mockforge::amqp
