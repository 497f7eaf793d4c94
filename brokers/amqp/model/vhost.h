// A virtual host: exchanges, queue metadata, bindings and consumer
// registrations, shared by every connection. Messages live in storage
// (storage::QueueRegistry); this model keeps the AMQP-only state beside them.
//
// Threading: every public method locks the vhost's mutex. Callbacks handed in
// (consumer cancel notifications) are returned to the caller to run after the
// lock is released.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "brokers/amqp/codec/buffer.h"
#include "brokers/amqp/codec/field_table.h"
#include "core/storage/queue.h"

namespace mockforge::amqp {

enum class ExchangeType { kDirect, kFanout, kTopic, kHeaders };

std::optional<ExchangeType> parse_exchange_type(std::string_view name);

// Whether two bindings' arguments are the same as RabbitMQ tells bindings
// apart: as tables sorted by key, so the order of their entries does not
// matter (their types do).
bool same_binding_arguments(const FieldTable& a, const FieldTable& b);

struct Binding {
  bool to_queue = true;     // false: exchange-to-exchange
  std::string destination;  // queue or exchange name
  std::string routing_key;
  FieldTable arguments;
  friend bool operator==(const Binding& a, const Binding& b) {
    return a.to_queue == b.to_queue && a.destination == b.destination &&
           a.routing_key == b.routing_key && same_binding_arguments(a.arguments, b.arguments);
  }
};

struct Exchange {
  std::string name;
  ExchangeType type = ExchangeType::kDirect;
  std::string type_name;
  bool durable = false;
  bool auto_delete = false;
  bool internal = false;
  FieldTable arguments;
  std::vector<Binding> bindings;  // where this exchange routes to
  bool predeclared = false;
};

enum class QueueType { kClassic, kQuorum };  // x-queue-type

// The AMQP-level behaviour of a queue's arguments, kept beside the storage
// queue: dead-lettering, expiry when unused, single active consumer, the
// queue type and what it changes.
struct QueuePolicy {
  std::optional<std::string> dead_letter_exchange;     // x-dead-letter-exchange
  std::optional<std::string> dead_letter_routing_key;  // x-dead-letter-routing-key
  std::optional<std::chrono::milliseconds> expires;    // x-expires
  bool single_active_consumer = false;                 // x-single-active-consumer
  QueueType type = QueueType::kClassic;
  // Quorum queues: a message returned after more deliveries than this is
  // dead-lettered (reason delivery_limit) or dropped (x-delivery-limit).
  std::optional<uint32_t> delivery_limit;
  // Classic queues with x-overflow reject-publish-dlx: a publish refused by
  // the length limit is dead-lettered (reason maxlen) as well.
  bool overflow_dead_letters = false;

