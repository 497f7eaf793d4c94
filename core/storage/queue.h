// Message queues for the AMQP broker, and the registry keyed by (vhost, name)
// that the engine owns so reset and snapshots cover queue contents.
//
// Threading: every Queue has its own mutex; QueueRegistry has a shared mutex
// for its map (lock order registry -> queue). Availability listeners run after
// the queue lock is released.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/storage/common.h"
#include "core/storage/memory_budget.h"

namespace mockforge::storage {

// Storage-assigned, increasing per queue; the ready order is the id order.
using MessageId = uint64_t;

struct Message {
  Bytes body;
  Bytes properties;  // the broker's encoded basic properties / headers, opaque here
  std::string exchange;
  std::string routing_key;
  // Further routing keys the publisher named beside routing_key (AMQP's CC and
  // BCC headers, in that order); dead-lettering routes with them again and
  // records routing_key and the CC keys.
  std::vector<std::string> cc_routing_keys;
  std::vector<std::string> bcc_routing_keys;
  uint8_t priority = 0;
  // Per-message TTL asked for by the publisher; the queue turns it (and its own
  // message TTL) into expires_at when the message is pushed.
  std::optional<std::chrono::milliseconds> ttl;
  std::optional<TimePoint> expires_at;
  bool redelivered = false;
  uint32_t delivery_count = 0;  // incremented by every pop

  uint64_t body_size() const { return byte_size(body); }
  // Bytes charged to the memory budget.
  uint64_t stored_size() const {
    uint64_t size = byte_size(body) + byte_size(properties) + exchange.size() + routing_key.size();
    for (const std::string& key : cc_routing_keys) size += key.size();
    for (const std::string& key : bcc_routing_keys) size += key.size();
    return size;
  }
};

struct QueuedMessage {
  MessageId id = 0;
  Message message;
};

enum class OverflowMode { kDropHead, kRejectPublish };

struct QueueOptions {
  std::optional<uint64_t> max_length;        // ready messages (x-max-length)
  std::optional<uint64_t> max_length_bytes;  // ready body bytes (x-max-length-bytes)
  OverflowMode overflow = OverflowMode::kDropHead;
  uint8_t max_priority = 0;                              // 0: no priorities (x-max-priority)
  std::optional<std::chrono::milliseconds> message_ttl;  // x-message-ttl
  Bytes broker_metadata;  // opaque: the broker's declare flags/arguments, kept across reset
};

enum class PushStatus {
  kAccepted,     // stored
  kDroppedHead,  // stored, and `dropped` holds the messages pushed out of the head
  kRejected,     // refused by reject-publish overflow; nothing changed
};

struct PushResult {
  PushStatus status = PushStatus::kAccepted;
  MessageId id = 0;                     // the pushed message's id (0 if rejected)
  std::optional<TimePoint> expires_at;  // the pushed message's expiry, if it has one
  // Messages pushed out by drop-head overflow, for dead-lettering. With
  // max_length 0 this may be the pushed message itself.
  std::vector<Message> dropped;
};

struct PopResult {
  std::optional<QueuedMessage> delivery;  // now unacked under delivery->id
  std::vector<Message> expired;           // expired heads removed on the way
};

// Where a requeued message goes back: its original position in the ready
// order (RabbitMQ's classic queues), or behind every ready message (quorum
// queues without a delivery limit).
enum class RequeuePlace { kOriginal, kBack };

struct RequeueResult {
  bool found = false;  // the id was unacked
  // Set instead of requeueing when the message has been delivered more often
  // than the limit allowed: it has left the queue (for dead-lettering).
  std::optional<Message> over_limit;
};

struct QueueStats {
  uint64_t ready_count = 0;
  uint64_t unacked_count = 0;
  uint64_t ready_body_bytes = 0;
  uint64_t stored_bytes = 0;  // ready + unacked, as charged to the memory budget
};

using ListenerToken = uint64_t;

struct QueueImage {
  std::string vhost;
  std::string name;
  QueueOptions options;
  MessageId next_id = 1;
  // One deque per priority level (index = priority), each in id order.
  // Unacked messages are folded back in as redelivered.
  std::vector<std::deque<QueuedMessage>> levels;
  ImageSource source;
};

class Queue {
 public:
  Queue(StorageContext& context, std::string vhost, std::string name, QueueOptions options);
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;

  const std::string& vhost() const { return vhost_; }
  const std::string& name() const { return name_; }
  QueueOptions options() const;

