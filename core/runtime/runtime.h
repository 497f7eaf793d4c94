#pragma once

// The process-wide Asio runtime: one io_context per worker thread.
//
// io() is the first context: listeners, service timers and the admin server
// run there. Accepted connections are placed on the contexts by how busy
// their threads are (the ContextPool service, context_pool.h, which
// TcpListener consults). Each
// context is run by exactly one thread, so everything posted to one context
// runs one handler at a time: a connection needs no strand of its own.

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

  // The main context (the first of the pool).
  boost::asio::io_context& io();
  // Contexts (and threads): at least one.
  unsigned threads() const;

  // Starts the worker threads; the contexts keep running until stop().
  void start();
  // Stops the contexts and joins the threads. Handlers still queued are
  // destroyed with the contexts.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mockforge::runtime
