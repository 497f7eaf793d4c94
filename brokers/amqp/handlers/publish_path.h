// The path of a published message, in two steps as RabbitMQ takes them.
// route_publish() runs when basic.publish arrives, in a transaction too: the
// checks (exchange, direct reply-to, user_id, expiration, CC and BCC headers,
// in RabbitMQ's order) and the routing, by the publish's and the CC/BCC keys
// (a direct reply goes to the requester then). store_publish() stores the
// message in the routed queues that still exist, returns it if mandatory and
// it reached none, and confirms; at once, or at tx.commit.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "brokers/amqp/handlers/handler_table.h"

namespace mockforge::amqp {

struct RoutedPublish {
  // The content header payload as delivered (reply_to resolved, BCC removed),
  // shared by every queue the message is stored in.
  storage::Bytes properties;
  uint8_t priority = 0;
  std::vector<std::string> cc;  // the CC and BCC headers' routing keys
  std::vector<std::string> bcc;
  std::optional<std::chrono::milliseconds> ttl;  // the expiration property
  std::set<std::string> queues;
  // Their storage, found while routing; empty for a publish stored at
  // tx.commit, which looks the queues up again then (as RabbitMQ does).
  std::vector<std::shared_ptr<storage::Queue>> targets;
  bool delivered_direct_reply = false;
};

// A direct reply (default exchange, key amq.rabbitmq.reply-to.*) goes
// straight to the requesting channel's reply consumer. False if none.
bool deliver_direct_reply(BrokerState& broker, const std::string& routing_key,
                          const storage::Bytes& properties, const std::string& body);

struct QueueStoreOutcome {
  bool reached = false;  // a routed queue still exists
  bool refused = false;  // one of them refused the message (length limit reject-publish, memory)
};

// Stores `message` in each routed queue that still exists (`targets`, found
// while routing, or looked up by name when empty), scheduling its expiry and
// dead-lettering what x-max-length pushed out.
QueueStoreOutcome store_in_queues(BrokerState& broker, Vhost& vhost,
                                  const std::set<std::string>& queues,
                                  const std::vector<std::shared_ptr<storage::Queue>>& targets,
                                  const storage::Message& message);

// Throws AmqpError when a check fails (the caller checked immediate and the
// write permission).
RoutedPublish route_publish(AmqpConnection& connection, Channel& channel,
                            const BasicPublish& publish, const ContentHeader& header,
                            const std::string& body);

void store_publish(AmqpConnection& connection, Channel& channel, const BasicPublish& publish,
                   const RoutedPublish& routed, const storage::Bytes& body);

}  // namespace mockforge::amqp
