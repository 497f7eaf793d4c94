#pragma once

// One client connection: transport, framing loop, bounded outbound queue.
//
// The protocol implements FrameProtocol. All its callbacks run on the
// connection's executor (its io_context, which one thread runs), one at a
// time. send() may be called from any thread.
//
// Reading: bytes accumulate in a buffer; next_frame() says whether a complete
// frame starts it. A protocol rejects an oversize length in next_frame(), so
// its body is never buffered. Complete frames go to on_frame() in order.
//
// Writing: send() appends to one outbound queue; a single writer drains it,
// coalescing queued frames into one write. While the queue holds more than
// Limits::max_outbound_bytes the connection stops reading (backpressure),
// and resumes below half of that; frames already read wait too, so a client
// pipelining requests (Kafka Fetch) it never reads the answers to cannot make
// the queue grow past one frame's answer. Deliveries a client did not ask
// for by a request (MQTT fan-out, AMQP consumers) are not bounded by that:
// their protocols check outbound_bytes() and drop, or hold them back and ask
// notify_when_drained() to go on.
// A protocol may also stop reading itself (pause_reading, e.g. AMQP
// connection.blocked) until it calls resume_reading().
//
// Memory: an idle connection is one allocation (this object, its transport
// and socket) plus its protocol, Asio's per-socket reactor state and the one
// operation waiting for the socket to become readable. No read buffer, no
// write queue, no timer: idle deadlines sit in a timing wheel shared by every
// connection of the io_context (deadline_wheel.h).

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <string>
#include <vector>

#include "core/net/transport.h"
#include "core/small_mutex.h"
#include "core/small_pool.h"

namespace mockforge::net {

class Connection;

struct FrameStatus {
  enum class Kind { kNeedMore, kComplete, kInvalid };
  Kind kind = Kind::kNeedMore;
  std::size_t length = 0;  // kComplete: frame length; kNeedMore: total bytes needed, if known
  std::string error;       // kInvalid: why

