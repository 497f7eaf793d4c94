#pragma once

// A TCP listener bound to one port on several addresses (by default both
// loopbacks, since clients resolve `localhost` to ::1 first). Included only by
// session code, which uses Asio anyway.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace mockforge::runtime {

class ContextPool;

// An accepted socket, bound to the io_context (one thread) it is served on.
using Socket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;

// Thrown when a listener cannot bind; the message names service, address and port.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TcpListener {
 public:
  using AcceptHandler = std::function<void(Socket)>;

  // Binds and listens at once (so failures surface before anything starts).
  // Port 0 takes an ephemeral port for the first address and the same port
  // on the others. Accepting runs on `io`; when `io` is a Runtime's main
  // context, each accepted socket is placed on one of the Runtime's contexts
  // by how busy their threads are (ContextPool), otherwise they stay on `io`, which must then be
  // run by a single thread. The handler runs on `io`.
  TcpListener(boost::asio::io_context& io, std::string service,
              const std::vector<std::string>& addresses, uint16_t port, AcceptHandler on_accept);
  // Destroy only once the io_context's threads have stopped (or after
  // close() has run on them): it closes the sockets directly.
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  uint16_t port() const { return port_; }
  const std::string& service() const { return service_; }
  std::vector<std::string> endpoints() const;

  void start();
  void close();

 private:
  struct Acceptor;
  void bind_all(const std::vector<std::string>& addresses, uint16_t port);
  void accept_next(const std::shared_ptr<Acceptor>& acceptor);

  boost::asio::io_context& io_;
  ContextPool* pool_;
  std::string service_;
  uint16_t port_ = 0;
  AcceptHandler on_accept_;
  std::vector<std::shared_ptr<Acceptor>> acceptors_;
};

}  // namespace mockforge::runtime
