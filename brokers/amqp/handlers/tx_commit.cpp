// tx.commit: runs what the transaction held, in order.
#include "brokers/amqp/handlers/transaction.h"

namespace mockforge::amqp {
namespace {

void tx_commit(HandlerContext& ctx, const TxCommit&) {
  require_tx(ctx.channel);
  std::vector<std::function<void()>> pending;
  pending.swap(ctx.channel.tx_pending);
  for (auto& step : pending) step();
  ctx.connection.send_method(ctx.channel.number, TxCommitOk{});
}

}  // namespace

extern const HandlerEntry kTxCommitHandler = handles<TxCommit, tx_commit>();

}  // namespace mockforge::amqp
