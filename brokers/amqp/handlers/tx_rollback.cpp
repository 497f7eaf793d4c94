// tx.rollback: forgets what the transaction held.
#include "brokers/amqp/handlers/transaction.h"

namespace mockforge::amqp {
namespace {

void tx_rollback(HandlerContext& ctx, const TxRollback&) {
  require_tx(ctx.channel);
  ctx.channel.tx_pending.clear();
  ctx.connection.send_method(ctx.channel.number, TxRollbackOk{});
}

}  // namespace

extern const HandlerEntry kTxRollbackHandler = handles<TxRollback, tx_rollback>();

}  // namespace mockforge::amqp
