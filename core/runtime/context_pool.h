#pragma once

// The io_contexts of one Runtime, registered as a service of its main
// context: a listener created on the main context places each socket it
// accepts on one of them. Every context of a pool is run by one thread.
//
// Placement fills before it spreads: a connection goes to the first context
// whose thread was less than half busy (CPU time over wall time, sampled at
// most every 100 ms), else to the least busy one. Handing work between
// threads (a publisher's connection storing what a consumer's connection on
// another thread delivers) costs a wake-up and a contended scheduler lock per
// hand-off, which on a small machine outweighs a second core; so connections
// share a thread until it is busy, and only then spill over.

#include <time.h>

#include <boost/asio/execution_context.hpp>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace mockforge::runtime {

class ContextPool : public boost::asio::execution_context::service {
 public:
  static boost::asio::execution_context::id id;

  ContextPool(boost::asio::execution_context& owner,
              std::vector<boost::asio::io_context*> contexts);
  // Only for Asio's service registry (never used: of() checks first).
  explicit ContextPool(boost::asio::execution_context& owner) : ContextPool(owner, {}) {}

  // The context for a connection accepted now. Thread-safe.
  boost::asio::io_context& next();
  std::size_t size() const { return contexts_.size(); }

  // The CPU-time clocks of the contexts' threads, in the same order (set by
  // Runtime::start; until then placement is by turns).
  void set_thread_clocks(std::vector<clockid_t> clocks);

  // The pool `io` is the main context of, or null.
  static ContextPool* of(boost::asio::io_context& io);

 private:
  void shutdown() override {}

  struct Load {
    std::chrono::nanoseconds cpu{0};  // the thread's CPU time at the last sample
    double busy = 0;                  // its share of the last sample period
  };

  std::vector<boost::asio::io_context*> contexts_;
  std::mutex mutex_;
  std::vector<clockid_t> clocks_;  // under mutex_
  std::vector<Load> loads_;        // under mutex_
  std::chrono::steady_clock::time_point sampled_at_;
  std::size_t turn_ = 0;  // placement by turns, before the clocks are known
};

}  // namespace mockforge::runtime
