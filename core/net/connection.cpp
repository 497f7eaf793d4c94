#include "core/net/connection.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <cstring>
#include <limits>

#include "core/net/deadline_wheel.h"
#include "core/net/tls.h"
#include "core/net/transports.h"

namespace mockforge::net {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
// A frame up to this size gets its whole buffer at once when its length is known (a Kafka
// produce request of librdkafka's default 1 MB batches); a larger one grows with what arrives.
// The buffer's pages cost memory only as the frame's bytes fill them.
constexpr std::size_t kWholeFrameBuffer = 2 * 1024 * 1024;
constexpr std::size_t kMaxCoalescedWrite = 1 << 20;
std::atomic<uint32_t> next_connection_id{1};

uint32_t clock_ms(std::chrono::steady_clock::time_point at) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count());
}

uint32_t clamp32(std::size_t value) {
  return static_cast<uint32_t>(std::min<std::size_t>(value, std::numeric_limits<uint32_t>::max()));
}

void unlink(detail::ListLinks& links) {
  links.prev->next = links.next;
  links.next->prev = links.prev;
  links.prev = links.next = nullptr;
}

}  // namespace

// ---- Creation ------------------------------------------------------------------

// A WebSocket or TLS transport is too large to sit in the connection's
// transport slot: the slot holds this, and the transport its own allocation.
class OwnedTransportProxy final : public Transport {
 public:
  explicit OwnedTransportProxy(std::unique_ptr<Transport> impl) : impl_(std::move(impl)) {}

  Executor executor() const override { return impl_->executor(); }
  void async_handshake(HandshakeCompletion done) override {
    impl_->async_handshake(std::move(done));
  }
  bool has_handshake() const override { return impl_->has_handshake(); }
  void async_wait_readable(ReadableCompletion done) override {
    impl_->async_wait_readable(std::move(done));
  }
  bool can_read_now() const override { return impl_->can_read_now(); }
  std::size_t read_now(asio::mutable_buffer into, boost::system::error_code& error) override {
    return impl_->read_now(into, error);
  }
  void async_read_some(asio::mutable_buffer into, ReadCompletion done) override {
    impl_->async_read_some(into, std::move(done));
  }
  void async_write(asio::const_buffer bytes, WrittenCompletion done) override {
    impl_->async_write(bytes, std::move(done));
  }
  void async_graceful_close(ClosedCompletion done) override {
    impl_->async_graceful_close(std::move(done));
  }
  void close() override { impl_->close(); }
  std::string remote_address() const override { return impl_->remote_address(); }
  std::optional<PeerCertificate> peer_certificate() const override {
    return impl_->peer_certificate();
  }
  bool is_tls() const override { return impl_->is_tls(); }
  bool is_orderly_close(const boost::system::error_code& error) const override {
    return impl_->is_orderly_close(error);
  }

 private:
  std::unique_ptr<Transport> impl_;
};

Connection::Connection(Socket socket, const WebSocketOptions* websocket, const TlsContext* tls,
                       ConnectionLimits limits, ConnectionSet& set)
    : set_(&set),
      id_(next_connection_id.fetch_add(1, std::memory_order_relaxed)),
      last_read_ms_(clock_ms(std::chrono::steady_clock::now())),
      max_buffered_bytes_(clamp32(limits.max_buffered_bytes)),
      max_outbound_bytes_(clamp32(limits.max_outbound_bytes)),
      idle_timeout_ms_(
          clamp32(static_cast<std::size_t>(std::max<int64_t>(0, limits.idle_timeout.count())))),
      keep_read_buffer_(limits.keep_read_buffer) {
  static_assert(sizeof(TcpTransport) <= kTransportSlot &&
                sizeof(OwnedTransportProxy) <= kTransportSlot);
  static_assert(alignof(TcpTransport) <= alignof(Socket) &&
                alignof(OwnedTransportProxy) <= alignof(Socket));
  if (tls) {
    new (transport_slot_) OwnedTransportProxy(tls->make_transport(std::move(socket), websocket));
  } else if (websocket) {
    new (transport_slot_)
        OwnedTransportProxy(make_websocket_transport(std::move(socket), *websocket));
  } else {
    new (transport_slot_) TcpTransport(std::move(socket));
  }
}

