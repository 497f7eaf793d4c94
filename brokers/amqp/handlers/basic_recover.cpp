// basic.recover and basic.recover-async: requeue every unacked delivery of
// the channel (requeue=false is not implemented, as in RabbitMQ).
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void requeue_everything(HandlerContext& ctx, bool requeue) {
  if (!requeue) {
    throw AmqpError(ReplyCode::kNotImplemented, "NOT_IMPLEMENTED - requeue=false");
  }
  std::vector<uint64_t> tags;
  for (const auto& [tag, delivery] : ctx.channel.unacked) tags.push_back(tag);
  for (uint64_t tag : tags)
    ctx.connection.settle(ctx.channel, tag, AmqpConnection::Settle::kRequeue);
}

void recover(HandlerContext& ctx, const BasicRecover& method) {
  requeue_everything(ctx, method.requeue);
  ctx.connection.send_method(ctx.channel.number, BasicRecoverOk{});
  ctx.connection.pump(ctx.channel);
}

void recover_async(HandlerContext& ctx, const BasicRecoverAsync& method) {
  requeue_everything(ctx, method.requeue);
  ctx.connection.pump(ctx.channel);
}

}  // namespace

extern const HandlerEntry kBasicRecoverHandler = handles<BasicRecover, recover>();
extern const HandlerEntry kBasicRecoverAsyncHandler = handles<BasicRecoverAsync, recover_async>();

}  // namespace mockforge::amqp
