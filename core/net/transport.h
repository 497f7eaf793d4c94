#pragma once

// Byte-stream transports under a Connection: plain TCP, or a WebSocket whose
// binary messages carry the stream (MQTT over WebSocket).
//
// Completion-handler style, so that nothing but the pending operation itself
// is kept while a connection waits: every operation completes by calling a
// TransportCompletion (a pointer to its owner and which operation it was) on
// the transport's executor (the connection's strand).

#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace mockforge::net {

enum class TransportEvent : uint8_t { kHandshake, kReadable, kRead, kWritten, kClosed, kTimer };

// The owner of a transport (the connection) receives every completion here.
class TransportOwner {
 public:
  virtual void on_transport(TransportEvent event, const boost::system::error_code& error,
                            std::size_t bytes) = 0;

 protected:
  ~TransportOwner() = default;
};

// A completion handler of one pointer and a tag; it keeps its owner alive
// until the operation completes.
struct TransportCompletion {
  std::shared_ptr<TransportOwner> owner;
  TransportEvent event;

  void operator()(const boost::system::error_code& error, std::size_t bytes = 0) const {
    owner->on_transport(event, error, bytes);
  }
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Completes the transport's own handshake (WebSocket upgrade).
  virtual void async_handshake(TransportCompletion done) = 0;
  // Completes when data can be read, without reading it (so idle connections
  // hold no read buffer). Transports that cannot tell complete at once.
  virtual void async_wait_readable(TransportCompletion done) = 0;
  // Reads at least one byte; an error (eof included) when it cannot.
  virtual void async_read_some(boost::asio::mutable_buffer into, TransportCompletion done) = 0;
  // Writes all of `bytes`.
  virtual void async_write(boost::asio::const_buffer bytes, TransportCompletion done) = 0;
  // Orderly close where the transport has one (WebSocket close frame), then
  // closes the socket.
  virtual void async_graceful_close(TransportCompletion done) = 0;
  // Immediate close; pending operations complete with operation_aborted. Safe
  // to call more than once. Must run on the connection's strand.
  virtual void close() = 0;
  virtual std::string remote_address() const = 0;
  // "closed by peer" and the like: true for the errors of an orderly end.
  virtual bool is_orderly_close(const boost::system::error_code& error) const;
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
