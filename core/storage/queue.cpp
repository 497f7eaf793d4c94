#include "core/storage/queue.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace mockforge::storage {
namespace {

bool id_less(const QueuedMessage& entry, MessageId id) { return entry.id < id; }

}  // namespace

Queue::Queue(StorageContext& context, std::string vhost, std::string name, QueueOptions options)
    : context_(context),
      vhost_(std::move(vhost)),
      name_(std::move(name)),
      options_(std::move(options)),
      levels_(static_cast<std::size_t>(options_.max_priority) + 1) {}

// Listeners to call once the lock is released: a push with a consumer or two
// waiting allocates nothing for them.
class Queue::ListenerBatch {
 public:
  void add(const std::shared_ptr<std::function<void()>>& listener) {
    if (count_ < inline_.size()) {
      inline_[count_++] = listener;
    } else {
      more_.push_back(listener);
    }
  }
  void run() {
    for (std::size_t i = 0; i < count_; ++i) (*inline_[i])();
    for (const auto& listener : more_) (*listener)();
  }

 private:
  std::array<std::shared_ptr<std::function<void()>>, 4> inline_;
  std::size_t count_ = 0;
  std::vector<std::shared_ptr<std::function<void()>>> more_;
};

Result<PushResult> Queue::push(Message message) {
  ListenerBatch deferred;
  PushResult result;
  {
    std::lock_guard lock(mutex_);
    if (deleted_) {
      return Error{ErrorCode::kDeleted,
                   fmt::format("queue '{}' in vhost '{}' has been deleted", name_, vhost_)};
    }
    const uint64_t body_size = message.body_size();
    if (options_.overflow == OverflowMode::kRejectPublish) {
      const bool over_length = options_.max_length && ready_count_ >= *options_.max_length;
      const bool over_bytes =
          options_.max_length_bytes && ready_body_bytes_ + body_size > *options_.max_length_bytes;
      if (over_length || over_bytes) {
        result.status = PushStatus::kRejected;
        return result;
      }
    }
    const uint64_t stored_size = message.stored_size();
    if (!context_.budget.try_reserve(MemoryCategory::kQueues, stored_size)) {
      return storage_full_error(MemoryCategory::kQueues, stored_size, context_.budget);
    }
    stored_bytes_ += stored_size;

    std::optional<std::chrono::milliseconds> ttl = message.ttl;
    if (options_.message_ttl && (!ttl || *options_.message_ttl < *ttl)) ttl = options_.message_ttl;
    if (ttl) {
      const TimePoint expiry = context_.now() + std::max(*ttl, std::chrono::milliseconds(0));
      if (!message.expires_at || expiry < *message.expires_at) message.expires_at = expiry;
    }
    message.priority = std::min(message.priority, options_.max_priority);

    result.id = next_id_++;
    result.expires_at = message.expires_at;
    levels_[message.priority].push_back(QueuedMessage{result.id, std::move(message)});
    ++version_;
    ++ready_count_;
    ready_body_bytes_ += body_size;

    if (options_.overflow == OverflowMode::kDropHead) {
      while ((options_.max_length && ready_count_ > *options_.max_length) ||
             (options_.max_length_bytes && ready_body_bytes_ > *options_.max_length_bytes)) {
        std::deque<QueuedMessage>* head = head_level_locked();
        if (head == nullptr) break;
        Message dropped = take_head_locked(*head);
        context_.budget.release(MemoryCategory::kQueues, dropped.stored_size());
        stored_bytes_ -= dropped.stored_size();
        result.dropped.push_back(std::move(dropped));
      }
      if (!result.dropped.empty()) result.status = PushStatus::kDroppedHead;
    }
    if (ready_count_ > 0) collect_listeners_locked(deferred);
  }
  deferred.run();
  return result;
}

