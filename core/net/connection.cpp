#include "core/net/connection.h"

#include <cstring>

#include <boost/asio.hpp>

namespace mockforge::net {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxCoalescedWrite = 1 << 20;
std::atomic<uint64_t> next_connection_id{1};

bool is_orderly_close(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::operation_aborted || ec == asio::error::broken_pipe;
}

}  // namespace

Connection::Connection(std::unique_ptr<Transport> transport, asio::any_io_executor strand,
                       ConnectionLimits limits, ConnectionSet& set)
    : transport_(std::move(transport)),
      strand_(std::move(strand)),
      limits_(limits),
      set_(set),
      remote_address_(transport_->remote_address()),
      id_(next_connection_id.fetch_add(1)),
      writer_wakeup_(strand_),
      reader_wakeup_(strand_),
      idle_timer_(strand_),
      last_read_(std::chrono::steady_clock::now()) {}

Connection::~Connection() = default;

std::shared_ptr<Connection> Connection::start(std::unique_ptr<Transport> transport,
                                              asio::any_io_executor strand, ConnectionLimits limits,
                                              ConnectionSet& set, ProtocolFactory make_protocol) {
  std::shared_ptr<Connection> connection(
      new Connection(std::move(transport), strand, limits, set));
  set.add(connection);
  asio::dispatch(strand, [connection, make_protocol = std::move(make_protocol)] {
    try {
      connection->protocol_ = make_protocol(*connection);
    } catch (const std::exception& e) {
      connection->finish(std::string("protocol set-up failed: ") + e.what());
      return;
    }
    asio::co_spawn(connection->strand_, connection->read_loop(), asio::detached);
    asio::co_spawn(connection->strand_, connection->write_loop(), asio::detached);
    asio::co_spawn(connection->strand_, connection->idle_watchdog(), asio::detached);
  });
  return connection;
}

void Connection::wake(asio::steady_timer& timer) { timer.cancel(); }

void Connection::send(std::vector<uint8_t> bytes) {
  if (bytes.empty() || closed()) return;
  bool was_empty;
  {
    std::lock_guard lock(outbound_mutex_);
    if (flush_then_close_) return;
    was_empty = outbound_.empty();
    outbound_bytes_.fetch_add(bytes.size(), std::memory_order_relaxed);
    outbound_.push_back(std::move(bytes));
  }
  if (was_empty) {
    asio::dispatch(strand_, [self = shared_from_this()] { self->wake(self->writer_wakeup_); });
  }
}

void Connection::close_after_flush(std::string reason) {
  asio::dispatch(strand_, [self = shared_from_this(), reason = std::move(reason)]() mutable {
    if (self->finished_) return;
    self->reading_stopped_ = true;
    {
      std::lock_guard lock(self->outbound_mutex_);
      if (self->flush_then_close_) return;
      self->flush_then_close_ = true;
      self->close_reason_ = std::move(reason);
    }
    self->wake(self->writer_wakeup_);
    self->wake(self->reader_wakeup_);
  });
}

void Connection::abort(std::string reason) {
  asio::dispatch(strand_, [self = shared_from_this(), reason = std::move(reason)]() mutable {
    self->finish(std::move(reason));
  });
}

void Connection::set_idle_timeout(std::chrono::milliseconds timeout) {
  limits_.idle_timeout = timeout;
  last_read_ = std::chrono::steady_clock::now();
  idle_timer_.cancel();
}

