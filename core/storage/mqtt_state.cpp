#include "core/storage/mqtt_state.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/small_pool.h"

namespace mockforge::storage {

// ---------------------------------------------------------------- RetainedStore

RetainedStore::RetainedStore(StorageContext& context) : context_(context) {}

Status RetainedStore::set(std::string topic, RetainedMessage message) {
  if (byte_size(message.payload) == 0) {
    clear(topic);
    return Status::Ok();
  }
  const uint64_t new_size = message.stored_size();
  std::lock_guard lock(mutex_);
  auto it = messages_.find(topic);
  const uint64_t old_size = it == messages_.end() ? 0 : it->second.stored_size();
  if (new_size > old_size &&
      !context_.budget.try_reserve(MemoryCategory::kRetained, new_size - old_size)) {
    return storage_full_error(MemoryCategory::kRetained, new_size - old_size, context_.budget);
  }
  if (new_size < old_size) context_.budget.release(MemoryCategory::kRetained, old_size - new_size);
  stored_bytes_ = stored_bytes_ - old_size + new_size;
  ++version_;
  if (it == messages_.end()) {
    messages_.emplace(std::move(topic), std::move(message));
  } else {
    it->second = std::move(message);
  }
  return Status::Ok();
}

bool RetainedStore::clear(std::string_view topic) {
  std::lock_guard lock(mutex_);
  auto it = messages_.find(topic);
  if (it == messages_.end()) return false;
  const uint64_t size = it->second.stored_size();
  context_.budget.release(MemoryCategory::kRetained, size);
  stored_bytes_ -= size;
  messages_.erase(it);
  ++version_;
  return true;
}

std::optional<RetainedMessage> RetainedStore::get(std::string_view topic, TimePoint now) const {
  std::lock_guard lock(mutex_);
  auto it = messages_.find(topic);
  if (it == messages_.end() || it->second.expired(now)) return std::nullopt;
  return it->second;
}

std::vector<RetainedEntry> RetainedStore::collect(
    const std::function<bool(std::string_view topic)>& matches, TimePoint now) const {
  std::vector<RetainedEntry> entries;
  {
    std::lock_guard lock(mutex_);
    entries = entries_locked();
  }
  std::erase_if(entries, [&](const RetainedEntry& entry) {
    return entry.message.expired(now) || !matches(entry.topic);
  });
  return entries;
}

std::size_t RetainedStore::remove_expired(TimePoint now) {
  std::lock_guard lock(mutex_);
  const std::size_t removed = std::erase_if(messages_, [&](const auto& item) {
    if (!item.second.expired(now)) return false;
    context_.budget.release(MemoryCategory::kRetained, item.second.stored_size());
    stored_bytes_ -= item.second.stored_size();
    return true;
  });
  if (removed > 0) ++version_;
  return removed;
}

std::size_t RetainedStore::size() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

uint64_t RetainedStore::stored_bytes() const {
  std::lock_guard lock(mutex_);
  return stored_bytes_;
}

std::vector<RetainedEntry> RetainedStore::entries_locked() const {
  std::vector<RetainedEntry> entries;
  entries.reserve(messages_.size());
  for (const auto& [topic, message] : messages_) entries.push_back(RetainedEntry{topic, message});
  return entries;
}

RetainedImage RetainedStore::capture() const {
  std::lock_guard lock(mutex_);
  return RetainedImage{entries_locked(), ImageSource{instance_id_, version_}};
}

void RetainedStore::restore(const RetainedImage& image) {
  {
    std::lock_guard lock(mutex_);
    if (image.source.is(instance_id_, version_)) return;
  }
  std::map<std::string, RetainedMessage, std::less<>> restored;
  uint64_t restored_bytes = 0;
  for (const RetainedEntry& entry : image.entries) {
    restored_bytes += entry.message.stored_size();
    restored.insert_or_assign(entry.topic, entry.message);
  }
  {
    std::lock_guard lock(mutex_);
    context_.budget.release(MemoryCategory::kRetained, stored_bytes_);
    context_.budget.force_reserve(MemoryCategory::kRetained, restored_bytes);
    messages_.swap(restored);
    stored_bytes_ = restored_bytes;
    version_ = image.source.instance == instance_id_ ? image.source.version : version_ + 1;
  }
  // The replaced map is freed here, outside the lock.
}

// ---------------------------------------------------------------- Session

Session::Session(StorageContext& context, std::string client_id, std::size_t offline_cap,
                 OfflineOverflow overflow)
    : context_(context), client_id_(client_id), offline_cap_(offline_cap), overflow_(overflow) {}

Session::Data& Session::data_locked() {
  if (!data_) data_ = std::make_unique<Data>();
  return *data_;
}

bool Session::subscribe(std::string filter, SubscriptionOptions options) {
  std::lock_guard lock(mutex_);
  ++version_;
  return data_locked().subscriptions.insert_or_assign(std::move(filter), options).second;
}

bool Session::unsubscribe(std::string_view filter) {
  std::lock_guard lock(mutex_);
  ++version_;
  if (!data_) return false;
  auto it = data_->subscriptions.find(filter);
  if (it == data_->subscriptions.end()) return false;
  data_->subscriptions.erase(it);
  return true;
}

SubscriptionMap Session::subscriptions() const {
  std::lock_guard lock(mutex_);
  return data_ ? data_->subscriptions : SubscriptionMap{};
}

Result<bool> Session::enqueue_offline(OfflineMessage message) {
  std::lock_guard lock(mutex_);
  if (deleted_) {
    return Error{ErrorCode::kDeleted, fmt::format("session '{}' has been removed", client_id())};
  }
  Data& data = data_locked();
  auto& offline = data.offline;
  const bool full = offline.size() >= offline_cap_;
  if (full && (overflow_ == OfflineOverflow::kDropNewest || offline.empty())) {
    ++data.dropped_count;
    ++version_;
    return false;
  }
  const uint64_t size = message.stored_size();
  if (!context_.budget.try_reserve(MemoryCategory::kSessions, size)) {
    return storage_full_error(MemoryCategory::kSessions, size, context_.budget);
  }
  while (!offline.empty() && offline.size() >= offline_cap_) {
    ++data.dropped_count;
    const uint64_t dropped_size = offline.front().stored_size();
    context_.budget.release(MemoryCategory::kSessions, dropped_size);
    data.offline_bytes -= dropped_size;
    offline.pop_front();
  }
  data.offline_bytes += size;
  offline.push_back(std::move(message));
  ++version_;
  return true;
}

std::vector<OfflineMessage> Session::take_offline() {
  std::lock_guard lock(mutex_);
  ++version_;
  if (!data_) return {};
  std::vector<OfflineMessage> messages(std::make_move_iterator(data_->offline.begin()),
                                       std::make_move_iterator(data_->offline.end()));
  release_offline_locked();
  return messages;
}

std::size_t Session::offline_count() const {
  std::lock_guard lock(mutex_);
  return data_ ? data_->offline.size() : 0;
}

uint64_t Session::dropped_count() const {
  std::lock_guard lock(mutex_);
  return data_ ? data_->dropped_count : 0;
}

void Session::set_offline_cap(std::size_t cap) {
  std::lock_guard lock(mutex_);
  ++version_;
  offline_cap_ = cap;
}

std::size_t Session::offline_cap() const {
  std::lock_guard lock(mutex_);
  return offline_cap_;
}

void Session::set_expiry_interval(uint32_t seconds) {
  std::lock_guard lock(mutex_);
  ++version_;
  expiry_interval_seconds_ = seconds;
}

uint32_t Session::expiry_interval() const {
  std::lock_guard lock(mutex_);
  return expiry_interval_seconds_;
}

void Session::mark_disconnected(TimePoint when) {
  std::lock_guard lock(mutex_);
  ++version_;
  data_locked().disconnected_at = when;
  disconnected_ = true;
}

void Session::mark_connected() {
  std::lock_guard lock(mutex_);
  ++version_;
  disconnected_ = false;
}

std::optional<TimePoint> Session::disconnected_at() const {
  std::lock_guard lock(mutex_);
  if (!disconnected_) return std::nullopt;
  return data_->disconnected_at;
}

bool Session::expired(TimePoint now) const {
  std::lock_guard lock(mutex_);
  if (!disconnected_ || expiry_interval_seconds_ == kSessionNeverExpires) return false;
  return now >= data_->disconnected_at + std::chrono::seconds(expiry_interval_seconds_);
}

void Session::set_broker_state(Bytes state) {
  std::lock_guard lock(mutex_);
  ++version_;
  if (!state && !data_) return;
  data_locked().broker_state = std::move(state);
}

Bytes Session::broker_state() const {
  std::lock_guard lock(mutex_);
  return data_ ? data_->broker_state : Bytes{};
}

bool Session::deleted() const {
  std::lock_guard lock(mutex_);
  return deleted_;
}

void Session::release_offline_locked() {
  if (!data_) return;
  context_.budget.release(MemoryCategory::kSessions, data_->offline_bytes);
  data_->offline_bytes = 0;
  data_->offline.clear();
}

SessionImage Session::capture() const {
  std::lock_guard lock(mutex_);
  SessionImage image;
  image.client_id = std::string(client_id());
  if (data_) {
    image.subscriptions = data_->subscriptions;
    image.offline = data_->offline;
    image.dropped_count = data_->dropped_count;
    image.broker_state = data_->broker_state;
  }
  image.offline_cap = offline_cap_;
  image.expiry_interval_seconds = expiry_interval_seconds_;
  if (disconnected_) image.disconnected_at = data_->disconnected_at;
  image.source = ImageSource{instance_id_, version_};
  return image;
}

void Session::restore(const SessionImage& image) {
  uint64_t image_bytes = 0;
  for (const OfflineMessage& message : image.offline) image_bytes += message.stored_size();
  std::lock_guard lock(mutex_);
  if (!deleted_ && image.source.is(instance_id_, version_)) return;
  release_offline_locked();
  context_.budget.force_reserve(MemoryCategory::kSessions, image_bytes);
  if (image.subscriptions.empty() && image.offline.empty() && image.dropped_count == 0 &&
      !image.broker_state && !image.disconnected_at) {
    data_.reset();
  } else {
    Data& data = data_locked();
    data.subscriptions = image.subscriptions;
    data.offline = image.offline;
    data.offline_bytes = image_bytes;
    data.dropped_count = image.dropped_count;
    data.broker_state = image.broker_state;
    data.disconnected_at = image.disconnected_at.value_or(TimePoint{});
  }
  offline_cap_ = image.offline_cap;
  expiry_interval_seconds_ = image.expiry_interval_seconds;
  disconnected_ = image.disconnected_at.has_value();
  deleted_ = false;
  version_ = image.source.instance == instance_id_ ? image.source.version : version_ + 1;
}

void Session::mark_deleted() {
  std::lock_guard lock(mutex_);
  ++version_;
  release_offline_locked();
  if (data_) data_->subscriptions.clear();
  deleted_ = true;
}

// ---------------------------------------------------------------- SessionStore

SessionStore::SessionStore(StorageContext& context, std::size_t default_offline_cap,
                           OfflineOverflow overflow)
    : context_(context), default_offline_cap_(default_offline_cap), overflow_(overflow) {}

SessionStore::OpenResult SessionStore::open(std::string client_id) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(std::string_view(client_id)); it != sessions_.end()) {
    return {*it, false};
  }
  auto session =
      std::allocate_shared<Session>(SmallPoolAllocator<Session>(), context_, std::move(client_id),
                                    default_offline_cap_, overflow_);
  sessions_.insert(session);
  return {session, true};
}