Connection::~Connection() {
  // The protocol goes first, while the transport it may still ask is there.
  protocol_.reset();
  transport().~Transport();
  // Normally finish() did this; not when the io_context stopped first.
  DeadlineWheel::disarm(*this);
  if (set_) set_->remove(*this);
}

std::shared_ptr<Connection> Connection::start(Socket socket, ConnectionLimits limits,
                                              ConnectionSet& set, ProtocolFactory make_protocol) {
  return launch(std::move(socket), nullptr, nullptr, limits, set, std::move(make_protocol));
}

std::shared_ptr<Connection> Connection::start(Socket socket, const TlsContext& tls,
                                              ConnectionLimits limits, ConnectionSet& set,
                                              ProtocolFactory make_protocol) {
  return launch(std::move(socket), nullptr, &tls, limits, set, std::move(make_protocol));
}

std::shared_ptr<Connection> Connection::start(Socket socket, WebSocketOptions websocket,
                                              const TlsContext& tls, ConnectionLimits limits,
                                              ConnectionSet& set, ProtocolFactory make_protocol) {
  return launch(std::move(socket), &websocket, &tls, limits, set, std::move(make_protocol));
}

std::shared_ptr<Connection> Connection::start(Socket socket, WebSocketOptions websocket,
                                              ConnectionLimits limits, ConnectionSet& set,
                                              ProtocolFactory make_protocol) {
  return launch(std::move(socket), &websocket, nullptr, limits, set, std::move(make_protocol));
}

std::shared_ptr<Connection> Connection::launch(Socket socket, const WebSocketOptions* websocket,
                                               const TlsContext* tls, ConnectionLimits limits,
                                               ConnectionSet& set, ProtocolFactory make_protocol) {
  // One block of the small-object pool for the object (with its transport)
  // and its control block.
  struct Constructible : Connection {
    Constructible(Socket s, const WebSocketOptions* w, const TlsContext* t, ConnectionLimits l,
                  ConnectionSet& c)
        : Connection(std::move(s), w, t, l, c) {}
  };
  std::shared_ptr<Connection> connection = std::allocate_shared<Constructible>(
      SmallPoolAllocator<Constructible>(), std::move(socket), websocket, tls, limits, set);
  set.add(*connection);
  // Posted from the accepting thread; from the pool, since a burst of
  // connects queues many of these at once.
  asio::dispatch(
      connection->transport().executor(),
      asio::bind_allocator(
          OperationAllocator<void>(), [connection, make_protocol = std::move(make_protocol)] {
            try {
              connection->protocol_ = make_protocol(*connection);
            } catch (const std::exception& e) {
              connection->finish(std::string("protocol set-up failed: ") + e.what());
              return;
            }
            connection->transport().async_handshake(
                connection->completion<TransportEvent::kHandshake>());
            connection->arm_deadline();
          }));
  return connection;
}

template <TransportEvent Event>
void TransportCompletion<Event>::operator()(const boost::system::error_code& error,
                                            std::size_t bytes) const {
  owner->on_transport(Event, error, bytes);
}
template struct TransportCompletion<TransportEvent::kHandshake>;
template struct TransportCompletion<TransportEvent::kReadable>;
template struct TransportCompletion<TransportEvent::kRead>;
template struct TransportCompletion<TransportEvent::kWritten>;
template struct TransportCompletion<TransportEvent::kClosed>;

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
      if (transport().has_handshake()) {
        // The protocol's own timeout (CONNECT, AMQP handshake) starts now.
        note_read(std::chrono::steady_clock::now());
        arm_deadline();
      }
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
    case TransportEvent::kClosed: {
      std::string reason;
      {
        std::lock_guard lock(out_lock_);
        if (out_) reason = std::move(out_->close_reason);
      }
      finish(std::move(reason));
      return;
    }
  }
}

// ---- Sending -----------------------------------------------------------------

std::size_t Connection::outbound_bytes() const {
  std::lock_guard lock(out_lock_);
  return out_ ? out_->bytes : 0;
}