asio::awaitable<void> Connection::read_loop() {
  auto self = shared_from_this();
  try {
    co_await transport_->handshake();
  } catch (const std::exception& e) {
    finish(std::string("handshake failed: ") + e.what());
    co_return;
  }
  while (!finished_ && !reading_stopped_) {
    while (outbound_bytes() > limits_.max_outbound_bytes && !finished_ && !reading_stopped_) {
      reader_wakeup_.expires_at(asio::steady_timer::time_point::max());
      co_await reader_wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (finished_ || reading_stopped_) break;
    try {
      if (read_pos_ == write_pos_) {
        // Nothing buffered: wait without holding a buffer (10,000 idle clients
        // would otherwise keep 16 KiB each).
        read_pos_ = write_pos_ = 0;
        std::vector<UninitializedByte>().swap(buffer_);
        co_await transport_->wait_readable();
        if (finished_ || reading_stopped_) break;
      }
      if (buffer_.size() - write_pos_ < kReadChunk / 4) {
        if (read_pos_ > 0) {
          std::memmove(buffer_data(), buffer_data() + read_pos_, write_pos_ - read_pos_);
          write_pos_ -= read_pos_;
          read_pos_ = 0;
        }
        if (buffer_.size() - write_pos_ < kReadChunk / 4) buffer_.resize(write_pos_ + kReadChunk);
      }
      const auto n = co_await transport_->read_some(
          asio::buffer(buffer_data() + write_pos_, buffer_.size() - write_pos_));
      write_pos_ += n;
    } catch (const boost::system::system_error& e) {
      finish(is_orderly_close(e.code()) ? "closed by peer" : e.what());
      co_return;
    } catch (const std::exception& e) {
      finish(e.what());
      co_return;
    }
    last_read_ = std::chrono::steady_clock::now();
    if (finished_ || reading_stopped_) break;
    if (!process_buffer()) break;
  }
}

bool Connection::process_buffer() {
  while (read_pos_ < write_pos_) {
    const std::span<const uint8_t> unread(buffer_data() + read_pos_, write_pos_ - read_pos_);
    const auto status = protocol_->next_frame(unread);
    switch (status.kind) {
      case FrameStatus::Kind::kComplete:
        protocol_->on_frame(unread.first(status.length));
        read_pos_ += status.length;
        if (finished_ || reading_stopped_) return false;
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
  // Everything consumed. The read loop releases the buffer before it waits.
  read_pos_ = write_pos_ = 0;
  return true;
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();
  std::vector<uint8_t> chunk;
  while (!finished_) {
    bool close_now = false;
    chunk.clear();
    {
      std::lock_guard lock(outbound_mutex_);
      if (outbound_.empty()) {
        close_now = flush_then_close_;
      } else if (outbound_.size() == 1 || outbound_.front().size() >= kMaxCoalescedWrite) {
        chunk = std::move(outbound_.front());
        outbound_.pop_front();
      } else {
        while (!outbound_.empty() && chunk.size() + outbound_.front().size() <= kMaxCoalescedWrite) {
          chunk.insert(chunk.end(), outbound_.front().begin(), outbound_.front().end());
          outbound_.pop_front();
        }
      }
    }
    if (close_now) {
      try {
        co_await transport_->graceful_close();
      } catch (const std::exception&) {
        // The peer may be gone already; the close below is what matters.
      }
      finish(close_reason_);
      co_return;
    }
    if (chunk.empty()) {
      writer_wakeup_.expires_at(asio::steady_timer::time_point::max());
      co_await writer_wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    try {
      co_await transport_->write(asio::buffer(chunk));
    } catch (const boost::system::system_error& e) {
      finish(is_orderly_close(e.code()) ? "closed by peer" : e.what());
      co_return;
    }
    const auto left = outbound_bytes_.fetch_sub(chunk.size(), std::memory_order_relaxed) - chunk.size();
    if (left <= limits_.max_outbound_bytes / 2) wake(reader_wakeup_);
    if (chunk.capacity() > kMaxCoalescedWrite) std::vector<uint8_t>().swap(chunk);
  }
}

asio::awaitable<void> Connection::idle_watchdog() {
  auto self = shared_from_this();
  while (!finished_) {
    if (limits_.idle_timeout.count() == 0) {
      idle_timer_.expires_at(asio::steady_timer::time_point::max());
    } else {
      const auto deadline = last_read_ + limits_.idle_timeout;
      if (std::chrono::steady_clock::now() >= deadline) {
        protocol_->on_idle_timeout();
        last_read_ = std::chrono::steady_clock::now();
        continue;
      }
      idle_timer_.expires_at(deadline);
    }
    co_await idle_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void Connection::finish(std::string reason) {
  if (finished_) return;
  finished_ = true;
  closed_.store(true, std::memory_order_release);
  transport_->close();
  writer_wakeup_.cancel();
  reader_wakeup_.cancel();
  idle_timer_.cancel();
  {
    std::lock_guard lock(outbound_mutex_);
    outbound_.clear();
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
    asio::dispatch(connection->strand_, [connection] {
      if (!connection->finished_ && connection->protocol_) connection->protocol_->on_server_shutdown();
    });
  });
}

void ConnectionSet::abort_all(const std::string& reason) {
  for_each([&](const std::shared_ptr<Connection>& connection) { connection->abort(reason); });
}

}  // namespace mockforge::net