PopResult Queue::pop(TimePoint now) {
  PopResult result;
  std::lock_guard lock(mutex_);
  expire_heads_locked(now, result.expired);
  std::deque<QueuedMessage>* head = head_level_locked();
  if (head == nullptr) return result;
  const MessageId id = head->front().id;
  Message message = take_head_locked(*head);
  ++message.delivery_count;
  auto [it, inserted] = unacked_.emplace(id, std::move(message));
  ++version_;
  result.delivery = QueuedMessage{id, it->second};
  // As RabbitMQ's fetch: heads that have expired behind the one taken go too, so
  // that the remaining count (basic.get-ok message_count) leaves them out.
  expire_heads_locked(now, result.expired);
  return result;
}

bool Queue::ack(MessageId id) {
  std::lock_guard lock(mutex_);
  auto it = unacked_.find(id);
  if (it == unacked_.end()) return false;
  const uint64_t size = it->second.stored_size();
  context_.budget.release(MemoryCategory::kQueues, size);
  stored_bytes_ -= size;
  unacked_.erase(it);
  ++version_;
  return true;
}

bool Queue::requeue(MessageId id) {
  return requeue(id, RequeuePlace::kOriginal, std::nullopt).found;
}

RequeueResult Queue::requeue(MessageId id, RequeuePlace place,
                             std::optional<uint32_t> max_deliveries) {
  RequeueResult result;
  ListenerBatch deferred;
  {
    std::lock_guard lock(mutex_);
    auto it = unacked_.find(id);
    if (it == unacked_.end()) return result;
    result.found = true;
    if (max_deliveries && it->second.delivery_count > *max_deliveries) {
      result.over_limit = take_unacked_locked(it);
      return result;
    }
    QueuedMessage entry{place == RequeuePlace::kBack ? next_id_++ : id, std::move(it->second)};
    unacked_.erase(it);
    entry.message.redelivered = true;
    insert_ready_locked(std::move(entry));
    collect_listeners_locked(deferred);
  }
  deferred.run();
  return result;
}

std::optional<Message> Queue::remove(MessageId id) {
  std::lock_guard lock(mutex_);
  auto it = unacked_.find(id);
  if (it == unacked_.end()) return std::nullopt;
  return take_unacked_locked(it);
}

Message Queue::take_unacked_locked(std::unordered_map<MessageId, Message>::iterator it) {
  Message message = std::move(it->second);
  unacked_.erase(it);
  ++version_;
  context_.budget.release(MemoryCategory::kQueues, message.stored_size());
  stored_bytes_ -= message.stored_size();
  return message;
}

uint64_t Queue::purge() {
  std::lock_guard lock(mutex_);
  const uint64_t purged = ready_count_;
  ++version_;
  for (auto& level : levels_) {
    for (const QueuedMessage& entry : level) {
      context_.budget.release(MemoryCategory::kQueues, entry.message.stored_size());
      stored_bytes_ -= entry.message.stored_size();
    }
    level.clear();
  }
  ready_count_ = 0;
  ready_body_bytes_ = 0;
  return purged;
}

std::vector<Message> Queue::expire(TimePoint now) {
  std::vector<Message> expired;
  std::lock_guard lock(mutex_);
  expire_heads_locked(now, expired);
  return expired;
}

std::optional<TimePoint> Queue::next_expiry() const {
  std::lock_guard lock(mutex_);
  std::optional<TimePoint> earliest;
  for (const auto& level : levels_) {
    if (level.empty() || !level.front().message.expires_at) continue;
    if (!earliest || *level.front().message.expires_at < *earliest) {
      earliest = level.front().message.expires_at;
    }
  }
  return earliest;
}

ListenerToken Queue::add_available_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  const ListenerToken token = next_listener_token_++;
  listeners_.emplace(token, std::make_shared<std::function<void()>>(std::move(listener)));
  return token;
}

bool Queue::remove_available_listener(ListenerToken token) {
  std::lock_guard lock(mutex_);
  return listeners_.erase(token) > 0;
}

QueueOptions Queue::options() const {
  std::lock_guard lock(mutex_);
  return options_;
}

uint64_t Queue::ready_count() const {
  std::lock_guard lock(mutex_);
  return ready_count_;
}

uint64_t Queue::unacked_count() const {
  std::lock_guard lock(mutex_);
  return unacked_.size();
}

QueueStats Queue::stats() const {
  std::lock_guard lock(mutex_);
  return QueueStats{ready_count_, unacked_.size(), ready_body_bytes_, stored_bytes_};
}

