#include "watch/history.h"

#include <algorithm>

namespace mockforge::watch {

History::History(traffic::Hub& hub, HistoryLimits limits) : hub_(hub), limits_(limits) {
  if (!enabled()) return;
  observer_ = hub_.observe_batches(
      [this](const std::shared_ptr<const traffic::AcceptedBatch>& batch) { record(batch); });
}

History::~History() {
  if (enabled()) hub_.unobserve(observer_);
}

void History::record(const std::shared_ptr<const traffic::AcceptedBatch>& batch) {
  const std::size_t size = batch->size();
  if (size == 0) return;
  uint64_t first_seq = 0;
  std::size_t skip = 0;
  {
    std::lock_guard lock(mutex_);
    first_seq = next_seq_;
    next_seq_ += size;
    chunks_.push_back(Chunk{first_seq, batch, 0});
    count_ += size;
    bytes_ += batch->bytes();
    // Whole batches go while the bytes are over, then messages while the count is.
    while (!chunks_.empty() && bytes_ > limits_.max_payload_bytes) {
      const Chunk& front = chunks_.front();
      count_ -= front.batch->size() - front.skip;
      dropped_ += front.batch->size() - front.skip;
      bytes_ -= front.batch->bytes();
      kept_after_ = front.last_seq();
      chunks_.pop_front();
    }
    while (count_ > limits_.max_messages) {
      Chunk& front = chunks_.front();
      const std::size_t kept = front.batch->size() - front.skip;
      const std::size_t excess = count_ - limits_.max_messages;
      if (excess < kept) {
        front.skip += excess;
        count_ -= excess;
        dropped_ += excess;
        kept_after_ = front.first_seq + front.skip - 1;
        break;
      }
      count_ -= kept;
      dropped_ += kept;
      bytes_ -= front.batch->bytes();
      kept_after_ = front.last_seq();
      chunks_.pop_front();
    }
    if (chunks_.empty() || chunks_.back().batch != batch) return;
    skip = chunks_.back().skip;
    std::lock_guard listeners_lock(listeners_mutex_);
    if (listeners_.empty()) return;
  }
  std::vector<std::shared_ptr<const Listener>> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    for (const auto& [token, listener] : listeners_) listeners.push_back(listener);
  }
  auto messages = batch->messages();
  for (std::size_t i = skip; i < messages.size(); ++i) {
    const Recorded recorded{first_seq + i, std::move(messages[i])};
    for (const auto& listener : listeners) (*listener)(recorded);
  }
}

std::vector<Recorded> History::since(
    uint64_t after, std::size_t limit,
    const std::function<bool(const traffic::Message&)>& keep) const {
  // The chunks with messages after `after`, taken under the lock and decoded
  // outside it.
  std::vector<Chunk> chunks;
  {
    std::lock_guard lock(mutex_);
    auto it = std::partition_point(chunks_.begin(), chunks_.end(), [after](const Chunk& chunk) {
      return chunk.last_seq() <= after;
    });
    chunks.assign(it, chunks_.end());
  }
  std::vector<Recorded> out;
  for (const auto& chunk : chunks) {
    if (out.size() >= limit) break;
    auto messages = chunk.batch->messages();
    std::size_t i = chunk.skip;
    if (after >= chunk.first_seq) i = std::max<std::size_t>(i, after - chunk.first_seq + 1);
    for (; i < messages.size() && out.size() < limit; ++i) {
      if (!keep || keep(messages[i]))
        out.push_back(Recorded{chunk.first_seq + i, std::move(messages[i])});
    }
  }
  return out;
}

uint64_t History::last_seq() const {
  std::lock_guard lock(mutex_);
  return next_seq_ - 1;
}

uint64_t History::first_kept_after() const {
  std::lock_guard lock(mutex_);
  return kept_after_;
}

std::size_t History::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

uint64_t History::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void History::reset() {
  std::lock_guard lock(mutex_);
  chunks_.clear();
  count_ = 0;
  bytes_ = 0;
  kept_after_ = next_seq_ - 1;
}

uint64_t History::listen(Listener listener) {
  std::lock_guard lock(listeners_mutex_);
  const auto token = next_listener_++;
  listeners_[token] = std::make_shared<const Listener>(std::move(listener));
  return token;
}

void History::unlisten(uint64_t token) {
  std::lock_guard lock(listeners_mutex_);
  listeners_.erase(token);
}

}  // namespace mockforge::watch
