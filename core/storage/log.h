// Partitioned append-only logs for the Kafka broker.
//
// Threading: Partition, Topic and LogStore are each internally synchronised
// (a mutex per partition, per topic, and a shared mutex for the topic maps).
// Lock order is LogStore -> Topic -> Partition. Waiter callbacks run after the
// partition lock is released. A BatchMutator passed to append() is the one
// exception: it runs under the partition lock and must not call into storage.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/storage/byte_arena.h"
#include "core/storage/common.h"
#include "core/storage/memory_budget.h"

namespace mockforge::storage {

// 16-byte topic UUID (Kafka topic id).
struct TopicId {
  std::array<uint8_t, 16> bytes{};

  // A random version-4 UUID.
  static TopicId random();
  bool is_zero() const;
  std::string to_hex() const;
  friend auto operator<=>(const TopicId&, const TopicId&) = default;
};

struct TopicIdHash {
  std::size_t operator()(const TopicId& id) const;
};

using ConfigMap = std::map<std::string, std::string, std::less<>>;

// The most partitions one topic may have: a create or a grow past it is
// kInvalidPartitions (a request for 2^31 partitions must not reserve them).
inline constexpr int32_t kMaxPartitionsPerTopic = 10000;

inline constexpr std::string_view kRetentionBytesConfig = "retention.bytes";
inline constexpr std::string_view kRetentionMsConfig = "retention.ms";
inline constexpr std::string_view kCleanupPolicyConfig = "cleanup.policy";

// One stored record batch: opaque bytes plus the offsets they cover.
struct BatchRef {
  int64_t base_offset = 0;
  int32_t record_count = 0;
  int64_t max_timestamp = -1;
  ByteSlice bytes;

  int64_t last_offset() const { return base_offset + record_count - 1; }
  int64_t next_offset() const { return base_offset + record_count; }
  std::size_t size_bytes() const { return bytes.size(); }
};

// Retention limits parsed from topic configs; nullopt (or a negative config
// value, as in Kafka) means unlimited. A key the topic does not set takes the
// engine's default (storage.retention_bytes / storage.retention_time). A
// cleanup.policy without "delete" (compact only) means unlimited.
struct RetentionPolicy {
  std::optional<uint64_t> max_bytes;
  std::optional<int64_t> max_age_ms;

  static Result<RetentionPolicy> from_configs(const ConfigMap& configs,
                                              const RetentionPolicy& defaults = {});
  static RetentionPolicy defaults_of(const StorageContext& context) {
    return {context.default_retention_bytes, context.default_retention_ms};
  }
};

enum class WaitOutcome {
  kDataArrived,       // the high watermark moved past the awaited offset
  kPartitionReset,    // the engine was reset or restored; re-read the partition
  kPartitionDeleted,  // the topic (or the partition) no longer exists
};
using WaitCallback = std::function<void(WaitOutcome)>;
using WaitToken = uint64_t;
// Returned by wait_for_data when the callback already ran (data was there).
inline constexpr WaitToken kWaitFiredImmediately = 0;

// Runs under the partition lock with the assigned base offset so the caller
// can rewrite the offset inside the stored copy of the batch before it
// becomes visible.
using BatchMutator = std::function<void(std::span<uint8_t> bytes, int64_t base_offset)>;

struct ReadResult {
  std::vector<BatchRef> batches;
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;
};

struct TimestampMatch {
  int64_t offset = 0;  // max(batch base offset, log start offset)
  BatchRef batch;      // first batch whose max timestamp >= the requested time
};

struct PartitionStats {
  int64_t log_start_offset = 0;
  int64_t high_watermark = 0;
  std::size_t batch_count = 0;
  uint64_t size_bytes = 0;
};

// State of one partition as captured for reset and snapshots.
struct PartitionImage {
  int64_t log_start_offset = 0;
  int64_t next_offset = 0;
  std::vector<BatchRef> batches;
  ImageSource source;
};

class Partition {
 public:
  // delete_records(kDeleteToHighWatermark) deletes everything (Kafka's -1).
  static constexpr int64_t kDeleteToHighWatermark = -1;

  Partition(StorageContext& context, std::string topic_name, int32_t index,
            RetentionPolicy retention);
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  const std::string& topic_name() const { return topic_name_; }
  int32_t index() const { return index_; }

  // Copies one batch into the partition's arena and returns its base offset.
  // `mutator`, if given, runs under the partition lock on the stored copy
  // with that offset before the bytes are frozen. Applies retention
  // afterwards. Errors: kInvalidArgument, kStorageFull, kDeleted. `stored`,
  // if given, receives the stored copy (which keeps its arena chunk alive).
  Result<int64_t> append(std::span<const uint8_t> bytes, int32_t record_count,
                         int64_t max_timestamp, const BatchMutator& mutator = {},
                         ByteSlice* stored = nullptr);
  Result<int64_t> append(std::string_view bytes, int32_t record_count, int64_t max_timestamp,
                         const BatchMutator& mutator = {}) {
    return append(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()),
        record_count, max_timestamp, mutator);
  }

  // Batches containing or following `offset`, at most `max_bytes` in total but
  // always at least one if any exists. offset == high watermark gives an empty
  // result; offsets outside [log start, high watermark] give kOffsetOutOfRange.
  Result<ReadResult> read(int64_t offset, std::size_t max_bytes) const;

  // First batch whose max timestamp >= `timestamp_ms` (the broker refines to
  // the record inside it). nullopt if no such batch.
  std::optional<TimestampMatch> find_by_timestamp(int64_t timestamp_ms) const;

