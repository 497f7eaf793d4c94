// Direct reply-to names: the pseudo-queue a requester consumes from and
// names in reply_to, and the prefix of the routing keys replies carry.
#pragma once

#include <string_view>

namespace mockforge::amqp {

inline constexpr std::string_view kReplyToQueue = "amq.rabbitmq.reply-to";
inline constexpr std::string_view kReplyToPrefix = "amq.rabbitmq.reply-to.";

}  // namespace mockforge::amqp
