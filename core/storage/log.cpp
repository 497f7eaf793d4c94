#include "core/storage/log.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <random>

namespace mockforge::storage {
namespace {

template <typename Integer>
std::optional<Integer> parse_integer(std::string_view text) {
  Integer value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Error out_of_range(const Partition& partition, int64_t offset, int64_t log_start,
                   int64_t high_watermark) {
  return Error{
      ErrorCode::kOffsetOutOfRange,
      fmt::format("offset {} is out of range for {}-{} (log start {}, high watermark {})", offset,
                  partition.topic_name(), partition.index(), log_start, high_watermark)};
}

Error deleted_partition(const Partition& partition) {
  return Error{ErrorCode::kDeleted, fmt::format("partition {}-{} has been deleted",
                                                partition.topic_name(), partition.index())};
}

}  // namespace

// ---------------------------------------------------------------- TopicId

TopicId TopicId::random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  TopicId id;
  for (std::size_t i = 0; i < id.bytes.size(); i += 8) {
    const uint64_t word = generator();
    for (std::size_t j = 0; j < 8; ++j) id.bytes[i + j] = static_cast<uint8_t>(word >> (8 * j));
  }
  id.bytes[6] = static_cast<uint8_t>((id.bytes[6] & 0x0f) | 0x40);  // version 4
  id.bytes[8] = static_cast<uint8_t>((id.bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return id;
}

bool TopicId::is_zero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t byte) { return byte == 0; });
}

std::string TopicId::to_hex() const {
  std::string text;
  text.reserve(32);
  for (uint8_t byte : bytes) text += fmt::format("{:02x}", byte);
  return text;
}

std::size_t TopicIdHash::operator()(const TopicId& id) const {
  uint64_t hash = 1469598103934665603ULL;
  for (uint8_t byte : id.bytes) hash = (hash ^ byte) * 1099511628211ULL;
  return static_cast<std::size_t>(hash);
}

bool is_valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

Result<RetentionPolicy> RetentionPolicy::from_configs(const ConfigMap& configs,
                                                      const RetentionPolicy& defaults) {
  RetentionPolicy policy = defaults;
  if (auto it = configs.find(kRetentionBytesConfig); it != configs.end()) {
    const auto value = parse_integer<int64_t>(it->second);
    if (!value) {
      return Error{ErrorCode::kInvalidConfig,
                   fmt::format("{} must be an integer, got '{}'", it->first, it->second)};
    }
    policy.max_bytes =
        *value >= 0 ? std::optional<uint64_t>(static_cast<uint64_t>(*value)) : std::nullopt;
  }
  if (auto it = configs.find(kRetentionMsConfig); it != configs.end()) {
    const auto value = parse_integer<int64_t>(it->second);
    if (!value) {
      return Error{ErrorCode::kInvalidConfig,
                   fmt::format("{} must be an integer, got '{}'", it->first, it->second)};
    }
    policy.max_age_ms = *value >= 0 ? std::optional<int64_t>(*value) : std::nullopt;
  }
  // As in Kafka, a topic whose cleanup.policy does not include "delete" (compact only) keeps
  // its records whatever retention.ms / retention.bytes say.
  if (auto it = configs.find(kCleanupPolicyConfig);
      it != configs.end() && it->second.find("delete") == std::string::npos) {
    policy.max_bytes.reset();
    policy.max_age_ms.reset();
  }
  return policy;
}

// ---------------------------------------------------------------- Partition

Partition::Partition(StorageContext& context, std::string topic_name, int32_t index,
                     RetentionPolicy retention)
    : context_(context), topic_name_(std::move(topic_name)), index_(index), retention_(retention) {}

Result<int64_t> Partition::append(std::span<const uint8_t> bytes, int32_t record_count,
                                  int64_t max_timestamp, const BatchMutator& mutator,
                                  ByteSlice* stored_copy) {
  if (record_count <= 0) {
    return Error{ErrorCode::kInvalidArgument,
                 fmt::format("append to {}-{}: record count must be positive, got {}", topic_name_,
                             index_, record_count)};
  }
  DeferredCallbacks deferred;
  int64_t base_offset = 0;
  {
    std::lock_guard lock(mutex_);
    if (deleted_) return deleted_partition(*this);
    base_offset = next_offset_;
    const uint64_t size = bytes.size();
    if (!context_.budget.try_reserve(MemoryCategory::kLogs, size)) {
      return storage_full_error(MemoryCategory::kLogs, size, context_.budget);
    }
    auto stored = arena_.allocate(bytes.size());
    if (!bytes.empty()) std::memcpy(stored.writable.data(), bytes.data(), bytes.size());
    if (mutator) mutator(stored.writable, base_offset);
    if (stored_copy != nullptr) *stored_copy = stored.slice;
    batches_.push_back(BatchRef{base_offset, record_count, max_timestamp, std::move(stored.slice)});
    next_offset_ += record_count;
    size_bytes_ += size;
    ++version_;
    apply_retention_locked(context_.now_millis());
    collect_ready_waiters_locked(deferred);
  }
  run_deferred(deferred);
  return base_offset;
}

