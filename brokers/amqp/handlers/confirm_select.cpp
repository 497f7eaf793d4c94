// confirm.select: publisher confirms on the channel (not on a transactional one).
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void confirm_select(HandlerContext& ctx, const ConfirmSelect& method) {
  if (ctx.channel.tx_mode) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - cannot switch from tx to confirm mode");
  }
  ctx.channel.confirm_mode = true;
  if (!method.nowait) ctx.connection.send_method(ctx.channel.number, ConfirmSelectOk{});
}

}  // namespace

extern const HandlerEntry kConfirmSelectHandler = handles<ConfirmSelect, confirm_select>();

}  // namespace mockforge::amqp
