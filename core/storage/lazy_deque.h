// A double-ended queue that holds no memory while empty.
//
// libstdc++'s std::deque allocates its map and a first 512-byte node as soon
// as it is constructed, empty or not. Per-client queues that are almost
// always empty (an MQTT client's backlog, a session's offline queue) would
// cost over half a KiB each for nothing; this one allocates on the first
// element and frees everything when it empties again.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <utility>

namespace mockforge::storage {

template <typename T>
class LazyDeque {
 public:
  using Deque = std::deque<T>;
  using value_type = T;
  using iterator = typename Deque::iterator;
  using const_iterator = typename Deque::const_iterator;

  LazyDeque() = default;
  LazyDeque(const LazyDeque& other)
      : items_(other.empty() ? nullptr : std::make_unique<Deque>(*other.items_)) {}
  LazyDeque& operator=(const LazyDeque& other) {
    if (this != &other) items_ = other.empty() ? nullptr : std::make_unique<Deque>(*other.items_);
    return *this;
  }
  LazyDeque(LazyDeque&&) noexcept = default;
  LazyDeque& operator=(LazyDeque&&) noexcept = default;

  bool empty() const { return !items_ || items_->empty(); }
  std::size_t size() const { return items_ ? items_->size() : 0; }

  T& front() { return items_->front(); }
  const T& front() const { return items_->front(); }
  T& back() { return items_->back(); }
  const T& back() const { return items_->back(); }

  void push_back(T value) { storage().push_back(std::move(value)); }
  void push_front(T value) { storage().push_front(std::move(value)); }
  void pop_front() {
    items_->pop_front();
    if (items_->empty()) items_.reset();
  }
  void clear() { items_.reset(); }

  iterator begin() { return items_ ? items_->begin() : iterator(); }
  iterator end() { return items_ ? items_->end() : iterator(); }
  const_iterator begin() const { return items_ ? items_->cbegin() : const_iterator(); }
  const_iterator end() const { return items_ ? items_->cend() : const_iterator(); }

 private:
  Deque& storage() {
    if (!items_) items_ = std::make_unique<Deque>();
    return *items_;
  }

  std::unique_ptr<Deque> items_;
};

}  // namespace mockforge::storage
