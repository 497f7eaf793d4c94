// Per-channel protocol state: consumers, unacknowledged deliveries, prefetch,
// confirm and transaction modes.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "brokers/amqp/model/vhost.h"
#include "brokers/amqp/protocol/delivery_tags.h"
#include "core/metrics/registry.h"
#include "core/storage/queue.h"

namespace mockforge::amqp {

// What a queue's type changes about its deliveries (QueuePolicy, read when
// the delivery is made): quorum queues carry x-delivery-count, and put a
// requeued message behind the others or dead-letter it past their delivery
// limit.
struct DeliveryRules {
  bool quorum = false;
  storage::RequeuePlace requeue_place = storage::RequeuePlace::kOriginal;
  std::optional<uint32_t> delivery_limit;

  static DeliveryRules of(const QueuePolicy& policy) {
    return {policy.type == QueueType::kQuorum, policy.requeue_place(), policy.delivery_limit};
  }
};

struct Consumer {
  std::string tag;
  // The tag again, shared by this consumer's unacked deliveries (set by
  // basic.consume).
  std::shared_ptr<const std::string> shared_tag;
  std::string queue;
  std::shared_ptr<storage::Queue> storage;
  bool no_ack = false;
  uint16_t prefetch = 0;  // 0: unlimited
  // Unacked deliveries; shared with the vhost registration (single active
  // consumer hands over only once the active one has none).
  std::shared_ptr<std::atomic<uint32_t>> unacked = std::make_shared<std::atomic<uint32_t>>(0);
  uint64_t registration = 0;
  storage::ListenerToken listener = 0;
  // Set by the queue's listener when it asks for a pump, cleared when a pump
  // starts: pushes meanwhile need no further request (the pump will see them).
  std::shared_ptr<std::atomic<bool>> pump_wanted = std::make_shared<std::atomic<bool>>(false);
  // may_consume() as asked once per pump (pump_round of the channel).
  uint64_t checked_round = 0;
  bool may_consume = false;
  // Shared with the vhost registration (consumer priorities).
  std::shared_ptr<std::atomic<bool>> ready = std::make_shared<std::atomic<bool>>(true);
  // amqp_messages_delivered_total{vhost,queue}, looked up on first delivery.
  metrics::Counter* delivered_counter = nullptr;
  // A fault rule's pause window is open: nothing is delivered to it.
  bool paused = false;
  DeliveryRules rules;
};

struct UnackedDelivery {
  std::shared_ptr<storage::Queue> queue;  // its name() is the AMQP queue name
  storage::MessageId id = 0;
  std::shared_ptr<const std::string> consumer_tag;  // null for basic.get
  DeliveryRules rules;
};

struct Channel {
  enum class State { kOpen, kClosing };

  uint16_t number = 0;
  State state = State::kOpen;
  bool flow_active = true;

  std::map<std::string, Consumer> consumers;
  DeliveryTagMap<UnackedDelivery> unacked;
  uint64_t next_delivery_tag = 1;
  uint16_t consumer_prefetch = 0;  // basic.qos global=false: for consumers created next
  uint16_t channel_prefetch = 0;   // basic.qos global=true: shared by the channel
  uint64_t next_consumer_number = 1;
  uint64_t pump_round = 0;

  // amqp_messages_published_total{vhost,exchange} of the exchange this
  // channel published to last (publishers mostly stick to one).
  std::string published_exchange;
  metrics::Counter* published_counter = nullptr;

  bool confirm_mode = false;
  uint64_t next_publish_seq = 1;
  // Publisher confirms go out coalesced: every sequence number up to
  // confirms_sent is confirmed on the wire, and acks up to confirms_owed wait
  // for AmqpConnection::flush_confirms() (one basic.ack with multiple set).
  uint64_t confirms_sent = 0;
  uint64_t confirms_owed = 0;
  bool tx_mode = false;
  std::vector<std::function<void()>> tx_pending;  // publishes and acks until commit

  // The content header stored with the last publish: publishers mostly send
  // the same properties each time, and then share one stored copy.
  storage::Bytes last_properties;

  std::string last_declared_queue;  // what an empty queue name means (RabbitMQ)

  // Direct reply-to: the no-ack consumer of amq.rabbitmq.reply-to, and the
  // routing key replies to this channel are published with.
  std::string reply_consumer_tag;
  std::string reply_to_key;
};

}  // namespace mockforge::amqp
