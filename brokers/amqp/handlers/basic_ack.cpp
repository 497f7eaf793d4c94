// basic.ack: acknowledges one delivery, or all up to a tag (multiple).
#include "brokers/amqp/handlers/settle.h"

namespace mockforge::amqp {
namespace {

void ack(HandlerContext& ctx, const BasicAck& method) {
  settle_all(ctx, method.delivery_tag, method.multiple, AmqpConnection::Settle::kAck);
}

}  // namespace

extern const HandlerEntry kBasicAckHandler = handles<BasicAck, ack>();

}  // namespace mockforge::amqp
