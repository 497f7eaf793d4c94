// basic.reject: refuses one delivery; requeued or dropped (dead-lettered when
// the queue has a dead-letter exchange).
#include "brokers/amqp/handlers/settle.h"

namespace mockforge::amqp {
namespace {

void reject(HandlerContext& ctx, const BasicReject& method) {
  settle_all(ctx, method.delivery_tag, false,
             method.requeue ? AmqpConnection::Settle::kRequeue : AmqpConnection::Settle::kDrop);
}

}  // namespace

extern const HandlerEntry kBasicRejectHandler = handles<BasicReject, reject>();

}  // namespace mockforge::amqp
