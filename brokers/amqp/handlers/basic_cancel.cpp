// basic.cancel: ends a consumer (or the direct reply-to consumer); an unknown
// tag is not an error.
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void cancel(HandlerContext& ctx, const BasicCancel& method) {
  if (!ctx.channel.reply_consumer_tag.empty() &&
      method.consumer_tag == ctx.channel.reply_consumer_tag) {
    ctx.connection.broker().unregister_reply_to(ctx.channel.reply_to_key);
    ctx.channel.reply_consumer_tag.clear();
  }
  ctx.connection.drop_consumer(ctx.channel, method.consumer_tag);
  if (!method.no_wait) {
    ctx.connection.send_method(ctx.channel.number, BasicCancelOk{method.consumer_tag});
  }
}

}  // namespace

extern const HandlerEntry kBasicCancelHandler = handles<BasicCancel, cancel>();

}  // namespace mockforge::amqp