  // Applies TTL, priority and overflow rules. Errors: kStorageFull, kDeleted.
  Result<PushResult> push(Message message);
  // Moves the next ready message (highest priority, then FIFO) to unacked.
  // Expired messages met at the head are removed and returned in `expired`.
  PopResult pop(TimePoint now);
  bool ack(MessageId id);
  // Back to its original position in the ready order, marked redelivered.
  bool requeue(MessageId id);
  // Back at `place`, marked redelivered; or, if it has been delivered more
  // than `max_deliveries` times, removed and returned in over_limit.
  RequeueResult requeue(MessageId id, RequeuePlace place, std::optional<uint32_t> max_deliveries);
  // Drops an unacked message (reject without requeue) and returns it.
  std::optional<Message> remove(MessageId id);
  // Removes all ready messages; returns how many.
  uint64_t purge();

  // Removes and returns ready messages at the head whose expiry has passed
  // (RabbitMQ only expires from the head).
  std::vector<Message> expire(TimePoint now);
  // Earliest expiry among the heads, for the broker's timer.
  std::optional<TimePoint> next_expiry() const;

  // `listener` is called (outside the lock) whenever a push or requeue leaves
  // ready messages in the queue, and after a reset that leaves some.
  ListenerToken add_available_listener(std::function<void()> listener);
  bool remove_available_listener(ListenerToken token);

  uint64_t ready_count() const;
  uint64_t unacked_count() const;
  // Copies of up to `limit` ready messages in the order pop() would take
  // them; nothing changes (the admin API's peek).
  std::vector<Message> peek(std::size_t limit) const;
  QueueStats stats() const;
  bool deleted() const;

  // Engine internals.
  QueueImage capture() const;
  void restore(const QueueImage& image, DeferredCallbacks& deferred);
  // Drops all messages; returns ready + unacked count. Future pushes fail.
  uint64_t mark_deleted();

 private:
  std::deque<QueuedMessage>* head_level_locked();
  void insert_ready_locked(QueuedMessage entry);
  Message take_head_locked(std::deque<QueuedMessage>& level);
  // Removes an unacked message and releases what it was charged.
  Message take_unacked_locked(std::unordered_map<MessageId, Message>::iterator it);
  void expire_heads_locked(TimePoint now, std::vector<Message>& expired);
  class ListenerBatch;
  void collect_listeners_locked(ListenerBatch& batch);
  void collect_listeners_locked(DeferredCallbacks& deferred);
  void release_all_locked();

  StorageContext& context_;
  const std::string vhost_;
  const std::string name_;
  const uint64_t instance_id_ = next_instance_id();

  mutable std::mutex mutex_;
  QueueOptions options_;
  std::vector<std::deque<QueuedMessage>> levels_;
  std::unordered_map<MessageId, Message> unacked_;
  MessageId next_id_ = 1;
  uint64_t ready_count_ = 0;
  uint64_t ready_body_bytes_ = 0;
  uint64_t stored_bytes_ = 0;
  bool deleted_ = false;
  uint64_t version_ = 0;  // bumped by every change to the messages
  ListenerToken next_listener_token_ = 1;
  std::map<ListenerToken, std::shared_ptr<std::function<void()>>> listeners_;
};

struct QueueRegistryStats {
  std::size_t queue_count = 0;
  uint64_t ready_count = 0;
  uint64_t unacked_count = 0;
  uint64_t stored_bytes = 0;
};

class QueueRegistry {
 public:
  struct DeclareResult {
    std::shared_ptr<Queue> queue;
    bool created = false;  // false: it existed; its options are unchanged
  };

  explicit QueueRegistry(StorageContext& context);
  QueueRegistry(const QueueRegistry&) = delete;
  QueueRegistry& operator=(const QueueRegistry&) = delete;

  DeclareResult declare(std::string vhost, std::string name, QueueOptions options);
  std::shared_ptr<Queue> find(std::string_view vhost, std::string_view name) const;
  // Deletes the queue; returns the number of messages it held, nullopt if unknown.
  std::optional<uint64_t> remove(std::string_view vhost, std::string_view name);
  // Sorted by (vhost, name).
  std::vector<std::shared_ptr<Queue>> list() const;
  std::vector<std::shared_ptr<Queue>> list(std::string_view vhost) const;
  QueueRegistryStats stats() const;

  // Engine internals.
  std::vector<QueueImage> capture() const;
  void restore(const std::vector<QueueImage>& images, DeferredCallbacks& deferred);

 private:
  using Key = std::pair<std::string, std::string>;

  StorageContext& context_;
  mutable std::shared_mutex mutex_;
  std::map<Key, std::shared_ptr<Queue>> queues_;
};

}  // namespace mockforge::storage