Result<ReadResult> Partition::read(int64_t offset, std::size_t max_bytes) const {
  std::lock_guard lock(mutex_);
  if (deleted_) return deleted_partition(*this);
  if (offset < log_start_offset_ || offset > next_offset_) {
    return out_of_range(*this, offset, log_start_offset_, next_offset_);
  }
  ReadResult result;
  result.log_start_offset = log_start_offset_;
  result.high_watermark = next_offset_;
  auto it = std::partition_point(batches_.begin(), batches_.end(), [offset](const BatchRef& batch) {
    return batch.next_offset() <= offset;
  });
  std::size_t total = 0;
  for (; it != batches_.end(); ++it) {
    const std::size_t size = it->size_bytes();
    if (!result.batches.empty() && total + size > max_bytes) break;
    result.batches.push_back(*it);
    total += size;
  }
  return result;
}

std::optional<TimestampMatch> Partition::find_by_timestamp(int64_t timestamp_ms) const {
  std::lock_guard lock(mutex_);
  for (const BatchRef& batch : batches_) {
    if (batch.next_offset() <= log_start_offset_) continue;
    if (batch.max_timestamp >= timestamp_ms) {
      return TimestampMatch{std::max(batch.base_offset, log_start_offset_), batch};
    }
  }
  return std::nullopt;
}

Result<int64_t> Partition::delete_records(int64_t offset) {
  std::lock_guard lock(mutex_);
  if (deleted_) return deleted_partition(*this);
  if (offset == kDeleteToHighWatermark) offset = next_offset_;
  if (offset < 0 || offset > next_offset_) {
    return out_of_range(*this, offset, log_start_offset_, next_offset_);
  }
  if (offset <= log_start_offset_) return log_start_offset_;
  ++version_;
  log_start_offset_ = offset;
  while (!batches_.empty() && batches_.front().next_offset() <= log_start_offset_) {
    drop_front_batch_locked();
  }
  return log_start_offset_;
}

uint64_t Partition::enforce_retention(int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (deleted_) return 0;
  return apply_retention_locked(now_ms);
}

void Partition::set_retention(RetentionPolicy retention) {
  std::lock_guard lock(mutex_);
  retention_ = retention;
}

uint64_t Partition::drop_front_batch_locked() {
  ++version_;
  const uint64_t size = batches_.front().size_bytes();
  log_start_offset_ = std::max(log_start_offset_, batches_.front().next_offset());
  batches_.pop_front();
  size_bytes_ -= size;
  context_.budget.release(MemoryCategory::kLogs, size);
  return size;
}

uint64_t Partition::apply_retention_locked(int64_t now_ms) {
  uint64_t released = 0;
  if (retention_.max_age_ms) {
    // Like Kafka's segment deletion: whole batches, oldest first, only while
    // the oldest one is entirely older than the retention window.
    while (!batches_.empty() && now_ms - batches_.front().max_timestamp > *retention_.max_age_ms) {
      released += drop_front_batch_locked();
    }
  }
  if (retention_.max_bytes) {
    // The newest batch plays the role of Kafka's active segment and is kept.
    while (batches_.size() > 1 && size_bytes_ > *retention_.max_bytes) {
      released += drop_front_batch_locked();
    }
  }
  return released;
}

WaitToken Partition::wait_for_data(int64_t offset, WaitCallback callback) {
  WaitOutcome immediate_outcome;
  {
    std::lock_guard lock(mutex_);
    if (!deleted_ && next_offset_ <= offset) {
      const WaitToken token = next_wait_token_++;
      auto it = waiters_by_offset_.emplace(offset, Waiter{token, std::move(callback)});
      waiters_by_token_.emplace(token, it);
      return token;
    }
    immediate_outcome = deleted_ ? WaitOutcome::kPartitionDeleted : WaitOutcome::kDataArrived;
  }
  callback(immediate_outcome);
  return kWaitFiredImmediately;
}

