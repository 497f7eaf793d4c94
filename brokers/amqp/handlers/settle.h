// Settling deliveries, shared by basic.ack, basic.nack and basic.reject: the
// delivery tags a method covers, settled now or, in a transaction, at commit.
#pragma once

#include <cstdint>
#include <vector>

#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {

// The delivery tags an ack/nack/reject covers; unknown tags are 406.
std::vector<uint64_t> covered_tags(Channel& channel, uint64_t tag, bool multiple);

// Settles the covered deliveries (then delivers more to the channel's
// consumers); in a transaction, at tx.commit.
void settle_all(HandlerContext& ctx, uint64_t tag, bool multiple, AmqpConnection::Settle how);

}  // namespace mockforge::amqp