std::shared_ptr<Session> SessionStore::find(std::string_view client_id) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : *it;
}

bool SessionStore::remove(std::string_view client_id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(client_id);
  if (it == sessions_.end()) return false;
  (*it)->mark_deleted();
  sessions_.erase(it);
  return true;
}

std::vector<std::string> SessionStore::client_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(sessions_.size());
  for (const auto& session : sessions_) ids.emplace_back(session->client_id());
  std::sort(ids.begin(), ids.end());  // the table has no order of its own
  return ids;
}

std::size_t SessionStore::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::vector<std::string> SessionStore::remove_expired(TimePoint now) {
  std::vector<std::string> expired;
  std::shared_ptr<ExpiryHook> hook;
  {
    std::lock_guard lock(mutex_);
    for (const auto& session : sessions_) {
      if (session->expired(now)) expired.emplace_back(session->client_id());
    }
    std::sort(expired.begin(), expired.end());
    for (const std::string& client_id : expired) {
      auto it = sessions_.find(std::string_view(client_id));
      (*it)->mark_deleted();
      sessions_.erase(it);
    }
    hook = expiry_hook_;
  }
  if (hook) {
    for (const std::string& client_id : expired) (*hook)(client_id);
  }
  return expired;
}

void SessionStore::set_expiry_hook(ExpiryHook hook) {
  std::lock_guard lock(mutex_);
  expiry_hook_ = hook ? std::make_shared<ExpiryHook>(std::move(hook)) : nullptr;
}

