#pragma once

// The transports Connection::start builds (core/net internals; brokers use
// connection.h). Each is a member of its connection's allocation.

#include <fmt/format.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>

#include "core/net/transport.h"

namespace mockforge::net {

struct Drain;

// "host:port" of a socket's peer ("[v6]:port"); "unknown" once closed.
template <typename AnySocket>
std::string format_endpoint(const AnySocket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto address = endpoint.address().to_string();
  return endpoint.address().is_v6() ? fmt::format("[{}]:{}", address, endpoint.port())
                                    : fmt::format("{}:{}", address, endpoint.port());
}

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

// What a plain WebSocket keeps about the layer under it: nothing.
struct PlainLayer {
  template <typename Stream>
  std::optional<PeerCertificate> peer_certificate(Stream&) const {
    return std::nullopt;
  }
};

// A WebSocket over `Stream`: beast::tcp_stream (ws://), or a TLS stream over
// one (wss://, in tls.cpp), with `Layer` the state that layer needs kept.
// Member definitions: websocket_transport_impl.h, instantiated where the
// stream type is known.
template <typename Stream, typename Layer = PlainLayer>
class BasicWebSocketTransport final : public Transport {
 public:
  template <typename... StreamArgs>
  BasicWebSocketTransport(Executor executor, WebSocketOptions options, Layer layer,
                          StreamArgs&&... stream_args)
      : executor_(std::move(executor)),
        layer_(std::move(layer)),
        ws_(std::forward<StreamArgs>(stream_args)...),
        options_(std::move(options)) {}

  Executor executor() const override { return executor_; }
  void async_handshake(HandshakeCompletion done) override;
  bool has_handshake() const override { return true; }
  void async_wait_readable(ReadableCompletion done) override;
  void async_read_some(boost::asio::mutable_buffer into, ReadCompletion done) override;
  void async_write(boost::asio::const_buffer bytes, WrittenCompletion done) override;
  void async_graceful_close(ClosedCompletion done) override;
  void close() override;
  std::string remote_address() const override;
  std::optional<PeerCertificate> peer_certificate() const override;
  bool is_tls() const override { return !std::is_same_v<Layer, PlainLayer>; }
  bool is_orderly_close(const boost::system::error_code& error) const override;

 private:
  boost::asio::awaitable<void> handshake();

  Executor executor_;
  Layer layer_;
  boost::beast::websocket::stream<Stream> ws_;
  WebSocketOptions options_;
};

using WebSocketTransport = BasicWebSocketTransport<boost::beast::tcp_stream>;

// Creates a plain WebSocket transport (transport.cpp).
std::unique_ptr<Transport> make_websocket_transport(Socket socket, WebSocketOptions options);

}  // namespace mockforge::net