  // As RabbitMQ 3.10: a quorum queue without a delivery limit puts a
  // requeued message behind the others; with one, and in classic queues, it
  // goes back to where it was.
  storage::RequeuePlace requeue_place() const {
    return type == QueueType::kQuorum && !delivery_limit ? storage::RequeuePlace::kBack
                                                         : storage::RequeuePlace::kOriginal;
  }
};

// Where a queue dead-letters to.
struct DeadLetterTarget {
  std::string exchange;
  std::optional<std::string> routing_key;  // unset: the message's own routing key
};

struct QueueDefinition {
  bool durable = false;
  bool exclusive = false;
  bool auto_delete = false;
  FieldTable arguments;
};

// What a queue deletion has to tell a consumer's channel.
using ConsumerCancelled = std::function<void()>;

struct ConsumerRegistration {
  uint64_t connection_id = 0;
  std::string tag;
  bool exclusive = false;
  ConsumerCancelled on_queue_deleted;
  int64_t priority = 0;  // x-priority consumer argument
  // Set by the owning channel: whether the consumer could take a message now
  // (flow on, within its prefetch). Lower-priority consumers wait only for
  // higher-priority ones that are ready.
  std::shared_ptr<std::atomic<bool>> ready;
  // Kept by the owning channel: deliveries not yet settled.
  std::shared_ptr<std::atomic<uint32_t>> unacked;
  // Thread-safe: asks the owning channel to deliver again.
  std::function<void()> wake;
};

struct QueueEntry {
  std::string name;
  QueueDefinition definition;
  uint64_t owner_connection = 0;  // exclusive queues only
  std::shared_ptr<storage::Queue> storage;
  std::map<uint64_t, ConsumerRegistration> consumers;  // by registration id
  bool had_consumer = false;
  uint64_t active_consumer = 0;  // x-single-active-consumer: registration id, 0 none yet
  QueuePolicy policy;
  // Last declare, consume, cancel or get (x-expires counts from here).
  storage::TimePoint last_used{};
};

// The outcome of a model operation: ok, or a reply code and text.
struct ModelError {
  uint16_t reply_code = 0;
  std::string text;
};

template <typename T>
struct ModelResult {
  std::optional<T> value;
  std::optional<ModelError> error;
  bool ok() const { return !error.has_value(); }
};

// Why an exchange that does not exist yet cannot be created as `wanted`, in
// RabbitMQ's order: a name with the reserved prefix amq. (403
// ACCESS_REFUSED), an alternate-exchange argument that is not a string (406).
// `vhost`: the vhost's name. What the arguments of an existing exchange say
// is a matter of equivalence instead.
std::optional<ModelError> new_exchange_error(const Exchange& wanted, const std::string& vhost);

// 403 ACCESS_REFUSED for a queue name with the reserved prefix amq., which a
// non-passive declare may not use (RabbitMQ), or nullopt.
std::optional<ModelError> reserved_queue_name_error(std::string_view name);

struct QueueDeclared {
  std::string name;
  uint32_t message_count = 0;
  uint32_t consumer_count = 0;
};

struct QueueDeleted {
  uint32_t message_count = 0;
  std::vector<ConsumerCancelled> cancelled;  // run after the call returns
};

// Read-only copies for the admin API, taken under the vhost's lock.
struct QueueSnapshot {
  std::string name;
  QueueDefinition definition;
  uint64_t messages_ready = 0;
  uint64_t messages_unacked = 0;
  std::size_t consumers = 0;
};

struct ExchangeSnapshot {
  std::string name;  // "" for the default exchange
  std::string type_name;
  bool durable = false;
  bool auto_delete = false;
  bool internal = false;
  FieldTable arguments;
  std::vector<Binding> bindings;  // where it routes to
};
struct ConsumerSnapshot {
  std::string queue;
  std::string tag;
  uint64_t connection_id = 0;
  bool exclusive = false;
  int64_t priority = 0;
  uint32_t unacked = 0;
  bool active = true;  // false: waiting behind x-single-active-consumer
};
struct BindingSnapshot {
  std::string source;  // "" for the default exchange's implicit binding
  std::string routing_key;
  FieldTable arguments;
};

class Vhost {
 public:
  Vhost(std::string name, storage::QueueRegistry& queues);

  const std::string& name() const { return name_; }

  // Drops everything but the predeclared exchanges (server reset).
  void reset();

  ModelResult<bool> declare_exchange(const Exchange& wanted, bool passive);
  ModelResult<bool> delete_exchange(const std::string& name, bool if_unused);
  ModelResult<bool> bind_exchange(const std::string& destination, const std::string& source,
                                  const std::string& routing_key, const FieldTable& arguments);
  ModelResult<bool> unbind_exchange(const std::string& destination, const std::string& source,
                                    const std::string& routing_key, const FieldTable& arguments);

  // With `keep_stored`, a new queue takes over a storage queue of the same
  // name with its messages (fixture queues after a reset); otherwise a
  // leftover storage queue is replaced.
  ModelResult<QueueDeclared> declare_queue(const std::string& name,
                                           const QueueDefinition& definition, bool passive,
                                           uint64_t connection_id, bool server_named = false,
                                           bool keep_stored = false);
  ModelResult<QueueDeleted> delete_queue(const std::string& name, bool if_unused, bool if_empty,
                                         uint64_t connection_id);
  ModelResult<uint32_t> purge_queue(const std::string& name, uint64_t connection_id);
  ModelResult<bool> bind_queue(const std::string& queue, const std::string& exchange,
                               const std::string& routing_key, const FieldTable& arguments,
                               uint64_t connection_id);
  ModelResult<bool> unbind_queue(const std::string& queue, const std::string& exchange,
                                 const std::string& routing_key, const FieldTable& arguments,
                                 uint64_t connection_id);
  // The storage queue, after the exclusivity check. `use` marks the queue
  // used now (basic.get and basic.consume), for x-expires.
  ModelResult<std::shared_ptr<storage::Queue>> open_queue(const std::string& name,
                                                          uint64_t connection_id, bool use = false);
  // The queue's dead-letter exchange and routing key, if it has one.
  std::optional<DeadLetterTarget> dead_letter_target(const std::string& queue) const;
  // The queue's policy (from its arguments), if it exists.
  std::optional<QueuePolicy> queue_policy(const std::string& queue) const;
  // Every queue with its storage, for the expiry sweep.
  std::vector<std::pair<std::string, std::shared_ptr<storage::Queue>>> storage_queues() const;
  // Deletes queues whose x-expires ran out (no consumers, unused for that
  // long); returns their names.
  std::vector<std::string> expire_unused(storage::TimePoint now);
  // When the next queue would expire unused, if any may.
  std::optional<storage::TimePoint> next_unused_expiry() const;