void Connection::send(std::vector<uint8_t> bytes) {
  if (bytes.empty() || closed()) return;
  bool start_writer = false;
  {
    std::lock_guard lock(out_lock_);
    if (flush_then_close_) return;
    if (!out_) out_ = std::make_unique<Outbound>();
    out_->bytes += bytes.size();
    out_->queue.push_back(std::move(bytes));
    start_writer = !writer_scheduled_;
    writer_scheduled_ = true;
  }
  if (start_writer) {
    asio::dispatch(transport().executor(), [self = shared_from_this()] { self->write_more(); });
  }
}

void Connection::close_after_flush(std::string reason) {
  asio::dispatch(transport().executor(),
                 [self = shared_from_this(), reason = std::move(reason)]() mutable {
                   if (self->finished_) return;
                   self->reading_stopped_ = true;
                   bool start_writer = false;
                   {
                     std::lock_guard lock(self->out_lock_);
                     if (self->flush_then_close_) return;
                     self->flush_then_close_ = true;
                     if (!self->out_) self->out_ = std::make_unique<Outbound>();
                     self->out_->close_reason = std::move(reason);
                     start_writer = !self->writer_scheduled_;
                     self->writer_scheduled_ = true;
                   }
                   if (start_writer) self->write_more();
                 });
}

void Connection::notify_when_drained() {
  if (finished_) return;
  if (outbound_bytes() > 0) {
    drain_notice_ = true;  // on_written calls back
    return;
  }
  asio::post(transport().executor(), [self = shared_from_this()] {
    if (!self->finished_) self->protocol_->on_output_drained();
  });
}

void Connection::abort(std::string reason) {
  asio::dispatch(transport().executor(),
                 [self = shared_from_this(), reason = std::move(reason)]() mutable {
                   self->finish(std::move(reason));
                 });
}

void Connection::write_more() {
  if (finished_ || closing_) return;
  bool close_now = false;
  Outbound* out = nullptr;
  {
    std::lock_guard lock(out_lock_);
    out = out_.get();  // exists: writer_scheduled_ was set with something queued or a close
    auto& queue = out->queue;
    if (queue.empty()) {
      close_now = flush_then_close_;
      if (!close_now) {
        writer_scheduled_ = false;
        out_.reset();  // drained: hold nothing while idle
        return;
      }
    } else if (queue.size() == 1 || queue.front().size() >= kMaxCoalescedWrite) {
      out->writing = std::move(queue.front());
      queue.erase(queue.begin());
    } else {
      // Coalesce queued frames into one write of at most kMaxCoalescedWrite.
      out->writing.clear();
      std::size_t taken = 0;
      while (taken < queue.size() &&
             out->writing.size() + queue[taken].size() <= kMaxCoalescedWrite) {
        out->writing.insert(out->writing.end(), queue[taken].begin(), queue[taken].end());
        ++taken;
      }
      queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(taken));
    }
    if (queue.empty()) std::vector<std::vector<uint8_t>>().swap(queue);
  }
  // The writing buffer is the executor's alone; send() only touches the queue.
  if (close_now) {
    closing_ = true;
    std::vector<uint8_t>().swap(out->writing);
    transport().async_graceful_close(completion<TransportEvent::kClosed>());
    return;
  }
  transport().async_write(asio::buffer(out->writing), completion<TransportEvent::kWritten>());
}

void Connection::on_written(const boost::system::error_code& error, std::size_t) {
  if (finished_) return;
  if (error) {
    fail(error);
    return;
  }
  Outbound* out = nullptr;
  std::size_t left = 0;
  {
    std::lock_guard lock(out_lock_);
    out = out_.get();  // kept while the write was in flight
    out->bytes -= out->writing.size();
    left = out->bytes;
  }
  if (out->writing.capacity() > kMaxCoalescedWrite) {
    std::vector<uint8_t>().swap(out->writing);
  } else {
    out->writing.clear();
  }
  if (paused_by_backpressure_ && left <= max_outbound_bytes_ / 2) {
    paused_by_backpressure_ = false;
    note_read(std::chrono::steady_clock::now());  // the idle time counts from here (on_deadline)
    // Frames read before the pause go first.
    if (!processing_ && process_buffer()) read_more();
    if (finished_) return;
  }
  if (drain_notice_ && !processing_ && outbound_bytes() == 0) {
    drain_notice_ = false;
    protocol_->on_output_drained();  // may send: write_more() below takes it
    if (finished_) return;
  }
  write_more();
}

