#pragma once

// Byte-stream transports under a Connection: plain TCP, or a WebSocket whose
// binary messages carry the stream (MQTT over WebSocket).

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace mockforge::net {


class Transport {
 public:
  virtual ~Transport() = default;
  // Completes the transport's own handshake (WebSocket upgrade); throws on failure.
  virtual boost::asio::awaitable<void> handshake() { co_return; }
  // Completes when data can be read, without reading it (so idle
  // connections hold no read buffer). Transports that cannot tell return at once.
  virtual boost::asio::awaitable<void> wait_readable() { co_return; }
  // Reads at least one byte; throws boost::system::system_error on EOF or error.
  virtual boost::asio::awaitable<std::size_t> read_some(boost::asio::mutable_buffer into) = 0;
  virtual boost::asio::awaitable<void> write(boost::asio::const_buffer bytes) = 0;
  // Orderly close where the transport has one (WebSocket close frame), then closes the socket.
  virtual boost::asio::awaitable<void> graceful_close() = 0;
  // Immediate close; safe to call more than once. Must run on the connection's strand.
  virtual void close() = 0;
  virtual std::string remote_address() const = 0;
};

std::unique_ptr<Transport> make_tcp_transport(boost::asio::ip::tcp::socket socket);

struct WebSocketOptions {
  std::string path = "/mqtt";          // requests for other paths are refused with 404
  std::string subprotocol = "mqtt";    // echoed when the client offers it
  std::size_t max_message_bytes = 0;   // 0: no limit beyond the protocol's own
};
std::unique_ptr<Transport> make_websocket_transport(boost::asio::ip::tcp::socket socket,
                                                    WebSocketOptions options);

}  // namespace mockforge::net