  static FrameStatus need_more(std::size_t total = 0) { return {Kind::kNeedMore, total, {}}; }
  static FrameStatus complete(std::size_t length) { return {Kind::kComplete, length, {}}; }
  static FrameStatus invalid(std::string why) { return {Kind::kInvalid, 0, std::move(why)}; }
};

class FrameProtocol {
 public:
  virtual ~FrameProtocol() = default;
  // Looks at the unread bytes (never empty).
  virtual FrameStatus next_frame(std::span<const uint8_t> unread) = 0;
  virtual void on_frame(std::span<const uint8_t> frame) = 0;
  // next_frame() said kInvalid. The protocol may send a last frame (an error
  // reply) with send(); the connection then flushes and closes.
  virtual void on_invalid_frame(std::string_view error) = 0;
  // No complete frame arrived for the idle timeout (MQTT keep-alive and
  // CONNECT timeout, AMQP heartbeat and handshake timeout, Kafka idle
  // connections). Bytes of an unfinished frame do not count, so a client
  // trickling a frame (slow-loris) times out too. Checked at the resolution
  // of the deadline wheel (0.1 s), never early.
  virtual void on_idle_timeout() = 0;
  // The server is shutting down: say goodbye the protocol's way, then
  // close_after_flush().
  virtual void on_server_shutdown() = 0;
  // The connection is closed; called once, last.
  virtual void on_closed(std::string_view reason) = 0;
  // The outbound queue was written out, after Connection::notify_when_drained()
  // asked (a protocol that held back deliveries for a slow reader sends on).
  virtual void on_output_drained() {}
};

struct ConnectionLimits {
  std::size_t max_buffered_bytes = 100u << 20;  // unread bytes; beyond it the frame is invalid
  std::size_t max_outbound_bytes = 8u << 20;    // queued for writing before reads pause
  std::chrono::milliseconds idle_timeout{0};    // 0: none
  // Read through Asio into a buffer the connection keeps while open (16 KiB)
  // instead of a per-thread scratch buffer after a readiness wait: one system
  // call fewer per read (a wait re-arms the socket's epoll registration), for
  // protocols with few, busy connections (AMQP, Kafka). Off for MQTT, whose
  // idle clients must stay small.
  bool keep_read_buffer = false;
};

class ConnectionSet;
class DeadlineWheel;
class TlsContext;

namespace detail {

// Links of an intrusive doubly linked list (a connection in its set, in its
// deadline wheel slot).
struct ListLinks {
  ListLinks* prev = nullptr;
  ListLinks* next = nullptr;
  bool linked() const { return prev != nullptr; }
};
struct SetLinks : ListLinks {};
struct WheelLinks : ListLinks {};

}  // namespace detail

// Completion-handler driven: an idle connection holds no coroutine frame and
// no buffer, only its pending socket wait. The outbound queue allocates
// nothing while empty.
class Connection : public std::enable_shared_from_this<Connection>,
                   private detail::SetLinks,
                   private detail::WheelLinks {
 public:
  using ProtocolFactory = std::function<std::unique_ptr<FrameProtocol>(Connection&)>;

  // Creates a connection over plain TCP, registers it in `set`, and starts it
  // on the socket's executor. The factory runs there, before the first read.
  static std::shared_ptr<Connection> start(Socket socket, ConnectionLimits limits,
                                           ConnectionSet& set, ProtocolFactory make_protocol);
  // The same over a WebSocket (binary messages carry the byte stream).
  static std::shared_ptr<Connection> start(Socket socket, WebSocketOptions websocket,
                                           ConnectionLimits limits, ConnectionSet& set,
                                           ProtocolFactory make_protocol);
  // The same over TLS (tls.h), and a WebSocket over TLS (wss). The context
  // must outlive the call only: the connection keeps what it needs of it.
  static std::shared_ptr<Connection> start(Socket socket, const TlsContext& tls,
                                           ConnectionLimits limits, ConnectionSet& set,
                                           ProtocolFactory make_protocol);
  static std::shared_ptr<Connection> start(Socket socket, WebSocketOptions websocket,
                                           const TlsContext& tls, ConnectionLimits limits,
                                           ConnectionSet& set, ProtocolFactory make_protocol);

  // How long a transport handshake (TLS, WebSocket upgrade) may take, or
  // the protocol's idle timeout if shorter; then the connection is closed.
  static constexpr std::chrono::milliseconds kHandshakeTimeout{10000};

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Thread-safe. Bytes sent after close are dropped.
  void send(std::vector<uint8_t> bytes);
  std::size_t outbound_bytes() const;

  // Stop reading, write what is queued, then close. Thread-safe.
  void close_after_flush(std::string reason);
  // Close now, dropping queued output. Thread-safe.
  void abort(std::string reason);

  // Executor-only: call the protocol's on_output_drained() once, when what
  // is queued now has been written (soon, if nothing is). For a protocol
  // that stops handing a slow reader more output while outbound_bytes() is
  // over its own cap, instead of letting the queue grow.
  void notify_when_drained();

  // Executor-only: changes the idle timeout (0 disables it) and restarts it.
  void set_idle_timeout(std::chrono::milliseconds timeout);

  // Executor-only: stop reading the socket (no further on_frame either, even
  // for frames already buffered) until resume_reading(). Independent of the
  // backpressure pause; reading resumes when neither holds. The idle timeout
  // keeps running.
  void pause_reading();
  void resume_reading();
  bool reading_paused() const { return paused_by_protocol_; }

  // The connection's io_context executor (converts to any_io_executor).
  Executor executor() const { return transport().executor(); }
  // "host:port" of the peer while the socket is open, then "unknown" (asks
  // the socket each time; nothing is kept per connection).
  std::string remote_address() const { return transport().remote_address(); }
  // The verified client certificate of a TLS connection (transport.h).
  std::optional<PeerCertificate> peer_certificate() const { return transport().peer_certificate(); }
  bool tls() const { return transport().is_tls(); }
  uint64_t id() const { return id_; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  template <TransportEvent>
  friend struct TransportCompletion;
  friend class ConnectionSet;
  friend class DeadlineWheel;

  // Builds the transport in place: plain TCP, or a WebSocket when given
  // options, either over TLS when given a context. Only through start().
  Connection(Socket socket, const WebSocketOptions* websocket, const TlsContext* tls,
             ConnectionLimits limits, ConnectionSet& set);
  static std::shared_ptr<Connection> launch(Socket socket, const WebSocketOptions* websocket,
                                            const TlsContext* tls, ConnectionLimits limits,
                                            ConnectionSet& set, ProtocolFactory make_protocol);
  Transport& transport() { return *std::launder(reinterpret_cast<Transport*>(transport_slot_)); }
  const Transport& transport() const {
    return *std::launder(reinterpret_cast<const Transport*>(transport_slot_));
  }
  void on_transport(TransportEvent event, const boost::system::error_code& error,
                    std::size_t bytes);
  template <TransportEvent Event>
  TransportCompletion<Event> completion() {
    return TransportCompletion<Event>{shared_from_this()};
  }
  // Reading. With nothing buffered, a transport that can read without
  // waiting (TCP) reads into its thread's scratch buffer until the socket
  // is drained, then waits for readability; otherwise, for the rest of an
  // incomplete frame, and always with keep_read_buffer_, reads go into this
  // connection's buffer.
  void read_more();
  void read_directly();
  void read_buffered();
  void on_readable(const boost::system::error_code& error);
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  // Hands the complete frames at the start of `bytes` to the protocol and
  // returns how many bytes they took. `go_on`: reading may go on (an
  // incomplete frame follows, of `needed` bytes in all if known, or all was
  // used); false when closing, paused or after an invalid frame.
  std::size_t hand_frames(std::span<const uint8_t> bytes, bool& go_on, std::size_t& needed);
  // Frames what is buffered; false once reading must stop.
  bool process_buffer();
  bool may_read() const;
  bool has_unread() const { return buffer_ && buffer_->read < buffer_->write; }
  // Makes the buffer `size` bytes long, keeping its first `keep` bytes as
  // the unread ones.
  void resize_buffer(std::size_t size, std::size_t keep);
  // Writing: one write in flight at a time.
  void write_more();
  void on_written(const boost::system::error_code& error, std::size_t bytes);
  // The idle deadline, and the handshake's.
  bool awaiting_handshake() const;
  bool has_deadline() const;
  void arm_deadline();
  // When the idle timeout ends, seen at `now`.
  std::chrono::steady_clock::time_point deadline(std::chrono::steady_clock::time_point now) const;
  void note_read(std::chrono::steady_clock::time_point now);
  void on_deadline();
  void fail(const boost::system::error_code& error);
  void finish(std::string reason);

  // Fields are ordered and sized so that an idle connection with its TCP
  // transport and shared_ptr control block fits 168 bytes (a 176-byte heap
  // block).
  //
  // The transport, built in place: a TcpTransport (its socket inline), or a
  // small proxy owning a WebSocket or TLS transport, which are much larger.
  static constexpr std::size_t kTransportSlot = sizeof(void*) + sizeof(Socket);
  alignas(alignof(Socket)) unsigned char transport_slot_[kTransportSlot];
  std::unique_ptr<FrameProtocol> protocol_;
  ConnectionSet* set_;  // null once the set is gone
  uint32_t id_;
  // When a complete frame was last read: the steady clock in milliseconds, modulo
  // 2^32 (differences are right for anything under 49 days).
  uint32_t last_read_ms_;

  // Bytes read but not yet framed (only ever the rest of a frame that did
  // not arrive whole), with their positions, in one heap block. Growing it
  // does not zero the new bytes (they are overwritten by the read); null
  // once everything was framed, so an idle connection holds no read buffer.
  struct ReadBuffer {
    uint32_t size = 0;   // bytes after this header
    uint32_t read = 0;   // framed up to here
    uint32_t write = 0;  // read from the socket up to here
    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
  };
  struct FreeReadBuffer {
    void operator()(ReadBuffer* buffer) const {
      buffer->~ReadBuffer();
      ::operator delete(buffer);
    }
  };
  std::unique_ptr<ReadBuffer, FreeReadBuffer> buffer_;

  // Limits, stored compactly.
  uint32_t max_buffered_bytes_;
  uint32_t max_outbound_bytes_;
  uint32_t idle_timeout_ms_;

  // Four bytes, each a memory location of its own (different threads).
  mutable SmallMutex out_lock_;
  // Under out_lock_.
  bool writer_scheduled_ : 1 = false;  // a write is in flight or about to start
  bool flush_then_close_ : 1 = false;
  std::atomic<bool> closed_{false};
  // Executor-only state.
  bool read_pending_ : 1 = false;  // a wait or read is in flight
  bool processing_ : 1 = false;    // inside process_buffer()
  bool handshake_done_ : 1 = false;
  bool reading_stopped_ : 1 = false;  // for good: closing
  bool paused_by_protocol_ : 1 = false;
  bool paused_by_backpressure_ : 1 = false;
  bool closing_ : 1 = false;  // the graceful close is under way
  bool finished_ : 1 = false;
  bool keep_read_buffer_ : 1 = false;  // ConnectionLimits::keep_read_buffer
  bool drain_notice_ : 1 = false;      // notify_when_drained() was asked

  // Outbound: frames queued by send() (any thread), under out_lock_. Exists
  // only while something is queued or being written.
  // From the small-object pool, like the connection: during a burst of
  // connects, each has one while its CONNACK-like first reply is written.
  struct Outbound {
    static void* operator new(std::size_t size) { return SmallPool::allocate(size); }
    static void operator delete(void* block, std::size_t size) noexcept {
      SmallPool::deallocate(block, size);
    }
    std::vector<std::vector<uint8_t>> queue;
    std::vector<uint8_t> writing;  // the write in flight (executor only)
    std::string close_reason;      // close_after_flush()'s
    std::size_t bytes = 0;         // queued and in flight: outbound_bytes()
  };
  std::unique_ptr<Outbound> out_;
};

// The live connections of one listener: shutdown and gauges. Destroy it only
// once the io_contexts' threads have stopped.
class ConnectionSet {
 public:
  ConnectionSet();
  ~ConnectionSet();
  ConnectionSet(const ConnectionSet&) = delete;
  ConnectionSet& operator=(const ConnectionSet&) = delete;

  std::size_t size() const;
  // Calls on_server_shutdown() on every connection, on its executor.
  void shutdown_all();
  // Aborts every connection.
  void abort_all(const std::string& reason);
  void for_each(const std::function<void(const std::shared_ptr<Connection>&)>& fn) const;

 private:
  friend class Connection;
  void add(Connection& connection);
  void remove(Connection& connection);
  // A connection with no operation pending (reading paused by its protocol)
  // is kept alive here until it resumes or closes.
  void retain(std::shared_ptr<Connection> connection);
  void release(Connection& connection);

  mutable std::mutex mutex_;
  detail::ListLinks head_;  // sentinel of a circular list
  std::size_t size_ = 0;
  std::vector<std::shared_ptr<Connection>> retained_;
};

}  // namespace mockforge::net