  // Registers a consumer; returns its registration id.
  ModelResult<uint64_t> add_consumer(const std::string& queue, ConsumerRegistration consumer);
  // Removes a registration; deletes an auto-delete queue that lost its last
  // consumer.
  void remove_consumer(const std::string& queue, uint64_t registration_id);
  // Whether the consumer may take the next message of the queue. With
  // x-single-active-consumer only the active consumer may: the one of
  // highest x-priority, the earliest registered among equals. When a
  // consumer of higher priority arrives, the active one gets no more
  // messages and hands over once it has no unacked deliveries (RabbitMQ's
  // rule, which keeps the order). Otherwise not while a ready consumer of
  // higher priority exists.
  bool may_consume(const std::string& queue, uint64_t registration_id);
  // A consumer's last unacked delivery was settled: wakes the consumer
  // waiting to become the single active one, if any.
  void consumer_idle(const std::string& queue, uint64_t registration_id) const;
  // Wakes the queue's other consumers (one stopped taking messages).
  void wake_consumers(const std::string& queue, uint64_t except_registration) const;
  // Deletes the exclusive queues of a closed connection.
  void drop_connection(uint64_t connection_id);

  // Queue names a publish to `exchange` reaches, through exchange-to-exchange
  // bindings and alternate exchanges, each once. A message has one or more
  // routing keys (the publish's, then those of its CC and BCC headers): a
  // direct or topic binding matches if any key does, the default exchange
  // reaches every queue a key names, fanout and headers exchanges ignore the
  // keys. Error 404 if the exchange does not exist, 403 if it is internal
  // (reachable only through bindings) unless `allow_internal` (dead-lettering
  // may target an internal exchange). With `targets`, also hands out the
  // routed queues' storage, one per name in the names' order, found under the
  // same lock.
  ModelResult<std::set<std::string>> route(
      const std::string& exchange, std::span<const std::string> routing_keys,
      const FieldTable* headers, bool allow_internal = false,
      std::vector<std::shared_ptr<storage::Queue>>* targets = nullptr) const;
  ModelResult<std::set<std::string>> route(const std::string& exchange,
                                           const std::string& routing_key,
                                           const FieldTable* headers,
                                           bool allow_internal = false) const {
    return route(exchange, std::span<const std::string>(&routing_key, 1), headers, allow_internal);
  }

  std::vector<std::string> queue_names() const;
  bool has_exchange(const std::string& name) const;
  bool has_queue(const std::string& name) const;

  // Every queue with its counts, by name.
  std::vector<QueueSnapshot> queue_snapshots() const;
  // The bindings whose destination is `queue`, the default exchange's
  // implicit one first (as RabbitMQ lists them), then by source exchange;
  // nullopt if no such queue.
  std::optional<std::vector<BindingSnapshot>> queue_bindings(const std::string& queue) const;
  // The topology a snapshot carries (exchanges that are not predeclared,
  // queues that are not exclusive, and every binding), and back: after
  // reset(), restore_topology() declares and binds them again; declared
  // queues find their messages in storage. Throws DecodeError.
  void encode_topology(ByteWriter& out) const;
  void restore_topology(ByteReader& in);
  // Every exchange with its bindings, by name; every consumer, by queue.
  std::vector<ExchangeSnapshot> exchange_snapshots() const;
  std::vector<ConsumerSnapshot> consumer_snapshots() const;

 private:
  void predeclare();
  // The exchange a queue.bind / queue.unbind names, after the queue and exchange checks;
  // end() with `error` set when either fails.
  std::map<std::string, Exchange>::iterator find_binding_source_locked(
      const std::string& queue, const std::string& exchange, uint64_t connection_id,
      std::optional<ModelError>& error);
  QueueEntry* find_queue_locked(const std::string& name, uint64_t connection_id,
                                std::optional<ModelError>& error);
  void route_locked(const Exchange& exchange, std::span<const std::string> routing_keys,
                    const FieldTable* headers, std::set<std::string>& queues,
                    std::set<std::string>& visited) const;
  std::optional<storage::TimePoint> unused_deadline_locked(const QueueEntry& entry) const;
  void remove_queue_locked(const std::string& name, std::vector<ConsumerCancelled>& cancelled);
  void maybe_auto_delete_exchange_locked(const std::string& name);

  const std::string name_;
  storage::QueueRegistry& storage_;
  mutable std::mutex mutex_;
  std::map<std::string, Exchange> exchanges_;
  std::map<std::string, QueueEntry> queues_;
  uint64_t next_registration_ = 1;
};

}  // namespace mockforge::amqp
