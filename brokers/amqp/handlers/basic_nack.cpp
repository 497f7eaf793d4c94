// basic.nack: refuses one delivery, or all up to a tag (multiple); requeued
// or dropped (dead-lettered when the queue has a dead-letter exchange).
#include "brokers/amqp/handlers/settle.h"

namespace mockforge::amqp {
namespace {

void nack(HandlerContext& ctx, const BasicNack& method) {
  settle_all(ctx, method.delivery_tag, method.multiple,
             method.requeue ? AmqpConnection::Settle::kRequeue : AmqpConnection::Settle::kDrop);
}

}  // namespace

extern const HandlerEntry kBasicNackHandler = handles<BasicNack, nack>();

}  // namespace mockforge::amqp