bool Partition::cancel_wait(WaitToken token) {
  std::lock_guard lock(mutex_);
  auto it = waiters_by_token_.find(token);
  if (it == waiters_by_token_.end()) return false;
  waiters_by_offset_.erase(it->second);
  waiters_by_token_.erase(it);
  return true;
}

std::size_t Partition::waiter_count() const {
  std::lock_guard lock(mutex_);
  return waiters_by_token_.size();
}

void Partition::collect_ready_waiters_locked(DeferredCallbacks& deferred) {
  // Waiters on offsets below the new high watermark have data now.
  auto end = waiters_by_offset_.lower_bound(next_offset_);
  for (auto it = waiters_by_offset_.begin(); it != end; ++it) {
    waiters_by_token_.erase(it->second.token);
    deferred.push_back(
        [callback = std::move(it->second.callback)] { callback(WaitOutcome::kDataArrived); });
  }
  waiters_by_offset_.erase(waiters_by_offset_.begin(), end);
}

void Partition::collect_all_waiters_locked(WaitOutcome outcome, DeferredCallbacks& deferred) {
  for (auto& [offset, waiter] : waiters_by_offset_) {
    deferred.push_back([callback = std::move(waiter.callback), outcome] { callback(outcome); });
  }
  waiters_by_offset_.clear();
  waiters_by_token_.clear();
}

int64_t Partition::log_start_offset() const {
  std::lock_guard lock(mutex_);
  return log_start_offset_;
}

int64_t Partition::high_watermark() const {
  std::lock_guard lock(mutex_);
  return next_offset_;
}

PartitionStats Partition::stats() const {
  std::lock_guard lock(mutex_);
  return PartitionStats{log_start_offset_, next_offset_, batches_.size(), size_bytes_};
}

bool Partition::deleted() const {
  std::lock_guard lock(mutex_);
  return deleted_;
}

PartitionImage Partition::capture() const {
  std::lock_guard lock(mutex_);
  return PartitionImage{log_start_offset_,
                        next_offset_,
                        {batches_.begin(), batches_.end()},
                        ImageSource{instance_id_, version_}};
}

void Partition::restore(const PartitionImage& image, DeferredCallbacks& deferred) {
  {
    std::lock_guard lock(mutex_);
    if (!deleted_ && image.source.is(instance_id_, version_)) {
      // Unchanged since the image was taken: nothing to copy.
      collect_all_waiters_locked(WaitOutcome::kPartitionReset, deferred);
      return;
    }
  }
  uint64_t image_bytes = 0;
  for (const BatchRef& batch : image.batches) image_bytes += batch.size_bytes();
  {
    std::lock_guard lock(mutex_);
    context_.budget.release(MemoryCategory::kLogs, size_bytes_);
    context_.budget.force_reserve(MemoryCategory::kLogs, image_bytes);
    // Assigning in place reuses the deque's blocks: much cheaper than
    // building a new deque and freeing the old one.
    batches_.assign(image.batches.begin(), image.batches.end());
    // Batches appended since the image go with their chunks once unreferenced.
    arena_ = ByteArena();
    log_start_offset_ = image.log_start_offset;
    next_offset_ = image.next_offset;
    size_bytes_ = image_bytes;
    deleted_ = false;
    version_ = image.source.instance == instance_id_ ? image.source.version : version_ + 1;
    collect_all_waiters_locked(WaitOutcome::kPartitionReset, deferred);
  }
}

void Partition::mark_deleted(DeferredCallbacks& deferred) {
  std::lock_guard lock(mutex_);
  context_.budget.release(MemoryCategory::kLogs, size_bytes_);
  batches_.clear();
  arena_ = ByteArena();
  size_bytes_ = 0;
  deleted_ = true;
  ++version_;
  collect_all_waiters_locked(WaitOutcome::kPartitionDeleted, deferred);
}

// ---------------------------------------------------------------- Topic

Topic::Topic(StorageContext& context, std::string name, TopicId id, ConfigMap configs,
             RetentionPolicy retention, int32_t partition_count)
    : context_(context),
      name_(std::move(name)),
      id_(id),
      configs_(std::move(configs)),
      retention_(retention) {
  partitions_.reserve(static_cast<std::size_t>(partition_count));
  for (int32_t index = 0; index < partition_count; ++index) {
    partitions_.push_back(std::make_shared<Partition>(context_, name_, index, retention_));
  }
}

int32_t Topic::partition_count() const {
  std::lock_guard lock(mutex_);
  return static_cast<int32_t>(partitions_.size());
}

