#pragma once

// Member definitions of BasicWebSocketTransport (core/net internals). The
// including file declares, before including this,
//   asio::awaitable<void> server_layer_handshake(Stream&);
// for its stream type: nothing for TCP, the TLS handshake for TLS.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <string_view>

#include "core/net/transports.h"

namespace mockforge::net {

namespace websocket_detail {

inline bool offers_subprotocol(std::string_view header, std::string_view wanted) {
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

}  // namespace websocket_detail

// The upgrade is a one-off exchange, so it stays a coroutine: its frame
// lives only until the WebSocket is open.
template <typename Stream, typename Layer>
void BasicWebSocketTransport<Stream, Layer>::async_handshake(HandshakeCompletion done) {
  boost::asio::co_spawn(executor_, handshake(),
                        [done = std::move(done)](std::exception_ptr failure) {
                          boost::system::error_code error;
                          if (failure) {
                            try {
                              std::rethrow_exception(failure);
                            } catch (const boost::system::system_error& e) {
                              error = e.code();
                            } catch (const std::exception&) {
                              error = boost::asio::error::fault;
                            }
                            if (!error) error = boost::asio::error::fault;
                          }
                          done(error);
                        });
}

// Beast may hold buffered bytes the socket no longer shows, so reading is
// always attempted.
template <typename Stream, typename Layer>
void BasicWebSocketTransport<Stream, Layer>::async_wait_readable(ReadableCompletion done) {
  boost::asio::post(executor_, [done = std::move(done)] { done({}); });
}

template <typename Stream, typename Layer>
void BasicWebSocketTransport<Stream, Layer>::async_read_some(boost::asio::mutable_buffer into,
                                                             ReadCompletion done) {
  ws_.async_read_some(
      into, [this, done = std::move(done)](boost::system::error_code error, std::size_t n) {
        // MQTT over WebSocket is binary only.
        if (!error && ws_.got_text()) error = boost::beast::websocket::error::bad_data_frame;
        done(error, n);
      });
}

template <typename Stream, typename Layer>
void BasicWebSocketTransport<Stream, Layer>::async_write(boost::asio::const_buffer bytes,
                                                         WrittenCompletion done) {
  ws_.async_write(bytes, std::move(done));
}

template <typename Stream, typename Layer>
void BasicWebSocketTransport<Stream, Layer>::async_graceful_close(ClosedCompletion done) {
  ws_.async_close(boost::beast::websocket::close_code::normal,
                  [this, done = std::move(done)](const boost::system::error_code&) {
                    close();
                    done({});
                  });
}

template <typename Stream, typename Layer>
void BasicWebSocketTransport<Stream, Layer>::close() {
  boost::system::error_code ignored;
  boost::beast::get_lowest_layer(ws_).socket().close(ignored);
}

template <typename Stream, typename Layer>
std::string BasicWebSocketTransport<Stream, Layer>::remote_address() const {
  return format_endpoint(boost::beast::get_lowest_layer(ws_).socket());
}

template <typename Stream, typename Layer>
std::optional<PeerCertificate> BasicWebSocketTransport<Stream, Layer>::peer_certificate() const {
  // The layer under the WebSocket (TLS for wss) knows the certificate.
  auto& stream = const_cast<boost::beast::websocket::stream<Stream>&>(ws_).next_layer();
  return layer_.peer_certificate(stream);
}

template <typename Stream, typename Layer>
bool BasicWebSocketTransport<Stream, Layer>::is_orderly_close(
    const boost::system::error_code& error) const {
  return error == boost::beast::websocket::error::closed || Transport::is_orderly_close(error);
}

template <typename Stream, typename Layer>
boost::asio::awaitable<void> BasicWebSocketTransport<Stream, Layer>::handshake() {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace websocket = beast::websocket;
  beast::flat_buffer buffer;
  http::request_parser<http::empty_body> parser;
  parser.header_limit(16 * 1024);
  // One deadline for the TLS handshake (wss) and the upgrade request.
  beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
  co_await server_layer_handshake(ws_.next_layer(), layer_, *this);
  co_await http::async_read(ws_.next_layer(), buffer, parser, asio::use_awaitable);
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
    co_await http::async_write(ws_.next_layer(), refusal, asio::use_awaitable);
    throw boost::system::system_error(asio::error::connection_refused, "WebSocket upgrade refused");
  }
  const auto offered = request[http::field::sec_websocket_protocol];
  const bool echo_subprotocol = websocket_detail::offers_subprotocol(
      std::string_view(offered.data(), offered.size()), options_.subprotocol);
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