// ---- Reading -----------------------------------------------------------------

bool Connection::may_read() const {
  return handshake_done_ && !finished_ && !reading_stopped_ && !paused_by_protocol_;
}

void Connection::resize_buffer(std::size_t size, std::size_t keep) {
  std::unique_ptr<ReadBuffer, FreeReadBuffer> bigger(new (::operator new(sizeof(ReadBuffer) + size))
                                                         ReadBuffer);
  bigger->size = static_cast<uint32_t>(size);
  bigger->write = static_cast<uint32_t>(keep);
  if (keep > 0) std::memcpy(bigger->bytes(), buffer_->bytes(), keep);
  buffer_ = std::move(bigger);
}

void Connection::read_more() {
  if (read_pending_ || processing_ || !may_read()) return;
  if (outbound_bytes() > max_outbound_bytes_) {
    paused_by_backpressure_ = true;  // on_written resumes
    return;
  }
  if (keep_read_buffer_) {
    // A buffer grown for one large frame goes back to the usual size.
    if (!has_unread() && buffer_ && buffer_->size > kReadChunk) buffer_.reset();
    read_buffered();
    return;
  }
  if (!has_unread()) {
    // Nothing buffered: hold no buffer (10,000 idle clients would otherwise
    // keep 16 KiB each).
    buffer_.reset();
    if (transport().can_read_now()) {
      read_directly();
    } else {
      read_pending_ = true;
      transport().async_wait_readable(completion<TransportEvent::kReadable>());
    }
    return;
  }
  read_buffered();
}

namespace {

// Each io_context thread reads into one buffer of its own; a connection
// keeps only the bytes of a frame that is not complete yet.
struct ScratchBuffer {
  std::unique_ptr<uint8_t[]> bytes = std::make_unique_for_overwrite<uint8_t[]>(kReadChunk);
  bool busy = false;
};

ScratchBuffer& scratch_buffer() {
  thread_local ScratchBuffer scratch;
  return scratch;
}

// Reads in a row before a connection lets the others of its thread go first.
constexpr int kDirectReadRounds = 4;

}  // namespace

void Connection::read_directly() {
  for (int round = 0; round < kDirectReadRounds; ++round) {
    ScratchBuffer& scratch = scratch_buffer();
    if (scratch.busy) {  // not expected: reads never nest on one thread
      read_buffered();
      return;
    }
    boost::system::error_code error;
    const std::size_t bytes =
        transport().read_now(asio::buffer(scratch.bytes.get(), kReadChunk), error);
    if (error == asio::error::would_block || error == asio::error::try_again) {
      // Drained: wait (Asio re-arms the socket's edge-triggered epoll
      // registration for a wait, so data that came meanwhile is seen).
      read_pending_ = true;
      transport().async_wait_readable(completion<TransportEvent::kReadable>());
      return;
    }
    if (error) {
      fail(error);
      return;
    }
    bool go_on = false;
    {
      processing_ = true;
      scratch.busy = true;
      struct Done {
        Connection& connection;
        ScratchBuffer& scratch;
        ~Done() {
          connection.processing_ = false;
          scratch.busy = false;
        }
      } done{*this, scratch};
      std::size_t needed = 0;
      const std::span<const uint8_t> read(scratch.bytes.get(), bytes);
      const std::size_t used = hand_frames(read, go_on, needed);
      if (used > 0) note_read(std::chrono::steady_clock::now());
      if (used < bytes && (go_on || paused_by_protocol_ || paused_by_backpressure_) && !finished_ &&
          !reading_stopped_) {
        // Keep the rest: an incomplete frame, or frames held back while paused.
        const std::size_t rest = bytes - used;
        resize_buffer(
            std::max(rest, needed <= kWholeFrameBuffer ? needed + kReadChunk
                                                       : std::min(needed, rest + kReadChunk)),
            0);
        std::memcpy(buffer_->bytes(), read.data() + used, rest);
        buffer_->write = static_cast<uint32_t>(rest);
      }
    }
    if (!go_on || !may_read()) return;
    if (has_unread()) {
      read_buffered();  // the rest of the frame goes into the buffer
      return;
    }
    if (outbound_bytes() > max_outbound_bytes_) {
      paused_by_backpressure_ = true;  // on_written resumes
      return;
    }
    if (bytes < kReadChunk) {
      // A short read left the socket empty: wait now rather than spend a
      // read on being told so (the wait re-arms, as after would_block).
      read_pending_ = true;
      transport().async_wait_readable(completion<TransportEvent::kReadable>());
      return;
    }
  }
  // More keeps arriving: let the other connections of this thread run first.
  read_pending_ = true;
  asio::post(transport().executor(),
             asio::bind_allocator(OperationAllocator<void>(), [self = shared_from_this()] {
               self->read_pending_ = false;
               self->read_more();
             }));
}