std::shared_ptr<Partition> Topic::partition(int32_t index) const {
  std::lock_guard lock(mutex_);
  if (index < 0 || static_cast<std::size_t>(index) >= partitions_.size()) return nullptr;
  return partitions_[static_cast<std::size_t>(index)];
}

std::vector<std::shared_ptr<Partition>> Topic::partitions() const {
  std::lock_guard lock(mutex_);
  return partitions_;
}

ConfigMap Topic::configs() const {
  std::lock_guard lock(mutex_);
  return configs_;
}

std::optional<std::string> Topic::config(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = configs_.find(key);
  if (it == configs_.end()) return std::nullopt;
  return it->second;
}

Status Topic::alter_configs(const ConfigMap& set, const std::vector<std::string>& remove) {
  std::lock_guard lock(mutex_);
  if (deleted_) return Error{ErrorCode::kDeleted, fmt::format("topic {} has been deleted", name_)};
  ConfigMap updated = configs_;
  for (const auto& key : remove) updated.erase(key);
  for (const auto& [key, value] : set) updated[key] = value;
  auto retention = RetentionPolicy::from_configs(updated, RetentionPolicy::defaults_of(context_));
  if (!retention) return retention.error();
  configs_ = std::move(updated);
  retention_ = *retention;
  for (const auto& partition : partitions_) partition->set_retention(retention_);
  return Status::Ok();
}

bool Topic::deleted() const {
  std::lock_guard lock(mutex_);
  return deleted_;
}

Status Topic::add_partitions(int32_t new_total) {
  std::lock_guard lock(mutex_);
  const auto current = static_cast<int32_t>(partitions_.size());
  if (new_total <= current) {
    return Error{
        ErrorCode::kInvalidPartitions,
        fmt::format("topic {} has {} partitions; cannot change to {}", name_, current, new_total)};
  }
  if (new_total > kMaxPartitionsPerTopic) {
    return Error{ErrorCode::kInvalidPartitions,
                 fmt::format("topic {}: at most {} partitions per topic, not {}", name_,
                             kMaxPartitionsPerTopic, new_total)};
  }
  for (int32_t index = current; index < new_total; ++index) {
    partitions_.push_back(std::make_shared<Partition>(context_, name_, index, retention_));
  }
  return Status::Ok();
}

TopicImage Topic::capture() const {
  std::lock_guard lock(mutex_);
  TopicImage image{name_, id_, configs_, {}};
  image.partitions.reserve(partitions_.size());
  for (const auto& partition : partitions_) image.partitions.push_back(partition->capture());
  return image;
}

void Topic::restore(const TopicImage& image, DeferredCallbacks& deferred) {
  auto retention =
      RetentionPolicy::from_configs(image.configs, RetentionPolicy::defaults_of(context_));
  std::lock_guard lock(mutex_);
  configs_ = image.configs;
  retention_ = retention ? *retention : RetentionPolicy{};
  while (partitions_.size() > image.partitions.size()) {
    partitions_.back()->mark_deleted(deferred);
    partitions_.pop_back();
  }
  for (std::size_t index = 0; index < image.partitions.size(); ++index) {
    if (index == partitions_.size()) {
      partitions_.push_back(
          std::make_shared<Partition>(context_, name_, static_cast<int32_t>(index), retention_));
    }
    partitions_[index]->set_retention(retention_);
    partitions_[index]->restore(image.partitions[index], deferred);
  }
  deleted_ = false;
}

void Topic::mark_deleted(DeferredCallbacks& deferred) {
  std::lock_guard lock(mutex_);
  deleted_ = true;
  for (const auto& partition : partitions_) partition->mark_deleted(deferred);
}

// ---------------------------------------------------------------- LogStore

LogStore::LogStore(StorageContext& context) : context_(context) {}

Result<std::shared_ptr<Topic>> LogStore::create_topic(std::string name, int32_t partition_count,
                                                      ConfigMap configs,
                                                      std::optional<TopicId> id) {
  if (!is_valid_topic_name(name)) {
    return Error{ErrorCode::kInvalidName, fmt::format("invalid topic name '{}'", name)};
  }
  if (partition_count <= 0) {
    return Error{
        ErrorCode::kInvalidPartitions,
        fmt::format("topic {}: partition count must be positive, got {}", name, partition_count)};
  }
  if (partition_count > kMaxPartitionsPerTopic) {
    return Error{ErrorCode::kInvalidPartitions,
                 fmt::format("topic {}: at most {} partitions per topic, not {}", name,
                             kMaxPartitionsPerTopic, partition_count)};
  }
  auto retention = RetentionPolicy::from_configs(configs, RetentionPolicy::defaults_of(context_));
  if (!retention) return retention.error();

  std::unique_lock lock(mutex_);
  if (topics_by_name_.contains(name)) {
    return Error{ErrorCode::kTopicAlreadyExists, fmt::format("topic {} already exists", name)};
  }
  TopicId topic_id = id && !id->is_zero() ? *id : TopicId::random();
  while (topics_by_id_.contains(topic_id)) {
    if (id && !id->is_zero()) {
      return Error{ErrorCode::kTopicAlreadyExists,
                   fmt::format("topic id {} is already in use", topic_id.to_hex())};
    }
    topic_id = TopicId::random();
  }
  auto topic = std::make_shared<Topic>(context_, name, topic_id, std::move(configs), *retention,
                                       partition_count);
  topics_by_name_.emplace(std::move(name), topic);
  topics_by_id_.emplace(topic_id, topic);
  return topic;
}

