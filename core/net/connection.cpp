#include "core/net/connection.h"

#include <cstring>

#include <boost/asio.hpp>

namespace mockforge::net {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxCoalescedWrite = 1 << 20;
std::atomic<uint64_t> next_connection_id{1};

}  // namespace

Connection::Connection(std::unique_ptr<Transport> transport, asio::any_io_executor strand,
                       ConnectionLimits limits, ConnectionSet& set)
    : transport_(std::move(transport)),
      limits_(limits),
      set_(set),
      remote_address_(transport_->remote_address()),
      id_(next_connection_id.fetch_add(1)),
      timer_(std::move(strand)),
      last_read_(std::chrono::steady_clock::now()) {}

Connection::~Connection() = default;

std::shared_ptr<Connection> Connection::start(std::unique_ptr<Transport> transport,
                                              asio::any_io_executor strand, ConnectionLimits limits,
                                              ConnectionSet& set, ProtocolFactory make_protocol) {
  // One allocation for the object and its control block.
  struct Constructible : Connection {
    Constructible(std::unique_ptr<Transport> t, asio::any_io_executor s, ConnectionLimits l,
                  ConnectionSet& c)
        : Connection(std::move(t), std::move(s), l, c) {}
  };
  std::shared_ptr<Connection> connection =
      std::make_shared<Constructible>(std::move(transport), strand, limits, set);
  set.add(connection);
  asio::dispatch(strand, [connection, make_protocol = std::move(make_protocol)] {
    try {
      connection->protocol_ = make_protocol(*connection);
    } catch (const std::exception& e) {
      connection->finish(std::string("protocol set-up failed: ") + e.what());
      return;
    }
    connection->transport_->async_handshake(connection->completion(TransportEvent::kHandshake));
    connection->arm_timer();
  });
  return connection;
}

TransportCompletion Connection::completion(TransportEvent event) {
  return TransportCompletion{std::shared_ptr<TransportOwner>(shared_from_this()), event};
}

void Connection::on_transport(TransportEvent event, const boost::system::error_code& error,
                              std::size_t bytes) {
  switch (event) {
    case TransportEvent::kHandshake:
      if (finished_) return;
      if (error) {
        finish("handshake failed: " + error.message());
        return;
      }
      handshake_done_ = true;
      read_more();
      return;
    case TransportEvent::kReadable:
      on_readable(error);
      return;
    case TransportEvent::kRead:
      on_read(error, bytes);
      return;
    case TransportEvent::kWritten:
      on_written(error, bytes);
      return;
    case TransportEvent::kClosed:
      finish(close_reason_);
      return;
    case TransportEvent::kTimer:
      timer_pending_ = false;
      on_timer();
      return;
  }
}

// ---- Sending -----------------------------------------------------------------

void Connection::send(std::vector<uint8_t> bytes) {
  if (bytes.empty() || closed()) return;
  bool start_writer = false;
  {
    std::lock_guard lock(outbound_mutex_);
    if (flush_then_close_) return;
    outbound_bytes_.fetch_add(bytes.size(), std::memory_order_relaxed);
    outbound_.push_back(std::move(bytes));
    start_writer = !std::exchange(writer_scheduled_, true);
  }
  if (start_writer) asio::dispatch(executor(), [self = shared_from_this()] { self->write_more(); });
}

void Connection::close_after_flush(std::string reason) {
  asio::dispatch(executor(), [self = shared_from_this(), reason = std::move(reason)]() mutable {
    if (self->finished_) return;
    self->reading_stopped_ = true;
    bool start_writer = false;
    {
      std::lock_guard lock(self->outbound_mutex_);
      if (self->flush_then_close_) return;
      self->flush_then_close_ = true;
      self->close_reason_ = std::move(reason);
      start_writer = !std::exchange(self->writer_scheduled_, true);
    }
    if (start_writer) self->write_more();
  });
}

void Connection::abort(std::string reason) {
  asio::dispatch(executor(), [self = shared_from_this(), reason = std::move(reason)]() mutable {
    self->finish(std::move(reason));
  });
}

