// Dead-lettering (x-dead-letter-exchange / x-dead-letter-routing-key) and the
// broker's housekeeping sweep (message TTLs and x-expires).
//
// A message that leaves a queue because it was rejected or nacked without
// requeue, expired, was pushed out of the head by x-max-length (or refused by
// x-overflow reject-publish-dlx), or was returned to a quorum queue more often
// than its x-delivery-limit is
// republished to the queue's dead-letter exchange, with the x-death header
// RabbitMQ 3.13 writes: an array of tables, most recent death first, one per
// (queue, reason) with count, reason, queue, time, exchange, routing-keys and
// original-expiration when the message had a per-message TTL; plus
// x-first-death-{reason,queue,exchange} set once and
// x-last-death-{reason,queue,exchange} set every time. The expiration
// property is removed. Messages of a queue without a dead-letter exchange are
// dropped.
//
// Routing keys (sender-selected distribution): routing-keys records the
// message's routing key and CC keys. Without x-dead-letter-routing-key the
// message is routed again with all its keys, CC and BCC; with one, by that key
// alone (the CC header stays, as in RabbitMQ 3.13 and later).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "brokers/amqp/codec/content_header.h"
#include "brokers/amqp/model/vhost.h"
#include "core/storage/queue.h"

namespace mockforge::amqp {

class BrokerState;

enum class DeathReason { kRejected, kExpired, kMaxLength, kDeliveryLimit };

std::string_view death_reason_name(DeathReason reason);

// Adds one death to the properties' headers, as RabbitMQ does: a new
// (queue, reason) gets a table with count 1 at the front of x-death; a known
// one has its count incremented and moves to the front. `routing_keys` are
// the message's routing key and its CC keys (never the BCC ones).
void record_death(BasicProperties& properties, DeathReason reason, const std::string& queue,
                  const std::string& exchange, const std::vector<std::string>& routing_keys,
                  uint64_t unix_seconds);

// True if dead-lettering into `queue` would close a cycle without a
// rejection in it (RabbitMQ drops the message then).
bool is_death_cycle(const BasicProperties& properties, const std::string& queue);

// Dead-letters messages that left `queue` (in `vhost`) for `reason`.
void dead_letter(BrokerState& broker, Vhost& vhost, const std::string& queue,
                 std::vector<storage::Message> messages, DeathReason reason);

// Removes expired messages from the heads of every queue (dead-lettering
// them) and deletes queues whose x-expires ran out. Returns when it should
// run next, if anything is waiting.
std::optional<storage::TimePoint> sweep_expired(BrokerState& broker, Vhost& vhost,
                                                storage::TimePoint now);

}  // namespace mockforge::amqp
