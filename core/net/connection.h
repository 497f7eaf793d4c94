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

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
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

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using ProtocolFactory = std::function<std::unique_ptr<FrameProtocol>(Connection&)>;

  // Creates the connection, registers it in `set`, and starts it on the
  // transport's strand. The factory runs there, before the first read.
  static std::shared_ptr<Connection> start(std::unique_ptr<Transport> transport,
                                           boost::asio::any_io_executor strand,
                                           ConnectionLimits limits, ConnectionSet& set,
                                           ProtocolFactory make_protocol);

  ~Connection();
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

  boost::asio::any_io_executor executor() const { return strand_; }
  const std::string& remote_address() const { return remote_address_; }
  uint64_t id() const { return id_; }
  bool closed() const { return closed_.load(std::memory_order_acquire); }

 private:
  Connection(std::unique_ptr<Transport> transport, boost::asio::any_io_executor strand,
             ConnectionLimits limits, ConnectionSet& set);

  friend class ConnectionSet;
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> idle_watchdog();
  bool process_buffer();
  void finish(std::string reason);
  void wake(boost::asio::steady_timer& timer);

  std::unique_ptr<Transport> transport_;
  boost::asio::any_io_executor strand_;
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

  std::mutex outbound_mutex_;
  std::deque<std::vector<uint8_t>> outbound_;
  std::atomic<std::size_t> outbound_bytes_{0};
  bool flush_then_close_ = false;
  std::string close_reason_;

  boost::asio::steady_timer writer_wakeup_;
  boost::asio::steady_timer reader_wakeup_;
  boost::asio::steady_timer idle_timer_;
  std::chrono::steady_clock::time_point last_read_;
  std::atomic<bool> closed_{false};
  bool reading_stopped_ = false;
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
