#include "core/runtime/runtime.h"

#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace mockforge::runtime {

struct Runtime::Impl {
  explicit Impl(unsigned n) : io(static_cast<int>(n)), thread_count(n == 0 ? 1 : n) {}
  boost::asio::io_context io;
  unsigned thread_count;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
  std::vector<std::thread> workers;
};

Runtime::Runtime(unsigned threads) : impl_(std::make_unique<Impl>(threads)) {}

Runtime::~Runtime() { stop(); }

boost::asio::io_context& Runtime::io() { return impl_->io; }

unsigned Runtime::threads() const { return impl_->thread_count; }

void Runtime::start() {
  if (!impl_->workers.empty()) return;
  impl_->io.restart();
  impl_->guard.emplace(impl_->io.get_executor());
  for (unsigned i = 0; i < impl_->thread_count; ++i) {
    impl_->workers.emplace_back([this] { impl_->io.run(); });
  }
}

void Runtime::stop() {
  impl_->guard.reset();
  impl_->io.stop();
  for (auto& worker : impl_->workers) {
    if (worker.joinable()) worker.join();
  }
  impl_->workers.clear();
}

}  // namespace mockforge::runtime