Status LogStore::delete_topic(std::string_view name) {
  DeferredCallbacks deferred;
  {
    std::unique_lock lock(mutex_);
    auto it = topics_by_name_.find(name);
    if (it == topics_by_name_.end()) {
      return Error{ErrorCode::kUnknownTopic, fmt::format("unknown topic {}", name)};
    }
    std::shared_ptr<Topic> topic = it->second;
    topics_by_name_.erase(it);
    topics_by_id_.erase(topic->id());
    topic->mark_deleted(deferred);
  }
  run_deferred(deferred);
  return Status::Ok();
}

Status LogStore::add_partitions(std::string_view name, int32_t new_total) {
  std::shared_ptr<Topic> topic = find(name);
  if (!topic) return Error{ErrorCode::kUnknownTopic, fmt::format("unknown topic {}", name)};
  return topic->add_partitions(new_total);
}

std::shared_ptr<Topic> LogStore::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto it = topics_by_name_.find(name);
  return it == topics_by_name_.end() ? nullptr : it->second;
}

std::shared_ptr<Topic> LogStore::find(const TopicId& id) const {
  std::shared_lock lock(mutex_);
  auto it = topics_by_id_.find(id);
  return it == topics_by_id_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Topic>> LogStore::list() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<Topic>> topics;
  topics.reserve(topics_by_name_.size());
  for (const auto& [name, topic] : topics_by_name_) topics.push_back(topic);
  return topics;
}

uint64_t LogStore::enforce_retention(int64_t now_ms) {
  uint64_t released = 0;
  for (const auto& topic : list()) {
    for (const auto& partition : topic->partitions()) {
      released += partition->enforce_retention(now_ms);
    }
  }
  return released;
}

LogStats LogStore::stats() const {
  LogStats stats;
  for (const auto& topic : list()) {
    ++stats.topic_count;
    for (const auto& partition : topic->partitions()) {
      const PartitionStats partition_stats = partition->stats();
      ++stats.partition_count;
      stats.batch_count += partition_stats.batch_count;
      stats.size_bytes += partition_stats.size_bytes;
    }
  }
  return stats;
}

std::vector<TopicImage> LogStore::capture() const {
  std::vector<TopicImage> images;
  for (const auto& topic : list()) images.push_back(topic->capture());
  return images;
}

void LogStore::restore(const std::vector<TopicImage>& images, DeferredCallbacks& deferred) {
  std::unique_lock lock(mutex_);
  std::map<std::string, std::shared_ptr<Topic>, std::less<>> restored_by_name;
  std::unordered_map<TopicId, std::shared_ptr<Topic>, TopicIdHash> restored_by_id;
  for (const TopicImage& image : images) {
    std::shared_ptr<Topic> topic;
    // Topics that survive keep their object (brokers may hold pointers to it).
    if (auto it = topics_by_id_.find(image.id);
        it != topics_by_id_.end() && it->second->name() == image.name) {
      topic = it->second;
      topics_by_id_.erase(it);
      topics_by_name_.erase(image.name);
    } else {
      auto retention =
          RetentionPolicy::from_configs(image.configs, RetentionPolicy::defaults_of(context_));
      topic = std::make_shared<Topic>(context_, image.name, image.id, image.configs,
                                      retention ? *retention : RetentionPolicy{}, 0);
    }
    topic->restore(image, deferred);
    restored_by_name.emplace(image.name, topic);
    restored_by_id.emplace(image.id, topic);
  }
  for (auto& [name, topic] : topics_by_name_) topic->mark_deleted(deferred);
  topics_by_name_ = std::move(restored_by_name);
  topics_by_id_ = std::move(restored_by_id);
}

}  // namespace mockforge::storage
