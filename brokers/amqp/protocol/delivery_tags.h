// A channel's unacknowledged deliveries by delivery tag. Tags only grow, so
// entries are appended in order to a ring: adding, and settling in the usual
// (oldest first) order, touch no allocator once the ring has grown to the
// prefetch window; lookups are a binary search. Settled entries leave holes
// that are dropped once they reach the front.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mockforge::amqp {

template <class T>
class DeliveryTagMap {
 public:
  using value_type = std::pair<const uint64_t, T>;

  // `tag` must be greater than every tag added before.
  void add(uint64_t tag, T value) {
    if (!empty_ring() && tag <= slot(count_ - 1).tag) {
      throw std::logic_error("delivery tags must grow");
    }
    if (count_ == slots_.size()) grow();
    slot(count_).emplace(tag, std::move(value));
    ++count_;
    ++live_;
  }

  T* find(uint64_t tag) {
    const std::size_t index = index_of(tag);
    return index == kNone ? nullptr : &slot(index).entry->second;
  }
  bool contains(uint64_t tag) { return index_of(tag) != kNone; }

  // Removes the entry and returns its value, or nullopt.
  std::optional<T> take(uint64_t tag) {
    const std::size_t index = index_of(tag);
    if (index == kNone) return std::nullopt;
    std::optional<T> value(std::move(slot(index).entry->second));
    slot(index).entry.reset();
    --live_;
    while (count_ > 0 && !slot(0).entry) {
      head_ = (head_ + 1) % slots_.size();
      --count_;
    }
    // A delivery left unsettled while later ones are settled keeps holes
    // behind it; squeeze them out once they dominate, so the ring stays
    // proportional to what is unacked.
    if (count_ >= 64 && count_ > 4 * live_) rebuild(slots_.size());
    return value;
  }

  std::size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }
  void clear() {
    for (std::size_t i = 0; i < count_; ++i) slot(i).entry.reset();
    head_ = count_ = live_ = 0;
  }

  // Iterates live entries in tag order (structured bindings: [tag, value]).
  template <class Map, class Value>
  class basic_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = DeliveryTagMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = Value*;
    using reference = Value&;

    basic_iterator() = default;
    basic_iterator(Map* map, std::size_t index) : map_(map), index_(index) { skip_holes(); }
    reference operator*() const { return *map_->slot(index_).entry; }
    pointer operator->() const { return &*map_->slot(index_).entry; }
    basic_iterator& operator++() {
      ++index_;
      skip_holes();
      return *this;
    }
    basic_iterator operator++(int) {
      basic_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) {
      return a.index_ == b.index_;
    }

   private:
    void skip_holes() {
      while (index_ < map_->count_ && !map_->slot(index_).entry) ++index_;
    }
    Map* map_ = nullptr;
    std::size_t index_ = 0;
  };
  using iterator = basic_iterator<DeliveryTagMap, value_type>;
  using const_iterator = basic_iterator<const DeliveryTagMap, const value_type>;

  iterator begin() { return iterator(this, 0); }
  iterator end() { return iterator(this, count_); }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, count_); }

 private:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  struct Slot {
    uint64_t tag = 0;
    std::optional<value_type> entry;
    void emplace(uint64_t t, T value) {
      tag = t;
      entry.emplace(t, std::move(value));
    }
  };

  bool empty_ring() const { return count_ == 0; }
  // The i-th slot from the head.
  Slot& slot(std::size_t i) { return slots_[(head_ + i) % slots_.size()]; }
  const Slot& slot(std::size_t i) const { return slots_[(head_ + i) % slots_.size()]; }

  std::size_t index_of(uint64_t tag) {
    std::size_t low = 0;
    std::size_t high = count_;
    while (low < high) {
      const std::size_t mid = low + (high - low) / 2;
      if (slot(mid).tag < tag) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    if (low == count_ || slot(low).tag != tag || !slot(low).entry) return kNone;
    return low;
  }

  void grow() { rebuild(std::max<std::size_t>(16, slots_.size() * 2)); }

  // Moves the live entries, in order, to the front of a ring of `capacity`.
  void rebuild(std::size_t capacity) {
    std::vector<Slot> fresh(capacity);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < count_; ++i) {
      Slot& old = slot(i);
      if (!old.entry) continue;
      fresh[kept].tag = old.tag;
      fresh[kept].entry.emplace(std::move(*old.entry));
      ++kept;
    }
    slots_ = std::move(fresh);
    head_ = 0;
    count_ = kept;
  }

  std::vector<Slot> slots_;
  std::size_t head_ = 0;   // slot of the oldest entry or hole
  std::size_t count_ = 0;  // entries and holes from the head
  std::size_t live_ = 0;
};

}  // namespace mockforge::amqp
