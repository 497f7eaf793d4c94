// confirm.select, tx.select, tx.commit, tx.rollback.
#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {
namespace {

void confirm_select(HandlerContext& ctx) {
  if (ctx.channel.tx_mode) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - cannot switch from tx to confirm mode");
  }
  ctx.channel.confirm_mode = true;
  if (!std::get<ConfirmSelect>(ctx.command.method).nowait) {
    ctx.connection.send_method(ctx.channel.number, ConfirmSelectOk{});
  }
}

void tx_select(HandlerContext& ctx) {
  if (ctx.channel.confirm_mode) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - cannot switch from confirm to tx mode");
  }
  ctx.channel.tx_mode = true;
  ctx.connection.send_method(ctx.channel.number, TxSelectOk{});
}

void require_tx(Channel& channel) {
  if (!channel.tx_mode) {
    throw AmqpError(ReplyCode::kPreconditionFailed,
                    "PRECONDITION_FAILED - channel is not transactional");
  }
}

void tx_commit(HandlerContext& ctx) {
  require_tx(ctx.channel);
  std::vector<std::function<void()>> pending;
  pending.swap(ctx.channel.tx_pending);
  for (auto& step : pending) step();
  ctx.connection.send_method(ctx.channel.number, TxCommitOk{});
}

void tx_rollback(HandlerContext& ctx) {
  require_tx(ctx.channel);
  ctx.channel.tx_pending.clear();
  ctx.connection.send_method(ctx.channel.number, TxRollbackOk{});
}

constexpr HandlerEntry kHandlers[] = {
    {ConfirmSelect::kId, confirm_select},
    {TxSelect::kId, tx_select},
    {TxCommit::kId, tx_commit},
    {TxRollback::kId, tx_rollback},
};

}  // namespace

std::span<const HandlerEntry> confirm_tx_handlers() { return kHandlers; }

}  // namespace mockforge::amqp
