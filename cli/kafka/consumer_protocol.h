#pragma once

// The consumer embedded protocol lives with the Kafka codec (the broker's
// inspect API decodes assignments too); the client commands use it here.

#include "brokers/kafka/codec/consumer_protocol.h"

namespace mockforge::cli::kafka {

using mockforge::kafka::Assignment;
using mockforge::kafka::decode_assignment;
using mockforge::kafka::decode_subscription;
using mockforge::kafka::encode_assignment;
using mockforge::kafka::encode_subscription;
using mockforge::kafka::range_assign;
using mockforge::kafka::Subscription;

}  // namespace mockforge::cli::kafka
