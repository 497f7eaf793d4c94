#pragma once

// The process-wide Asio runtime: one io_context served by a small pool of
// threads. Brokers create their sockets on strands of this context.

#include <memory>

namespace boost::asio {
class io_context;
}

namespace mockforge::runtime {

class Runtime {
 public:
  explicit Runtime(unsigned threads);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  boost::asio::io_context& io();
  unsigned threads() const;

  // Starts the worker threads; the context keeps running until stop().
  void start();
  // Lets pending handlers finish, stops the context and joins the threads.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mockforge::runtime
