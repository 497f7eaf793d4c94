#include "core/runtime/runtime.h"

#include <pthread.h>
#include <time.h>

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

namespace {

constexpr auto kSamplePeriod = std::chrono::milliseconds(100);
constexpr double kBusy = 0.5;

std::chrono::nanoseconds thread_cpu(clockid_t clock) {
  timespec t{};
  if (clock_gettime(clock, &t) != 0) return std::chrono::nanoseconds(0);
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

}  // namespace

void ContextPool::set_thread_clocks(std::vector<clockid_t> clocks) {
  std::lock_guard lock(mutex_);
  clocks_ = std::move(clocks);
  loads_.assign(clocks_.size(), Load{});
  for (std::size_t i = 0; i < clocks_.size(); ++i) loads_[i].cpu = thread_cpu(clocks_[i]);
  sampled_at_ = std::chrono::steady_clock::now();
}

asio::io_context& ContextPool::next() {
  if (contexts_.size() == 1) return *contexts_.front();
  std::lock_guard lock(mutex_);
  if (clocks_.size() != contexts_.size()) return *contexts_[turn_++ % contexts_.size()];
  const auto now = std::chrono::steady_clock::now();
  if (now - sampled_at_ >= kSamplePeriod) {
    const double period = std::chrono::duration<double>(now - sampled_at_).count();
    for (std::size_t i = 0; i < clocks_.size(); ++i) {
      const auto cpu = thread_cpu(clocks_[i]);
      loads_[i].busy = std::chrono::duration<double>(cpu - loads_[i].cpu).count() / period;
      loads_[i].cpu = cpu;
    }
    sampled_at_ = now;
  }
  std::size_t least = 0;
  for (std::size_t i = 0; i < loads_.size(); ++i) {
    if (loads_[i].busy < kBusy) return *contexts_[i];
    if (loads_[i].busy < loads_[least].busy) least = i;
  }
  return *contexts_[least];
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
  std::vector<clockid_t> clocks;
  for (auto& context : impl_->contexts) {
    impl_->workers.emplace_back([io = context.get()] { io->run(); });
    clockid_t clock{};
    if (pthread_getcpuclockid(impl_->workers.back().native_handle(), &clock) == 0) {
      clocks.push_back(clock);
    }
  }
  // Without every thread's clock, placement stays by turns.
  if (clocks.size() == impl_->contexts.size()) {
    asio::use_service<ContextPool>(*impl_->contexts.front()).set_thread_clocks(std::move(clocks));
  }
}

void Runtime::stop() {
  if (!impl_->workers.empty()) {
    asio::use_service<ContextPool>(*impl_->contexts.front()).set_thread_clocks({});
  }
  impl_->guards.clear();
  for (auto& context : impl_->contexts) context->stop();
  for (auto& worker : impl_->workers) {
    if (worker.joinable()) worker.join();
  }
  impl_->workers.clear();
}

}  // namespace mockforge::runtime