void Connection::write_more() {
  if (finished_ || closing_) return;
  bool close_now = false;
  {
    std::lock_guard lock(outbound_mutex_);
    if (outbound_.empty()) {
      close_now = flush_then_close_;
      if (!close_now) {
        writer_scheduled_ = false;
        // Drained: hold no write buffer while idle.
        std::vector<uint8_t>().swap(writing_);
        std::vector<std::vector<uint8_t>>().swap(outbound_);
        return;
      }
    } else if (outbound_.size() == 1 || outbound_.front().size() >= kMaxCoalescedWrite) {
      writing_ = std::move(outbound_.front());
      outbound_.erase(outbound_.begin());
    } else {
      // Coalesce queued frames into one write of at most kMaxCoalescedWrite.
      writing_.clear();
      std::size_t taken = 0;
      while (taken < outbound_.size() &&
             writing_.size() + outbound_[taken].size() <= kMaxCoalescedWrite) {
        writing_.insert(writing_.end(), outbound_[taken].begin(), outbound_[taken].end());
        ++taken;
      }
      outbound_.erase(outbound_.begin(), outbound_.begin() + static_cast<std::ptrdiff_t>(taken));
    }
    if (outbound_.empty()) std::vector<std::vector<uint8_t>>().swap(outbound_);
  }
  if (close_now) {
    closing_ = true;
    std::vector<uint8_t>().swap(writing_);
    transport_->async_graceful_close(completion(TransportEvent::kClosed));
    return;
  }
  transport_->async_write(asio::buffer(writing_), completion(TransportEvent::kWritten));
}

void Connection::on_written(const boost::system::error_code& error, std::size_t) {
  if (finished_) return;
  if (error) {
    fail(error);
    return;
  }
  const std::size_t written = writing_.size();
  const auto left = outbound_bytes_.fetch_sub(written, std::memory_order_relaxed) - written;
  if (writing_.capacity() > kMaxCoalescedWrite) std::vector<uint8_t>().swap(writing_);
  if (paused_by_backpressure_ && left <= limits_.max_outbound_bytes / 2) {
    paused_by_backpressure_ = false;
    read_more();
    if (finished_) return;
  }
  write_more();
}

// ---- Reading -----------------------------------------------------------------

bool Connection::may_read() const {
  return handshake_done_ && !finished_ && !reading_stopped_ && !paused_by_protocol_;
}

void Connection::read_more() {
  if (read_pending_ || processing_ || !may_read()) return;
  if (outbound_bytes() > limits_.max_outbound_bytes) {
    paused_by_backpressure_ = true;  // on_written resumes
    return;
  }
  read_pending_ = true;
  if (read_pos_ == write_pos_) {
    // Nothing buffered: wait without holding a buffer (10,000 idle clients
    // would otherwise keep 16 KiB each).
    read_pos_ = write_pos_ = 0;
    std::vector<UninitializedByte>().swap(buffer_);
    transport_->async_wait_readable(completion(TransportEvent::kReadable));
    return;
  }
  on_readable({});
}

void Connection::on_readable(const boost::system::error_code& error) {
  read_pending_ = false;
  if (error) {
    fail(error);
    return;
  }
  if (!may_read()) return;
  if (buffer_.size() - write_pos_ < kReadChunk / 4) {
    if (read_pos_ > 0) {
      std::memmove(buffer_data(), buffer_data() + read_pos_, write_pos_ - read_pos_);
      write_pos_ -= read_pos_;
      read_pos_ = 0;
    }
    if (buffer_.size() - write_pos_ < kReadChunk / 4) buffer_.resize(write_pos_ + kReadChunk);
  }
  read_pending_ = true;
  transport_->async_read_some(asio::buffer(buffer_data() + write_pos_, buffer_.size() - write_pos_),
                              completion(TransportEvent::kRead));
}

void Connection::on_read(const boost::system::error_code& error, std::size_t bytes) {
  read_pending_ = false;
  if (error) {
    fail(error);
    return;
  }
  write_pos_ += bytes;
  last_read_ = std::chrono::steady_clock::now();
  if (process_buffer()) read_more();
}

bool Connection::process_buffer() {
  processing_ = true;
  struct Done {
    bool& flag;
    ~Done() { flag = false; }
  } done{processing_};
  while (read_pos_ < write_pos_) {
    if (finished_ || reading_stopped_ || paused_by_protocol_) return false;
    const std::span<const uint8_t> unread(buffer_data() + read_pos_, write_pos_ - read_pos_);
    const auto status = protocol_->next_frame(unread);
    switch (status.kind) {
      case FrameStatus::Kind::kComplete:
        protocol_->on_frame(unread.first(status.length));
        read_pos_ += status.length;
        continue;
      case FrameStatus::Kind::kNeedMore: {
        const std::size_t needed = std::max(status.length, unread.size());
        if (needed > limits_.max_buffered_bytes) {
          protocol_->on_invalid_frame("frame larger than the connection's buffer limit");
          close_after_flush("frame too large");
          return false;
        }
        if (status.length > 0 && buffer_.size() - read_pos_ < status.length) {
          // Make room for the whole frame at once; its size was checked above.
          std::memmove(buffer_data(), buffer_data() + read_pos_, unread.size());
          write_pos_ = unread.size();
          read_pos_ = 0;
          buffer_.resize(status.length);
        }
        return true;
      }
      case FrameStatus::Kind::kInvalid:
        protocol_->on_invalid_frame(status.error);
        close_after_flush("invalid frame: " + status.error);
        return false;
    }
  }
  // Everything consumed; read_more() releases the buffer before it waits.
  read_pos_ = write_pos_ = 0;
  return !finished_ && !reading_stopped_;
}

