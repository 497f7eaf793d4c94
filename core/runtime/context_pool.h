#pragma once

// The io_contexts of one Runtime, registered as a service of its main
// context: a listener created on the main context spreads the sockets it
// accepts over all of them (round robin). Every context of a pool is run by
// one thread.

#include <atomic>
#include <boost/asio/execution_context.hpp>
#include <cstddef>
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

  // The context for the next connection.
  boost::asio::io_context& next();
  std::size_t size() const { return contexts_.size(); }

  // The pool `io` is the main context of, or null.
  static ContextPool* of(boost::asio::io_context& io);

 private:
  void shutdown() override {}

  std::vector<boost::asio::io_context*> contexts_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace mockforge::runtime