  // Advances the log start offset to `offset` (or to the high watermark for
  // kDeleteToHighWatermark) and drops batches wholly below it. Returns the new
  // log start offset. An offset below the current log start is a no-op.
  Result<int64_t> delete_records(int64_t offset);

  // Applies retention.bytes / retention.ms. Returns the bytes released.
  uint64_t enforce_retention(int64_t now_ms);
  void set_retention(RetentionPolicy retention);

  // Calls `callback` once when the high watermark exceeds `offset` (or the
  // partition is reset or deleted). If that is already true it runs now, on
  // the calling thread, and kWaitFiredImmediately is returned.
  WaitToken wait_for_data(int64_t offset, WaitCallback callback);
  // True if the waiter was removed before it fired.
  bool cancel_wait(WaitToken token);
  std::size_t waiter_count() const;

  int64_t log_start_offset() const;
  int64_t high_watermark() const;
  PartitionStats stats() const;
  bool deleted() const;

  // Engine internals for reset and snapshots.
  PartitionImage capture() const;
  // Replaces the contents; pending waiters are handed over with kPartitionReset.
  void restore(const PartitionImage& image, DeferredCallbacks& deferred);
  // Frees the contents and fails future writes; waiters get kPartitionDeleted.
  void mark_deleted(DeferredCallbacks& deferred);

 private:
  struct Waiter {
    WaitToken token;
    WaitCallback callback;
  };

  uint64_t drop_front_batch_locked();
  uint64_t apply_retention_locked(int64_t now_ms);
  void collect_ready_waiters_locked(DeferredCallbacks& deferred);
  void collect_all_waiters_locked(WaitOutcome outcome, DeferredCallbacks& deferred);

  StorageContext& context_;
  const std::string topic_name_;
  const int32_t index_;
  const uint64_t instance_id_ = next_instance_id();

  mutable std::mutex mutex_;
  RetentionPolicy retention_;
  std::deque<BatchRef> batches_;
  ByteArena arena_;
  int64_t log_start_offset_ = 0;
  int64_t next_offset_ = 0;
  uint64_t size_bytes_ = 0;
  bool deleted_ = false;
  uint64_t version_ = 0;  // bumped by every change to the contents
  WaitToken next_wait_token_ = 1;
  std::multimap<int64_t, Waiter> waiters_by_offset_;
  std::unordered_map<WaitToken, std::multimap<int64_t, Waiter>::iterator> waiters_by_token_;
};

struct TopicImage {
  std::string name;
  TopicId id;
  ConfigMap configs;
  std::vector<PartitionImage> partitions;
};

class Topic {
 public:
  Topic(StorageContext& context, std::string name, TopicId id, ConfigMap configs,
        RetentionPolicy retention, int32_t partition_count);
  Topic(const Topic&) = delete;
  Topic& operator=(const Topic&) = delete;

  const std::string& name() const { return name_; }
  const TopicId& id() const { return id_; }

  int32_t partition_count() const;
  // nullptr if `index` is out of range.
  std::shared_ptr<Partition> partition(int32_t index) const;
  std::vector<std::shared_ptr<Partition>> partitions() const;

  ConfigMap configs() const;
  std::optional<std::string> config(std::string_view key) const;
  // Sets and removes config keys; retention changes apply to all partitions.
  Status alter_configs(const ConfigMap& set, const std::vector<std::string>& remove = {});
  bool deleted() const;

  // Engine internals.
  Status add_partitions(int32_t new_total);
  TopicImage capture() const;
  void restore(const TopicImage& image, DeferredCallbacks& deferred);
  void mark_deleted(DeferredCallbacks& deferred);

 private:
  StorageContext& context_;
  const std::string name_;
  const TopicId id_;

  mutable std::mutex mutex_;
  ConfigMap configs_;
  RetentionPolicy retention_;
  std::vector<std::shared_ptr<Partition>> partitions_;
  bool deleted_ = false;
};

struct LogStats {
  std::size_t topic_count = 0;
  std::size_t partition_count = 0;
  std::size_t batch_count = 0;
  uint64_t size_bytes = 0;
};

class LogStore {
 public:
  explicit LogStore(StorageContext& context);
  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // Errors: kInvalidName, kTopicAlreadyExists, kInvalidPartitions,
  // kInvalidConfig. A zero or absent id gets a random one.
  Result<std::shared_ptr<Topic>> create_topic(std::string name, int32_t partition_count,
                                              ConfigMap configs = {},
                                              std::optional<TopicId> id = std::nullopt);
  // Waiters on the topic's partitions get kPartitionDeleted. kUnknownTopic.
  Status delete_topic(std::string_view name);
  // Grows the topic to `new_total` partitions. kUnknownTopic, kInvalidPartitions.
  Status add_partitions(std::string_view name, int32_t new_total);

  std::shared_ptr<Topic> find(std::string_view name) const;
  std::shared_ptr<Topic> find(const TopicId& id) const;
  // Sorted by name.
  std::vector<std::shared_ptr<Topic>> list() const;

  // Applies retention to every partition. Returns the bytes released.
  uint64_t enforce_retention(int64_t now_ms);
  LogStats stats() const;

  // Engine internals.
  std::vector<TopicImage> capture() const;
  void restore(const std::vector<TopicImage>& images, DeferredCallbacks& deferred);

 private:
  StorageContext& context_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<Topic>, std::less<>> topics_by_name_;
  std::unordered_map<TopicId, std::shared_ptr<Topic>, TopicIdHash> topics_by_id_;
};

// Kafka's legal topic names: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
bool is_valid_topic_name(std::string_view name);

}  // namespace mockforge::storage