bool Queue::deleted() const {
  std::lock_guard lock(mutex_);
  return deleted_;
}

std::vector<Message> Queue::peek(std::size_t limit) const {
  std::vector<Message> out;
  std::lock_guard lock(mutex_);
  for (auto level = levels_.rbegin(); level != levels_.rend() && out.size() < limit; ++level) {
    for (const auto& entry : *level) {
      if (out.size() >= limit) break;
      out.push_back(entry.message);
    }
  }
  return out;
}

std::deque<QueuedMessage>* Queue::head_level_locked() {
  for (auto level = levels_.rbegin(); level != levels_.rend(); ++level) {
    if (!level->empty()) return &*level;
  }
  return nullptr;
}

void Queue::insert_ready_locked(QueuedMessage entry) {
  auto& level = levels_[std::min(entry.message.priority, options_.max_priority)];
  const uint64_t body_size = entry.message.body_size();
  auto position = std::lower_bound(level.begin(), level.end(), entry.id, id_less);
  level.insert(position, std::move(entry));
  ++version_;
  ++ready_count_;
  ready_body_bytes_ += body_size;
}

Message Queue::take_head_locked(std::deque<QueuedMessage>& level) {
  Message message = std::move(level.front().message);
  level.pop_front();
  ++version_;
  --ready_count_;
  ready_body_bytes_ -= message.body_size();
  return message;
}

void Queue::expire_heads_locked(TimePoint now, std::vector<Message>& expired) {
  for (auto& level : levels_) {
    while (!level.empty() && level.front().message.expires_at &&
           *level.front().message.expires_at <= now) {
      Message message = take_head_locked(level);
      context_.budget.release(MemoryCategory::kQueues, message.stored_size());
      stored_bytes_ -= message.stored_size();
      expired.push_back(std::move(message));
    }
  }
}

void Queue::collect_listeners_locked(ListenerBatch& batch) {
  for (const auto& [token, listener] : listeners_) batch.add(listener);
}

void Queue::collect_listeners_locked(DeferredCallbacks& deferred) {
  for (const auto& [token, listener] : listeners_) {
    deferred.push_back([listener = listener] { (*listener)(); });
  }
}

void Queue::release_all_locked() {
  context_.budget.release(MemoryCategory::kQueues, stored_bytes_);
  for (auto& level : levels_) level.clear();
  unacked_.clear();
  ready_count_ = 0;
  ready_body_bytes_ = 0;
  stored_bytes_ = 0;
  ++version_;
}

QueueImage Queue::capture() const {
  std::lock_guard lock(mutex_);
  QueueImage image{vhost_, name_, options_, next_id_, levels_, {}};
  // With unacked messages folded back in, the image differs from the live queue.
  if (unacked_.empty()) image.source = ImageSource{instance_id_, version_};
  for (const auto& [id, message] : unacked_) {
    QueuedMessage entry{id, message};
    entry.message.redelivered = true;
    auto& level = image.levels[std::min(message.priority, options_.max_priority)];
    level.insert(std::lower_bound(level.begin(), level.end(), id, id_less), std::move(entry));
  }
  return image;
}

void Queue::restore(const QueueImage& image, DeferredCallbacks& deferred) {
  {
    std::lock_guard lock(mutex_);
    if (!deleted_ && image.source.is(instance_id_, version_)) {
      // Unchanged since the image was taken: nothing to copy.
      if (ready_count_ > 0) collect_listeners_locked(deferred);
      return;
    }
  }
  std::lock_guard lock(mutex_);
  context_.budget.release(MemoryCategory::kQueues, stored_bytes_);
  unacked_.clear();
  options_ = image.options;
  // Assigning level by level reuses the deques' blocks: much cheaper than
  // building new deques and freeing the old ones.
  levels_.resize(static_cast<std::size_t>(options_.max_priority) + 1);
  for (std::size_t priority = 0; priority < levels_.size(); ++priority) {
    if (priority < image.levels.size()) {
      levels_[priority] = image.levels[priority];
    } else {
      levels_[priority].clear();
    }
  }
  ready_count_ = 0;
  ready_body_bytes_ = 0;
  stored_bytes_ = 0;
  for (const auto& level : levels_) {
    for (const QueuedMessage& entry : level) {
      ++ready_count_;
      ready_body_bytes_ += entry.message.body_size();
      stored_bytes_ += entry.message.stored_size();
    }
  }
  context_.budget.force_reserve(MemoryCategory::kQueues, stored_bytes_);
  // Ids never go backwards, so a late ack from before the reset cannot hit a
  // message restored under the same id.
  next_id_ = std::max(next_id_, image.next_id);
  deleted_ = false;
  version_ = image.source.instance == instance_id_ ? image.source.version : version_ + 1;
  if (ready_count_ > 0) collect_listeners_locked(deferred);
}

