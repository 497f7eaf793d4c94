#pragma once

// The transports Connection::start builds (core/net internals; brokers use
// connection.h). Each is a member of its connection's allocation.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "core/net/transport.h"

namespace mockforge::net {

struct Drain;

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(Socket socket);

  Executor executor() const override { return socket_.get_executor(); }
  void async_handshake(HandshakeCompletion done) override;
  void async_wait_readable(ReadableCompletion done) override;
  bool can_read_now() const override { return true; }
  std::size_t read_now(boost::asio::mutable_buffer into, boost::system::error_code& error) override;
  void async_read_some(boost::asio::mutable_buffer into, ReadCompletion done) override;
  void async_write(boost::asio::const_buffer bytes, WrittenCompletion done) override;
  void async_graceful_close(ClosedCompletion done) override;
  void close() override;
  std::string remote_address() const override;

 private:
  void drain_input(std::shared_ptr<Drain> drain, ClosedCompletion done);

  mutable Socket socket_;  // mutable: get_executor() is not const
};

class WebSocketTransport final : public Transport {
 public:
  WebSocketTransport(Socket socket, WebSocketOptions options);

  Executor executor() const override { return executor_; }
  void async_handshake(HandshakeCompletion done) override;
  void async_wait_readable(ReadableCompletion done) override;
  void async_read_some(boost::asio::mutable_buffer into, ReadCompletion done) override;
  void async_write(boost::asio::const_buffer bytes, WrittenCompletion done) override;
  void async_graceful_close(ClosedCompletion done) override;
  void close() override;
  std::string remote_address() const override;
  bool is_orderly_close(const boost::system::error_code& error) const override;

 private:
  boost::asio::awaitable<void> handshake();

  Executor executor_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  WebSocketOptions options_;
};

}  // namespace mockforge::net
