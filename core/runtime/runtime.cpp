#include "core/runtime/runtime.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "core/runtime/context_pool.h"

namespace mockforge::runtime {

namespace asio = boost::asio;

boost::asio::execution_context::id ContextPool::id;

ContextPool::ContextPool(asio::execution_context& owner, std::vector<asio::io_context*> contexts)
    : asio::execution_context::service(owner), contexts_(std::move(contexts)) {}

asio::io_context& ContextPool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

ContextPool* ContextPool::of(asio::io_context& io) {
  if (!asio::has_service<ContextPool>(io)) return nullptr;
  auto& pool = asio::use_service<ContextPool>(io);
  return pool.size() > 0 ? &pool : nullptr;
}

struct Runtime::Impl {
  using Guard = asio::executor_work_guard<asio::io_context::executor_type>;

  explicit Impl(unsigned n) {
    const unsigned count = n == 0 ? 1 : n;
    std::vector<asio::io_context*> pointers;
    for (unsigned i = 0; i < count; ++i) {
      // One thread per context: Asio's single-threaded scheduler fast paths.
      contexts.push_back(std::make_unique<asio::io_context>(1));
      pointers.push_back(contexts.back().get());
    }
    asio::make_service<ContextPool>(*contexts.front(), std::move(pointers));
  }

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<Guard> guards;
  std::vector<std::thread> workers;
};

Runtime::Runtime(unsigned threads) : impl_(std::make_unique<Impl>(threads)) {}

Runtime::~Runtime() { stop(); }

asio::io_context& Runtime::io() { return *impl_->contexts.front(); }

unsigned Runtime::threads() const { return static_cast<unsigned>(impl_->contexts.size()); }

void Runtime::start() {
  if (!impl_->workers.empty()) return;
  for (auto& context : impl_->contexts) {
    context->restart();
    impl_->guards.emplace_back(context->get_executor());
  }
  for (auto& context : impl_->contexts) {
    impl_->workers.emplace_back([io = context.get()] { io->run(); });
  }
}

void Runtime::stop() {
  impl_->guards.clear();
  for (auto& context : impl_->contexts) context->stop();
  for (auto& worker : impl_->workers) {
    if (worker.joinable()) worker.join();
  }
  impl_->workers.clear();
}

}  // namespace mockforge::runtime
