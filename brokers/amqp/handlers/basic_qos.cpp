// basic.qos: prefetch count per consumer created afterwards (global=false) or
// for the whole channel (global=true), as RabbitMQ reads it.
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void qos(HandlerContext& ctx, const BasicQos& method) {
  if (method.prefetch_size != 0) {
    throw AmqpError(ReplyCode::kNotImplemented, "NOT_IMPLEMENTED - prefetch_size!=0 (" +
                                                    std::to_string(method.prefetch_size) + ")");
  }
  // RabbitMQ: global=false limits each consumer created afterwards,
  // global=true the whole channel.
  if (method.global) {
    ctx.channel.channel_prefetch = method.prefetch_count;
  } else {
    ctx.channel.consumer_prefetch = method.prefetch_count;
  }
  ctx.connection.send_method(ctx.channel.number, BasicQosOk{});
  ctx.connection.pump(ctx.channel);
}

}  // namespace

extern const HandlerEntry kBasicQosHandler = handles<BasicQos, qos>();

}  // namespace mockforge::amqp