void Connection::on_readable(const boost::system::error_code& error) {
  read_pending_ = false;
  if (error) {
    fail(error);
    return;
  }
  if (!may_read()) return;
  if (!has_unread() && transport().can_read_now()) {
    read_more();
    return;
  }
  read_buffered();
}

void Connection::read_buffered() {
  if (!buffer_) resize_buffer(kReadChunk, 0);
  if (buffer_->size - buffer_->write < kReadChunk / 4) {
    ReadBuffer& buffer = *buffer_;
    if (buffer.read > 0) {
      std::memmove(buffer.bytes(), buffer.bytes() + buffer.read, buffer.write - buffer.read);
      buffer.write -= buffer.read;
      buffer.read = 0;
    }
    if (buffer.size - buffer.write < kReadChunk / 4) {
      resize_buffer(buffer.write + kReadChunk, buffer.write);
    }
  }
  read_pending_ = true;
  transport().async_read_some(
      asio::buffer(buffer_->bytes() + buffer_->write, buffer_->size - buffer_->write),
      completion<TransportEvent::kRead>());
}

void Connection::on_read(const boost::system::error_code& error, std::size_t bytes) {
  read_pending_ = false;
  if (error) {
    fail(error);
    return;
  }
  buffer_->write += static_cast<uint32_t>(bytes);
  if (process_buffer()) read_more();
}

std::size_t Connection::hand_frames(std::span<const uint8_t> bytes, bool& go_on,
                                    std::size_t& needed) {
  std::size_t used = 0;
  go_on = false;
  while (used < bytes.size()) {
    if (finished_ || reading_stopped_ || paused_by_protocol_ || paused_by_backpressure_) {
      return used;
    }
    const auto unread = bytes.subspan(used);
    const auto status = protocol_->next_frame(unread);
    switch (status.kind) {
      case FrameStatus::Kind::kComplete:
        protocol_->on_frame(unread.first(status.length));
        used += status.length;
        // The answers are over the limit: the frames after this one wait
        // (kept in the buffer) until the peer reads; on_written resumes.
        if (outbound_bytes() > max_outbound_bytes_) paused_by_backpressure_ = true;
        continue;
      case FrameStatus::Kind::kNeedMore:
        if (std::max(status.length, unread.size()) > max_buffered_bytes_) {
          protocol_->on_invalid_frame("frame larger than the connection's buffer limit");
          close_after_flush("frame too large");
          return used;
        }
        needed = status.length;
        go_on = true;
        return used;
      case FrameStatus::Kind::kInvalid:
        protocol_->on_invalid_frame(status.error);
        close_after_flush("invalid frame: " + status.error);
        return used;
    }
  }
  go_on = !finished_ && !reading_stopped_;
  return used;
}

