#include "core/net/transport.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

namespace mockforge::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {

std::string format_endpoint(const tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  const auto address = endpoint.address().to_string();
  return endpoint.address().is_v6() ? fmt::format("[{}]:{}", address, endpoint.port())
                                    : fmt::format("{}:{}", address, endpoint.port());
}

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(tcp::socket socket) : socket_(std::move(socket)) {}

  void async_handshake(TransportCompletion done) override {
    asio::post(socket_.get_executor(), [done = std::move(done)] { done({}); });
  }
  void async_wait_readable(TransportCompletion done) override {
    socket_.async_wait(tcp::socket::wait_read, std::move(done));
  }
  void async_read_some(asio::mutable_buffer into, TransportCompletion done) override {
    socket_.async_read_some(into, std::move(done));
  }
  void async_write(asio::const_buffer bytes, TransportCompletion done) override {
    asio::async_write(socket_, bytes, std::move(done));
  }
  void async_graceful_close(TransportCompletion done) override {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
    close();
    asio::post(socket_.get_executor(), [done = std::move(done)] { done({}); });
  }
  void close() override {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  std::string remote_address() const override { return format_endpoint(socket_); }

 private:
  tcp::socket socket_;
};

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

class WebSocketTransport final : public Transport {
 public:
  WebSocketTransport(tcp::socket socket, WebSocketOptions options)
      : ws_(std::move(socket)), options_(std::move(options)) {}

  // The upgrade is a one-off exchange, so it stays a coroutine: its frame
  // lives only until the WebSocket is open.
  void async_handshake(TransportCompletion done) override {
    asio::co_spawn(ws_.get_executor(), handshake(),
                   [done = std::move(done)](std::exception_ptr failure) {
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
  void async_wait_readable(TransportCompletion done) override {
    asio::post(ws_.get_executor(), [done = std::move(done)] { done({}); });
  }
  void async_read_some(asio::mutable_buffer into, TransportCompletion done) override {
    ws_.async_read_some(
        into, [this, done = std::move(done)](boost::system::error_code error, std::size_t n) {
          // MQTT over WebSocket is binary only.
          if (!error && ws_.got_text()) error = websocket::error::bad_data_frame;
          done(error, n);
        });
  }
  void async_write(asio::const_buffer bytes, TransportCompletion done) override {
    ws_.async_write(bytes, std::move(done));
  }
  void async_graceful_close(TransportCompletion done) override {
    ws_.async_close(websocket::close_code::normal,
                    [this, done = std::move(done)](const boost::system::error_code&) {
                      close();
                      done({});
                    });
  }
  void close() override {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }
  std::string remote_address() const override {
    return format_endpoint(beast::get_lowest_layer(ws_).socket());
  }
  bool is_orderly_close(const boost::system::error_code& error) const override {
    return error == websocket::error::closed || Transport::is_orderly_close(error);
  }

 private:
  asio::awaitable<void> handshake() {
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
      refusal.body() = wrong_path ? fmt::format("no WebSocket endpoint at {}; use {}\n", path,
                                                options_.path)
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

  websocket::stream<beast::tcp_stream> ws_;
  WebSocketOptions options_;
};

}  // namespace

bool Transport::is_orderly_close(const boost::system::error_code& error) const {
  return error == asio::error::eof || error == asio::error::connection_reset ||
         error == asio::error::operation_aborted || error == asio::error::broken_pipe;
}

std::unique_ptr<Transport> make_tcp_transport(tcp::socket socket) {
  return std::make_unique<TcpTransport>(std::move(socket));
}

std::unique_ptr<Transport> make_websocket_transport(tcp::socket socket, WebSocketOptions options) {
  return std::make_unique<WebSocketTransport>(std::move(socket), std::move(options));
}

}  // namespace mockforge::net
