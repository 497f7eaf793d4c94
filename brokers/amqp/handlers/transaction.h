// Shared by tx.commit and tx.rollback.
#pragma once

#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {

// 406 unless tx.select was seen on the channel.
inline void require_tx(const Channel& channel) {
  if (!channel.tx_mode) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - channel is not transactional");
  }
}

}  // namespace mockforge::amqp