SessionStoreStats SessionStore::stats() const {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard lock(mutex_);
    sessions.assign(sessions_.begin(), sessions_.end());
  }
  SessionStoreStats stats;
  stats.session_count = sessions.size();
  for (const auto& session : sessions) {
    stats.offline_messages += session->offline_count();
    stats.dropped_messages += session->dropped_count();
  }
  return stats;
}

std::vector<SessionImage> SessionStore::capture() const {
  std::lock_guard lock(mutex_);
  std::vector<SessionImage> images;
  images.reserve(sessions_.size());
  for (const auto& session : sessions_) images.push_back(session->capture());
  // In client id order, as snapshots always were.
  std::sort(images.begin(), images.end(),
            [](const SessionImage& a, const SessionImage& b) { return a.client_id < b.client_id; });
  return images;
}

void SessionStore::restore(const std::vector<SessionImage>& images) {
  std::lock_guard lock(mutex_);
  Sessions restored;
  for (const SessionImage& image : images) {
    std::shared_ptr<Session> session;
    if (auto it = sessions_.find(std::string_view(image.client_id)); it != sessions_.end()) {
      session = *it;
      sessions_.erase(it);
    } else {
      session = std::allocate_shared<Session>(SmallPoolAllocator<Session>(), context_,
                                              image.client_id, image.offline_cap, overflow_);
    }
    session->restore(image);
    restored.insert(std::move(session));
  }
  for (const auto& session : sessions_) session->mark_deleted();
  sessions_ = std::move(restored);
}

}  // namespace mockforge::storage
