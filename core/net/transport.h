#pragma once

// Byte-stream transports under a Connection: plain TCP, or a WebSocket whose
// binary messages carry the stream (MQTT over WebSocket), each also over TLS
// (tls.h). Connection::start
// picks one; the transport lives inside the connection's own allocation.
//
// Completion-handler style, so that nothing but the pending operation itself
// is kept while a connection waits: every operation completes by calling a
// TransportCompletion (the connection; which operation it was is in its
// type) on the connection's executor.

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>

#include "core/runtime/listener.h"
#include "core/small_pool.h"

namespace mockforge::net {

using Socket = runtime::Socket;
// A connection's executor: its io_context, run by one thread.
using Executor = boost::asio::io_context::executor_type;

class Connection;

enum class TransportEvent : uint8_t { kHandshake, kReadable, kRead, kWritten, kClosed };

// Asio's operation objects come from the small-object pool at their own
// size (core/small_pool.h). Asio's default recycles per-thread blocks of
// whatever size was freed last, so an idle connection's pending wait could
// sit in a block sized for an accept operation; operator new would add
// malloc's header to each.
template <typename T>
using OperationAllocator = SmallPoolAllocator<T>;

// A completion handler of one pointer, which keeps its connection alive
// until the operation completes; which operation it was is in its type (so
// that Asio's pending socket wait is 8 bytes smaller than with a tag).
template <TransportEvent Event>
struct TransportCompletion {
  std::shared_ptr<Connection> owner;

  using allocator_type = OperationAllocator<void>;
  allocator_type get_allocator() const noexcept { return {}; }
  void operator()(const boost::system::error_code& error, std::size_t bytes = 0) const;
};
using HandshakeCompletion = TransportCompletion<TransportEvent::kHandshake>;
using ReadableCompletion = TransportCompletion<TransportEvent::kReadable>;
using ReadCompletion = TransportCompletion<TransportEvent::kRead>;
using WrittenCompletion = TransportCompletion<TransportEvent::kWritten>;
using ClosedCompletion = TransportCompletion<TransportEvent::kClosed>;

// The subject of a client certificate the TLS handshake verified.
struct PeerCertificate {
  std::string common_name;         // the first CN of the subject, UTF-8 ("" when it has none)
  std::string distinguished_name;  // the subject in RFC 4514 form, as openssl -nameopt RFC2253
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Executor executor() const = 0;
  // Completes the transport's own handshake (TLS, WebSocket upgrade).
  virtual void async_handshake(HandshakeCompletion done) = 0;
  // Whether async_handshake() waits for the peer; the connection then gives
  // it Connection::kHandshakeTimeout at most.
  virtual bool has_handshake() const { return false; }
  // Completes when data can be read, without reading it (so idle connections
  // hold no read buffer). Transports that cannot tell complete at once.
  virtual void async_wait_readable(ReadableCompletion done) = 0;
  // Whether read_now() works (plain TCP; not a WebSocket, whose messages
  // Beast reads).
  virtual bool can_read_now() const { return false; }
  // Reads what is there without waiting: at least one byte, or would_block,
  // or an error (eof included).
  virtual std::size_t read_now(boost::asio::mutable_buffer into, boost::system::error_code& error);
  // Reads at least one byte; an error (eof included) when it cannot.
  virtual void async_read_some(boost::asio::mutable_buffer into, ReadCompletion done) = 0;
  // Writes all of `bytes`.
  virtual void async_write(boost::asio::const_buffer bytes, WrittenCompletion done) = 0;
  // Orderly close where the transport has one (WebSocket close frame), then
  // closes the socket.
  virtual void async_graceful_close(ClosedCompletion done) = 0;
  // Immediate close; pending operations complete with operation_aborted. Safe
  // to call more than once. Must run on the connection's executor.
  virtual void close() = 0;
  // "host:port" of the peer ("[v6]:port"); "unknown" once closed.
  virtual std::string remote_address() const = 0;
  // The client certificate, when the peer sent one over TLS and it was
  // verified against tls.ca_file; none over plain TCP.
  virtual std::optional<PeerCertificate> peer_certificate() const { return std::nullopt; }
  // Whether the stream is TLS (also under a WebSocket).
  virtual bool is_tls() const { return false; }
  // "closed by peer" and the like: true for the errors of an orderly end.
  virtual bool is_orderly_close(const boost::system::error_code& error) const;
};

struct WebSocketOptions {
  std::string path = "/mqtt";         // requests for other paths are refused with 404
  std::string subprotocol = "mqtt";   // echoed when the client offers it
  std::size_t max_message_bytes = 0;  // 0: no limit beyond the protocol's own
};

}  // namespace mockforge::net
