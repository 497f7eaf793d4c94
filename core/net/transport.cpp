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

namespace {

template <typename Socket>
std::string format_endpoint(const Socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto address = endpoint.address().to_string();
  return endpoint.address().is_v6() ? fmt::format("[{}]:{}", address, endpoint.port())
                                    : fmt::format("{}:{}", address, endpoint.port());
}

}  // namespace

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

bool offers_subprotocol(std::string_view header, std::string_view wanted) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto token = header.substr(0, comma);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token == wanted) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

WebSocketTransport::WebSocketTransport(Socket socket, WebSocketOptions options)
    : executor_(socket.get_executor()),
      ws_(tcp::socket(std::move(socket))),
      options_(std::move(options)) {}

// The upgrade is a one-off exchange, so it stays a coroutine: its frame
// lives only until the WebSocket is open.
void WebSocketTransport::async_handshake(HandshakeCompletion done) {
  asio::co_spawn(executor_, handshake(), [done = std::move(done)](std::exception_ptr failure) {
    boost::system::error_code error;
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const boost::system::system_error& e) {
        error = e.code();
      } catch (const std::exception&) {
        error = asio::error::fault;
      }
      if (!error) error = asio::error::fault;
    }
    done(error);
  });
}

// Beast may hold buffered bytes the socket no longer shows, so reading is
// always attempted.
void WebSocketTransport::async_wait_readable(ReadableCompletion done) {
  asio::post(executor_, [done = std::move(done)] { done({}); });
}

void WebSocketTransport::async_read_some(asio::mutable_buffer into, ReadCompletion done) {
  ws_.async_read_some(
      into, [this, done = std::move(done)](boost::system::error_code error, std::size_t n) {
        // MQTT over WebSocket is binary only.
        if (!error && ws_.got_text()) error = websocket::error::bad_data_frame;
        done(error, n);
      });
}

void WebSocketTransport::async_write(asio::const_buffer bytes, WrittenCompletion done) {
  ws_.async_write(bytes, std::move(done));
}

void WebSocketTransport::async_graceful_close(ClosedCompletion done) {
  ws_.async_close(websocket::close_code::normal,
                  [this, done = std::move(done)](const boost::system::error_code&) {
                    close();
                    done({});
                  });
}

void WebSocketTransport::close() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

std::string WebSocketTransport::remote_address() const {
  return format_endpoint(beast::get_lowest_layer(ws_).socket());
}

bool WebSocketTransport::is_orderly_close(const boost::system::error_code& error) const {
  return error == websocket::error::closed || Transport::is_orderly_close(error);
}

asio::awaitable<void> WebSocketTransport::handshake() {
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
  co_await http::async_read(beast::get_lowest_layer(ws_), buffer, parser, asio::use_awaitable);
  auto request = parser.release();
  const std::string_view target(request.target().data(), request.target().size());
  const auto path = target.substr(0, target.find('?'));
  if (!websocket::is_upgrade(request) || path != options_.path) {
    const bool wrong_path = path != options_.path;
    http::response<http::string_body> refusal{
        wrong_path ? http::status::not_found : http::status::upgrade_required, request.version()};
    refusal.set(http::field::content_type, "text/plain");
    refusal.body() = wrong_path
                         ? fmt::format("no WebSocket endpoint at {}; use {}\n", path, options_.path)
                         : std::string("this endpoint only accepts WebSocket upgrades\n");
    refusal.keep_alive(false);
    refusal.prepare_payload();
    co_await http::async_write(beast::get_lowest_layer(ws_), refusal, asio::use_awaitable);
    throw boost::system::system_error(asio::error::connection_refused, "WebSocket upgrade refused");
  }
  const auto offered = request[http::field::sec_websocket_protocol];
  const bool echo_subprotocol =
      offers_subprotocol(std::string_view(offered.data(), offered.size()), options_.subprotocol);
  ws_.set_option(websocket::stream_base::decorator(
      [echo_subprotocol, subprotocol = options_.subprotocol](websocket::response_type& response) {
        response.set(http::field::server, "mockforge");
        if (echo_subprotocol) response.set(http::field::sec_websocket_protocol, subprotocol);
      }));
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  if (options_.max_message_bytes > 0) ws_.read_message_max(options_.max_message_bytes);
  ws_.binary(true);
  co_await ws_.async_accept(request, asio::use_awaitable);
}

}  // namespace mockforge::net
