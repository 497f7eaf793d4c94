// The path of a published message, shared by basic.publish and tx.commit:
// the checks RabbitMQ makes on a message (user_id, expiration, CC and BCC
// headers), routing by the publish's and the CC/BCC keys, storing, returns of
// unroutable mandatory messages, direct reply-to replies and confirms.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {

// The routing keys of a message's CC and BCC headers (RabbitMQ's
// sender-selected distribution): each header, if present, must be an array;
// its longstr elements are keys, anything else in it is skipped.
struct HeaderRoutes {
  std::vector<std::string> cc;
  std::vector<std::string> bcc;
  // Set when a header is not an array: RabbitMQ's 406 for it (CC checked first).
  std::optional<AmqpError> error;
};

HeaderRoutes header_routes(const BasicProperties& properties);

// The checks RabbitMQ makes on a published message once the exchange is
// known, in its order: user_id, expiration, then the CC and BCC headers.
// Returns the per-message TTL.
std::optional<std::chrono::milliseconds> check_message(AmqpConnection& connection,
                                                       const BasicProperties& properties,
                                                       const HeaderRoutes& routes);

// Publishes a message (basic.publish, or at tx.commit): routes, stores,
// returns unroutable mandatory messages and confirms.
void publish_message(AmqpConnection& connection, Channel& channel, const BasicPublish& publish,
                     const ContentHeader& header, const std::string& body);

}  // namespace mockforge::amqp