void Connection::pause_reading() { paused_by_protocol_ = true; }

void Connection::resume_reading() {
  if (!paused_by_protocol_) return;
  paused_by_protocol_ = false;
  // Called from on_frame, the frame loop simply goes on; otherwise deliver
  // what is buffered, then read. Posted, so that the caller's own state is
  // settled before frames arrive.
  if (processing_) return;
  asio::post(executor(), [self = shared_from_this()] {
    if (self->processing_ || !self->may_read()) return;
    if (self->process_buffer()) self->read_more();
  });
}

// ---- Idle deadline -------------------------------------------------------------

void Connection::set_idle_timeout(std::chrono::milliseconds timeout) {
  limits_.idle_timeout = timeout;
  last_read_ = std::chrono::steady_clock::now();
  if (finished_) return;
  if (timer_pending_) {
    // A later deadline is picked up when the pending wait fires; an earlier
    // one needs the wait cancelled (it then re-arms).
    if (timeout.count() > 0 && last_read_ + timeout < timer_.expiry()) timer_.cancel();
    return;
  }
  arm_timer();
}

void Connection::arm_timer() {
  if (finished_ || timer_pending_ || limits_.idle_timeout.count() == 0) return;
  timer_.expires_at(last_read_ + limits_.idle_timeout);
  timer_pending_ = true;
  timer_.async_wait(completion(TransportEvent::kTimer));
}

void Connection::on_timer() {
  if (finished_ || limits_.idle_timeout.count() == 0) return;
  if (std::chrono::steady_clock::now() >= last_read_ + limits_.idle_timeout) {
    last_read_ = std::chrono::steady_clock::now();
    protocol_->on_idle_timeout();
  }
  arm_timer();
}

// ---- Closing -----------------------------------------------------------------

void Connection::fail(const boost::system::error_code& error) {
  if (finished_) return;
  finish(transport_->is_orderly_close(error) ? std::string("closed by peer")
                                             : boost::system::system_error(error).what());
}

void Connection::finish(std::string reason) {
  if (finished_) return;
  finished_ = true;
  closed_.store(true, std::memory_order_release);
  transport_->close();
  timer_.cancel();
  {
    std::lock_guard lock(outbound_mutex_);
    std::vector<std::vector<uint8_t>>().swap(outbound_);
    outbound_bytes_.store(0, std::memory_order_relaxed);
  }
  set_.remove(this);
  if (protocol_) protocol_->on_closed(reason);
}

// ---- ConnectionSet ---------------------------------------------------------

void ConnectionSet::add(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex_);
  connections_.insert(connection);
}

void ConnectionSet::remove(const Connection* connection) {
  std::shared_ptr<Connection> keep;  // released outside the lock
  std::lock_guard lock(mutex_);
  for (auto it = connections_.begin(); it != connections_.end(); ++it) {
    if (it->get() == connection) {
      keep = *it;
      connections_.erase(it);
      break;
    }
  }
}

std::size_t ConnectionSet::size() const {
  std::lock_guard lock(mutex_);
  return connections_.size();
}

void ConnectionSet::for_each(
    const std::function<void(const std::shared_ptr<Connection>&)>& fn) const {
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot.assign(connections_.begin(), connections_.end());
  }
  for (const auto& connection : snapshot) fn(connection);
}

void ConnectionSet::shutdown_all() {
  for_each([](const std::shared_ptr<Connection>& connection) {
    asio::dispatch(connection->executor(), [connection] {
      if (!connection->finished_ && connection->protocol_) connection->protocol_->on_server_shutdown();
    });
  });
}

void ConnectionSet::abort_all(const std::string& reason) {
  for_each([&](const std::shared_ptr<Connection>& connection) { connection->abort(reason); });
}

}  // namespace mockforge::net
