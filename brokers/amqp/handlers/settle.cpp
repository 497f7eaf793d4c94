#include "brokers/amqp/handlers/settle.h"

#include <fmt/format.h>

namespace mockforge::amqp {

std::vector<uint64_t> covered_tags(Channel& channel, uint64_t tag, bool multiple) {
  std::vector<uint64_t> tags;
  if (multiple) {
    for (const auto& [unacked_tag, delivery] : channel.unacked) {
      if (tag != 0 && unacked_tag > tag) break;
      tags.push_back(unacked_tag);
    }
    if (tag == 0 || !tags.empty()) return tags;
  } else if (channel.unacked.contains(tag)) {
    return {tag};
  }
  throw AmqpError(ReplyCode::kPreconditionFailed,
                  fmt::format("PRECONDITION_FAILED - unknown delivery tag {}", tag));
}

void settle_all(HandlerContext& ctx, uint64_t tag, bool multiple, AmqpConnection::Settle how) {
  std::vector<uint64_t> tags = covered_tags(ctx.channel, tag, multiple);
  auto apply = [connection = &ctx.connection, number = ctx.channel.number, tags, how] {
    Channel* channel = connection->find_channel(number);
    if (!channel) return;
    for (uint64_t each : tags) connection->settle(*channel, each, how);
    connection->pump(*channel);
  };
  if (ctx.channel.tx_mode) {
    ctx.channel.tx_pending.push_back(std::move(apply));
  } else {
    apply();
  }
}

}  // namespace mockforge::amqp
