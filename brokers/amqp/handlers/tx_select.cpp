// tx.select: publishes, acks, nacks and rejects are held until tx.commit (not
// on a channel in confirm mode).
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void tx_select(HandlerContext& ctx, const TxSelect&) {
  if (ctx.channel.confirm_mode) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - cannot switch from confirm to tx mode");
  }
  ctx.channel.tx_mode = true;
  ctx.connection.send_method(ctx.channel.number, TxSelectOk{});
}

}  // namespace

extern const HandlerEntry kTxSelectHandler = handles<TxSelect, tx_select>();

}  // namespace mockforge::amqp