bool Connection::process_buffer() {
  if (!has_unread()) return !finished_ && !reading_stopped_;
  processing_ = true;
  struct Done {
    Connection& connection;
    ~Done() { connection.processing_ = false; }
  } done{*this};
  bool go_on = false;
  std::size_t needed = 0;
  ReadBuffer& buffer = *buffer_;  // freed only when the connection is
  const std::size_t used = hand_frames(
      std::span<const uint8_t>(buffer.bytes() + buffer.read, buffer.write - buffer.read), go_on,
      needed);
  buffer.read += static_cast<uint32_t>(used);
  if (used > 0) note_read(std::chrono::steady_clock::now());
  if (!go_on) return false;
  if (buffer.read == buffer.write) {
    // Everything consumed; read_more() releases the buffer.
    buffer.read = buffer.write = 0;
    return true;
  }
  if (needed > 0 && buffer.size - buffer.read < needed) {
    // Room for a frame of up to kWholeFrameBuffer comes at once: growing it step by step
    // would copy what arrived at every step (a 1 MiB frame read 16 KiB at a time: 1 MiB of
    // copies). A larger frame's room grows with what arrives, doubling up to the frame's
    // (checked) size: a declared length costs nothing until its bytes come.
    const std::size_t unread = buffer.write - buffer.read;
    if (buffer.read > 0) std::memmove(buffer.bytes(), buffer.bytes() + buffer.read, unread);
    buffer.read = 0;
    buffer.write = static_cast<uint32_t>(unread);
    const std::size_t grown =
        needed <= kWholeFrameBuffer
            ? needed + kReadChunk  // the reads go on past the frame's end without a regrowth
            : std::min(needed,
                       std::max<std::size_t>(2 * std::size_t{buffer.size}, unread + kReadChunk));
    if (grown > buffer.size) resize_buffer(grown, unread);
  }
  return true;
}

void Connection::pause_reading() {
  if (paused_by_protocol_ || finished_) return;
  paused_by_protocol_ = true;
  // No read will be pending to keep this connection alive meanwhile.
  if (set_) set_->retain(shared_from_this());
}

void Connection::resume_reading() {
  if (!paused_by_protocol_) return;
  paused_by_protocol_ = false;
  note_read(std::chrono::steady_clock::now());  // the idle time counts from here (on_deadline)
  // Called from on_frame, the frame loop simply goes on; otherwise deliver
  // what is buffered, then read. Posted, so that the caller's own state is
  // settled before frames arrive.
  auto self = shared_from_this();
  if (set_) set_->release(*this);
  if (processing_) return;
  asio::post(transport().executor(), [self = std::move(self)] {
    if (self->processing_ || !self->may_read()) return;
    if (self->process_buffer()) self->read_more();
  });
}

// ---- Idle deadline -------------------------------------------------------------

void Connection::set_idle_timeout(std::chrono::milliseconds timeout) {
  idle_timeout_ms_ = clamp32(static_cast<std::size_t>(std::max<int64_t>(0, timeout.count())));
  note_read(std::chrono::steady_clock::now());
  arm_deadline();
}

void Connection::note_read(std::chrono::steady_clock::time_point now) {
  last_read_ms_ = clock_ms(now);
}

bool Connection::awaiting_handshake() const {
  return !handshake_done_ && transport().has_handshake();
}

bool Connection::has_deadline() const { return idle_timeout_ms_ != 0 || awaiting_handshake(); }

std::chrono::steady_clock::time_point Connection::deadline(
    std::chrono::steady_clock::time_point now) const {
  const uint32_t idle_for = clock_ms(now) - last_read_ms_;
  uint32_t timeout_ms = idle_timeout_ms_;
  if (awaiting_handshake()) {
    const auto handshake_ms = static_cast<uint32_t>(kHandshakeTimeout.count());
    if (timeout_ms == 0 || handshake_ms < timeout_ms) timeout_ms = handshake_ms;
  }
  return now - std::chrono::milliseconds(idle_for) + std::chrono::milliseconds(timeout_ms);
}

void Connection::arm_deadline() {
  if (finished_ || !has_deadline()) {
    DeadlineWheel::disarm(*this);
    return;
  }
  DeadlineWheel::of(transport().executor()).arm(*this, deadline(std::chrono::steady_clock::now()));
}

void Connection::on_deadline() {
  if (finished_ || !has_deadline()) return;
  if (awaiting_handshake()) {
    // Before the handshake the protocol has nothing to say: a peer that
    // connects and sends nothing (or half a TLS handshake) is dropped.
    finish("handshake timed out");
    return;
  }
  note_read(std::chrono::steady_clock::now());
  // While the broker itself holds reading back (the peer does not take its output, or the
  // protocol paused), the peer's keep-alives wait unread in the socket: its silence is ours.
  // The idle time counts again from when reading resumes, as RabbitMQ pauses its heartbeat
  // monitor while it blocks a connection.
  if (!paused_by_backpressure_ && !paused_by_protocol_) protocol_->on_idle_timeout();
  arm_deadline();
}

