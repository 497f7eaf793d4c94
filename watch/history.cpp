#include "watch/history.h"

namespace mockforge::watch {

History::History(traffic::Hub& hub, HistoryLimits limits) : hub_(hub), limits_(limits) {
  if (!enabled()) return;
  observer_ = hub_.observe([this](const traffic::Message& message) { record(message); });
}

History::~History() {
  if (enabled()) hub_.unobserve(observer_);
}

void History::record(const traffic::Message& message) {
  Recorded copy;
  {
    std::lock_guard lock(mutex_);
    entries_.push_back(Recorded{next_seq_++, message});
    payload_bytes_ += message.payload.size();
    while (!entries_.empty() &&
           (entries_.size() > limits_.max_messages || payload_bytes_ > limits_.max_payload_bytes)) {
      payload_bytes_ -= entries_.front().message.payload.size();
      kept_after_ = entries_.front().seq;
      entries_.pop_front();
      ++dropped_;
    }
    if (entries_.empty()) return;
    std::lock_guard listeners_lock(listeners_mutex_);
    if (listeners_.empty()) return;
    copy = entries_.back();
  }
  std::vector<std::shared_ptr<const Listener>> listeners;
  {
    std::lock_guard lock(listeners_mutex_);
    for (const auto& [token, listener] : listeners_) listeners.push_back(listener);
  }
  for (const auto& listener : listeners) (*listener)(copy);
}

std::vector<Recorded> History::since(
    uint64_t after, std::size_t limit,
    const std::function<bool(const traffic::Message&)>& keep) const {
  std::vector<Recorded> out;
  std::lock_guard lock(mutex_);
  // Entries are in seq order: skip to the first one after `after`.
  auto it = entries_.begin();
  if (!entries_.empty() && after >= entries_.front().seq) {
    it += static_cast<std::ptrdiff_t>(
        std::min<uint64_t>(after - entries_.front().seq + 1, entries_.size()));
  }
  for (; it != entries_.end() && out.size() < limit; ++it) {
    if (!keep || keep(it->message)) out.push_back(*it);
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
  return entries_.size();
}

uint64_t History::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void History::reset() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  payload_bytes_ = 0;
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