uint64_t Queue::mark_deleted() {
  std::lock_guard lock(mutex_);
  const uint64_t count = ready_count_ + unacked_.size();
  release_all_locked();
  deleted_ = true;
  return count;
}

// ---------------------------------------------------------------- QueueRegistry

QueueRegistry::QueueRegistry(StorageContext& context) : context_(context) {}

QueueRegistry::DeclareResult QueueRegistry::declare(std::string vhost, std::string name,
                                                    QueueOptions options) {
  std::unique_lock lock(mutex_);
  Key key{std::move(vhost), std::move(name)};
  if (auto it = queues_.find(key); it != queues_.end()) return {it->second, false};
  auto queue = std::make_shared<Queue>(context_, key.first, key.second, std::move(options));
  queues_.emplace(std::move(key), queue);
  return {queue, true};
}

std::shared_ptr<Queue> QueueRegistry::find(std::string_view vhost, std::string_view name) const {
  std::shared_lock lock(mutex_);
  auto it = queues_.find(Key{vhost, name});
  return it == queues_.end() ? nullptr : it->second;
}

std::optional<uint64_t> QueueRegistry::remove(std::string_view vhost, std::string_view name) {
  std::unique_lock lock(mutex_);
  auto it = queues_.find(Key{vhost, name});
  if (it == queues_.end()) return std::nullopt;
  const uint64_t count = it->second->mark_deleted();
  queues_.erase(it);
  return count;
}

std::vector<std::shared_ptr<Queue>> QueueRegistry::list() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<Queue>> queues;
  queues.reserve(queues_.size());
  for (const auto& [key, queue] : queues_) queues.push_back(queue);
  return queues;
}

std::vector<std::shared_ptr<Queue>> QueueRegistry::list(std::string_view vhost) const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<Queue>> queues;
  for (auto it = queues_.lower_bound(Key{vhost, ""});
       it != queues_.end() && it->first.first == vhost; ++it) {
    queues.push_back(it->second);
  }
  return queues;
}

QueueRegistryStats QueueRegistry::stats() const {
  QueueRegistryStats stats;
  for (const auto& queue : list()) {
    const QueueStats queue_stats = queue->stats();
    ++stats.queue_count;
    stats.ready_count += queue_stats.ready_count;
    stats.unacked_count += queue_stats.unacked_count;
    stats.stored_bytes += queue_stats.stored_bytes;
  }
  return stats;
}

std::vector<QueueImage> QueueRegistry::capture() const {
  std::vector<QueueImage> images;
  for (const auto& queue : list()) images.push_back(queue->capture());
  return images;
}

void QueueRegistry::restore(const std::vector<QueueImage>& images, DeferredCallbacks& deferred) {
  std::unique_lock lock(mutex_);
  std::map<Key, std::shared_ptr<Queue>> restored;
  for (const QueueImage& image : images) {
    Key key{image.vhost, image.name};
    std::shared_ptr<Queue> queue;
    if (auto it = queues_.find(key); it != queues_.end()) {
      queue = it->second;
      queues_.erase(it);
    } else {
      queue = std::make_shared<Queue>(context_, image.vhost, image.name, image.options);
    }
    queue->restore(image, deferred);
    restored.emplace(std::move(key), std::move(queue));
  }
  for (auto& [key, queue] : queues_) queue->mark_deleted();
  queues_ = std::move(restored);
}

}  // namespace mockforge::storage
