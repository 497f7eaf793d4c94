#pragma once

// One client connection: transport, framing loop, bounded outbound queue.
//
// The protocol implements FrameProtocol. All its callbacks run on the
// connection's strand, one at a time. send() may be called from any thread.
//
// Reading: bytes accumulate in a buffer; next_frame() says whether a complete
// frame starts it. A protocol rejects an oversize length in next_frame(), so
// its body is never buffered. Complete frames go to on_frame() in order.
//
// Writing: send() appends to one outbound queue; a single writer drains it,
// coalescing queued frames into one write. While the queue holds more than
// Limits::max_outbound_bytes the connection stops reading (backpressure),
// and resumes below half of that. Protocols that must never block a
// publisher (MQTT fan-out) check outbound_bytes() and drop or queue instead.
// A protocol may also stop reading itself (pause_reading, e.g. AMQP
// connection.blocked) until it calls resume_reading().
//
// Memory: an idle connection holds its Connection object, its socket and
// the two operations waiting on it (socket readable, idle deadline); no read
// buffer, no write buffer, no coroutine frame.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/net/transport.h"

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
  // Nothing was read for the idle timeout (MQTT keep-alive, AMQP heartbeat).
  virtual void on_idle_timeout() = 0;
  // The server is shutting down: say goodbye the protocol's way, then
  // close_after_flush().
  virtual void on_server_shutdown() = 0;
  // The connection is closed; called once, last.
  virtual void on_closed(std::string_view reason) = 0;
};

struct ConnectionLimits {
  std::size_t max_buffered_bytes = 100u << 20;  // unread bytes; beyond it the frame is invalid
  std::size_t max_outbound_bytes = 8u << 20;    // queued for writing before reads pause
  std::chrono::milliseconds idle_timeout{0};    // 0: none
};

class ConnectionSet;

// Completion-handler driven: an idle connection holds no coroutine frame and
// no buffer, only its pending socket wait and (with an idle timeout) one
// timer wait. The outbound queue allocates nothing while empty.
class Connection : public std::enable_shared_from_this<Connection>, public TransportOwner {
 public:
  using ProtocolFactory = std::function<std::unique_ptr<FrameProtocol>(Connection&)>;

  // Creates the connection, registers it in `set`, and starts it on the
  // transport's strand. The factory runs there, before the first read.
  static std::shared_ptr<Connection> start(std::unique_ptr<Transport> transport,
                                           boost::asio::any_io_executor strand,
                                           ConnectionLimits limits, ConnectionSet& set,
                                           ProtocolFactory make_protocol);

  virtual ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Thread-safe. Bytes sent after close are dropped.
  void send(std::vector<uint8_t> bytes);
  std::size_t outbound_bytes() const { return outbound_bytes_.load(std::memory_order_relaxed); }

  // Stop reading, write what is queued, then close. Thread-safe.
  void close_after_flush(std::string reason);
  // Close now, dropping queued output. Thread-safe.
  void abort(std::string reason);

  // Strand-only: changes the idle timeout (0 disables it) and restarts it.
  void set_idle_timeout(std::chrono::milliseconds timeout);

  // Strand-only: stop reading the socket (no further on_frame either, even
  // for frames already buffered) until resume_reading(). Independent of the
  // backpressure pause; reading resumes when neither holds. The idle timeout
  // keeps running.
  void pause_reading();
  void resume_reading();
  bool reading_paused() const { return paused_by_protocol_; }

  boost::asio::any_io_executor executor() const { return timer_.get_executor(); }
  const std::string& remote_address() const { return remote_address_; }
  uint64_t id() const { return id_; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  Connection(std::unique_ptr<Transport> transport, boost::asio::any_io_executor strand,
             ConnectionLimits limits, ConnectionSet& set);

  friend class ConnectionSet;
  void on_transport(TransportEvent event, const boost::system::error_code& error,
                    std::size_t bytes) override;
  TransportCompletion completion(TransportEvent event);
  // Reading: wait for readability, then read; frames go out in between.
  void read_more();
  void on_readable(const boost::system::error_code& error);
  void on_read(const boost::system::error_code& error, std::size_t bytes);
  // Hands complete frames to the protocol; false once reading must stop.
  bool process_buffer();
  bool may_read() const;
  // Writing: one write in flight at a time.
  void write_more();
  void on_written(const boost::system::error_code& error, std::size_t bytes);
  // The idle deadline.
  void arm_timer();
  void on_timer();
  void fail(const boost::system::error_code& error);
  void finish(std::string reason);

  std::unique_ptr<Transport> transport_;
  ConnectionLimits limits_;
  ConnectionSet& set_;
  std::unique_ptr<FrameProtocol> protocol_;
  std::string remote_address_;
  uint64_t id_;

  // Bytes read but not yet framed. Growing it does not zero the new bytes
  // (they are overwritten by the read), and it is released whenever the
  // connection goes idle, so an idle connection holds no read buffer.
  struct UninitializedByte {
    uint8_t value;
    UninitializedByte() {}  // NOLINT: deliberately leaves value uninitialised
  };
  static_assert(sizeof(UninitializedByte) == 1);
  std::vector<UninitializedByte> buffer_;
  // A standard-layout struct shares its address with its first member.
  uint8_t* buffer_data() { return reinterpret_cast<uint8_t*>(buffer_.data()); }
  std::size_t read_pos_ = 0;
  std::size_t write_pos_ = 0;

  // Outbound: frames queued by send() (any thread), under the mutex. A
  // vector, so an empty queue holds no allocation; it is released when drained.
  std::mutex outbound_mutex_;
  std::vector<std::vector<uint8_t>> outbound_;
  bool writer_scheduled_ = false;  // a write is in flight or about to start
  bool flush_then_close_ = false;
  std::atomic<std::size_t> outbound_bytes_{0};
  std::string close_reason_;
  // The bytes of the write in flight (strand only).
  std::vector<uint8_t> writing_;

  // The idle deadline; its executor is the strand (mutable: get_executor() is not const).
  mutable boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point last_read_;
  std::atomic<bool> closed_{false};
  // Strand-only state.
  bool read_pending_ = false;  // a wait or read is in flight
  bool processing_ = false;    // inside process_buffer()
  bool handshake_done_ = false;
  bool reading_stopped_ = false;  // for good: closing
  bool paused_by_protocol_ = false;
  bool paused_by_backpressure_ = false;
  bool timer_pending_ = false;
  bool closing_ = false;  // the graceful close is under way
  bool finished_ = false;
};

// The live connections of one listener: shutdown and gauges.
class ConnectionSet {
 public:
  std::size_t size() const;
  // Calls on_server_shutdown() on every connection, on its strand.
  void shutdown_all();
  // Aborts every connection.
  void abort_all(const std::string& reason);
  void for_each(const std::function<void(const std::shared_ptr<Connection>&)>& fn) const;

 private:
  friend class Connection;
  void add(const std::shared_ptr<Connection>& connection);
  void remove(const Connection* connection);

  mutable std::mutex mutex_;
  std::unordered_set<std::shared_ptr<Connection>> connections_;
};

}  // namespace mockforge::net