// ---- Closing -----------------------------------------------------------------

void Connection::fail(const boost::system::error_code& error) {
  if (finished_) return;
  finish(transport().is_orderly_close(error) ? std::string("closed by peer")
                                             : boost::system::system_error(error).what());
}

void Connection::finish(std::string reason) {
  if (finished_) return;
  finished_ = true;
  closed_.store(true, std::memory_order_release);
  // Whoever holds the last reference (a pending operation, the set while
  // paused) may let go below; this call still needs the object.
  const auto keep = shared_from_this();
  transport().close();
  DeadlineWheel::disarm(*this);
  {
    std::lock_guard lock(out_lock_);
    out_.reset();
  }
  // The read buffer stays until the connection goes: a frame loop may still
  // be walking it (when a frame's handler closed the connection).
  if (set_) set_->remove(*this);
  if (protocol_) protocol_->on_closed(reason);
}

// ---- ConnectionSet ---------------------------------------------------------

ConnectionSet::ConnectionSet() { head_.prev = head_.next = &head_; }

ConnectionSet::~ConnectionSet() {
  std::vector<std::shared_ptr<Connection>> retained;
  {
    std::lock_guard lock(mutex_);
    while (head_.next != &head_) {
      auto& links = static_cast<detail::SetLinks&>(*head_.next);
      unlink(links);
      static_cast<Connection&>(links).set_ = nullptr;
    }
    size_ = 0;
    retained.swap(retained_);
  }
  for (auto& connection : retained) connection->set_ = nullptr;
}

void ConnectionSet::add(Connection& connection) {
  std::lock_guard lock(mutex_);
  auto& links = static_cast<detail::SetLinks&>(connection);
  links.prev = head_.prev;
  links.next = &head_;
  head_.prev->next = &links;
  head_.prev = &links;
  ++size_;
}

void ConnectionSet::remove(Connection& connection) {
  std::shared_ptr<Connection> retained;  // released outside the lock
  std::lock_guard lock(mutex_);
  auto& links = static_cast<detail::SetLinks&>(connection);
  if (links.linked()) {
    unlink(links);
    --size_;
  }
  for (auto it = retained_.begin(); it != retained_.end(); ++it) {
    if (it->get() == &connection) {
      retained = std::move(*it);
      retained_.erase(it);
      break;
    }
  }
}

void ConnectionSet::retain(std::shared_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  retained_.push_back(std::move(connection));
}

void ConnectionSet::release(Connection& connection) {
  std::shared_ptr<Connection> retained;  // released outside the lock
  std::lock_guard lock(mutex_);
  for (auto it = retained_.begin(); it != retained_.end(); ++it) {
    if (it->get() == &connection) {
      retained = std::move(*it);
      retained_.erase(it);
      break;
    }
  }
}

std::size_t ConnectionSet::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

void ConnectionSet::for_each(
    const std::function<void(const std::shared_ptr<Connection>&)>& fn) const {
  std::vector<std::shared_ptr<Connection>> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot.reserve(size_);
    for (auto* links = head_.next; links != &head_; links = links->next) {
      // A connection whose last reference is going away unlinks itself
      // under this lock in its destructor; skip it.
      auto& connection = static_cast<Connection&>(static_cast<detail::SetLinks&>(*links));
      if (auto alive = connection.weak_from_this().lock()) snapshot.push_back(std::move(alive));
    }
  }
  for (const auto& connection : snapshot) fn(connection);
}

void ConnectionSet::shutdown_all() {
  for_each([](const std::shared_ptr<Connection>& connection) {
    asio::dispatch(connection->transport().executor(), [connection] {
      if (!connection->finished_ && connection->protocol_)
        connection->protocol_->on_server_shutdown();
    });
  });
}

void ConnectionSet::abort_all(const std::string& reason) {
  for_each([&](const std::shared_ptr<Connection>& connection) { connection->abort(reason); });
}

}  // namespace mockforge::net
