#include "core/net/transport.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstring>
#include <memory>

#include "core/net/transports.h"

namespace mockforge::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

bool Transport::is_orderly_close(const boost::system::error_code& error) const {
  return error == asio::error::eof || error == asio::error::connection_reset ||
         error == asio::error::operation_aborted || error == asio::error::broken_pipe;
}

// ---- TCP -----------------------------------------------------------------------

std::size_t Transport::read_now(asio::mutable_buffer, boost::system::error_code& error) {
  error = asio::error::operation_not_supported;
  return 0;
}

TcpTransport::TcpTransport(Socket socket) : socket_(std::move(socket)) {
  // read_now() must not block; Asio's own operations are unaffected.
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

std::size_t TcpTransport::read_now(asio::mutable_buffer into, boost::system::error_code& error) {
  return socket_.read_some(into, error);
}

std::string TcpTransport::remote_address() const { return format_endpoint(socket_); }

void TcpTransport::async_handshake(HandshakeCompletion done) {
  asio::post(socket_.get_executor(),
             asio::bind_allocator(done.get_allocator(), [done = std::move(done)] { done({}); }));
}

void TcpTransport::async_wait_readable(ReadableCompletion done) {
  socket_.async_wait(Socket::wait_read, std::move(done));
}

void TcpTransport::async_read_some(asio::mutable_buffer into, ReadCompletion done) {
  socket_.async_read_some(into, std::move(done));
}

void TcpTransport::async_write(asio::const_buffer bytes, WrittenCompletion done) {
  asio::async_write(socket_, bytes, std::move(done));
}

// A graceful close half-closes, then reads and discards until the peer
// closes too or kDrainTimeout passes, and only then closes the socket, as
// RabbitMQ does after close-ok. Closing a socket with unread input makes the
// kernel answer with a reset, and a peer still writing (a client that closes
// mid-flood) would then lose the close frame just sent and see ECONNRESET or
// EPIPE instead. The drain's state lives only while it runs.
constexpr auto kDrainTimeout = std::chrono::seconds(2);

struct Drain {
  explicit Drain(const Executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool finished = false;
  std::array<char, 4096> discard;
};

void TcpTransport::async_graceful_close(ClosedCompletion done) {
  boost::system::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);
  auto drain = std::make_shared<Drain>(socket_.get_executor());
  drain->timer.expires_after(kDrainTimeout);
  // Both handlers run on the connection's executor, one at a time; the read
  // handler holds `done` (and so the connection) until the drain ends.
  drain->timer.async_wait([this, drain](const boost::system::error_code& error) {
    if (error || drain->finished) return;
    boost::system::error_code cancel_error;
    socket_.cancel(cancel_error);
  });
  drain_input(std::move(drain), std::move(done));
}

void TcpTransport::drain_input(std::shared_ptr<Drain> drain, ClosedCompletion done) {
  // The buffer first: the handler below takes `drain` over.
  const auto into = asio::buffer(drain->discard);
  socket_.async_read_some(into, [this, drain = std::move(drain), done = std::move(done)](
                                    const boost::system::error_code& error, std::size_t) mutable {
    if (!error) {
      drain_input(std::move(drain), std::move(done));
      return;
    }
    drain->finished = true;
    drain->timer.cancel();
    close();
    done({});
  });
}

void TcpTransport::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

// ---- WebSocket -----------------------------------------------------------------

namespace {

// A plain WebSocket has no layer of its own to secure.
asio::awaitable<void> server_layer_handshake(beast::tcp_stream&, PlainLayer&, const Transport&) {
  co_return;
}

}  // namespace

}  // namespace mockforge::net

#include "core/net/websocket_transport_impl.h"

namespace mockforge::net {

template class BasicWebSocketTransport<beast::tcp_stream>;

std::unique_ptr<Transport> make_websocket_transport(Socket socket, WebSocketOptions options) {
  const Executor executor = socket.get_executor();
  return std::make_unique<WebSocketTransport>(executor, std::move(options), PlainLayer{},
                                              tcp::socket(std::move(socket)));
}

}  // namespace mockforge::net
