#pragma once

// A mutex of one byte for per-object state touched by more than one thread
// but only for a few instructions at a time (a connection's outbound queue,
// an MQTT session record). std::mutex is 40 bytes, which matters when there
// are tens of thousands of such objects. Waiters sleep on the byte
// (std::atomic::wait), they do not spin.

#include <atomic>

namespace mockforge {

class SmallMutex {
 public:
  void lock() noexcept {
    while (locked_.exchange(true, std::memory_order_acquire)) {
      locked_.wait(true, std::memory_order_relaxed);
    }
  }
  bool try_lock() noexcept { return !locked_.exchange(true, std::memory_order_acquire); }
  void unlock() noexcept {
    locked_.store(false, std::memory_order_release);
    locked_.notify_one();
  }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace mockforge
