#include "core/admin/http_server.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <future>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <tuple>

#include "core/json/payload.h"
#include "core/log/logging.h"
#include "core/net/tls_built.h"
#include "core/runtime/listener.h"

namespace mockforge::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

HttpResponse HttpResponse::json(int status, std::string body) {
  return HttpResponse{status, "application/json", std::move(body)};
}

HttpResponse HttpResponse::error(int status, std::string_view message) {
  nlohmann::json body = {{"error", {{"status", status}, {"message", message}}}};
  // Messages quote what the request said, which may not be UTF-8.
  return json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::optional<HttpResponse> refuse_deep_json(std::string_view body) {
  constexpr auto kMax = mockforge::json::kMaxPayloadDepth;
  if (mockforge::json::nesting_depth(body, kMax) <= kMax) return std::nullopt;
  return HttpResponse::error(
      400, "the body nests arrays and objects deeper than " + std::to_string(kMax) + " levels");
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::map<std::string, std::string> parse_query(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      out[percent_decode(pair.substr(0, eq), true)] =
          eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

namespace {

// An accepted connection; `close()` may be called from any thread.
struct OpenConnection {
  virtual ~OpenConnection() = default;
  virtual void close() = 0;
};

// Over plain TCP (beast::tcp_stream) or TLS (an SSL stream over one).
template <class Stream>
struct BasicConnection final : OpenConnection,
                               std::enable_shared_from_this<BasicConnection<Stream>> {
  template <class... Args>
  explicit BasicConnection(Args&&... args) : stream(std::forward<Args>(args)...) {}
  Stream stream;
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream); }
  void close() override {
    asio::post(stream.get_executor(), [self = this->shared_from_this()] { self->tcp().close(); });
  }
};

using PlainConnection = BasicConnection<beast::tcp_stream>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using TlsConnection = BasicConnection<TlsStream>;

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::io_context& io_, std::vector<std::string> addresses_, uint16_t port_, Limits limits_)
      : io(io_), addresses(std::move(addresses_)), requested_port(port_), limits(limits_) {}

  asio::io_context& io;
  std::vector<std::string> addresses;
  uint16_t requested_port;
  Limits limits;
  mutable std::shared_mutex routes_mutex;
  // path (or prefix) -> method -> handler; synchronous handlers are wrapped.
  std::map<std::string, std::map<std::string, AsyncHandler>> routes;
  std::map<std::string, std::map<std::string, AsyncHandler>> prefix_routes;
  Guard guard;
  bool plain = true;  // false: HTTPS only
  std::unique_ptr<runtime::TcpListener> listener;
  uint16_t requested_tls_port = 0;
  const net::TlsContext* tls = nullptr;  // the HTTPS listener's, if any
  std::unique_ptr<runtime::TcpListener> tls_listener;
  std::mutex connections_mutex;
  std::list<std::weak_ptr<OpenConnection>> connections;
  bool stopping = false;

  // The exact route of `path`, else the longest prefix route; null if none.
  const std::map<std::string, AsyncHandler>* find_routes(const std::string& path) const {
    if (const auto it = routes.find(path); it != routes.end()) return &it->second;
    const std::map<std::string, AsyncHandler>* best = nullptr;
    std::size_t best_length = 0;
    for (const auto& [prefix, methods] : prefix_routes) {
      if (path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0 &&
          prefix.size() > best_length) {
        best = &methods;
        best_length = prefix.size();
      }
    }
    return best;
  }

  void dispatch(const HttpRequest& request, Respond respond) const {
    AsyncHandler handler;
    std::string allowed;
    {
      std::shared_lock lock(routes_mutex);
      if (guard) {
        if (auto refused = guard(request)) return respond(std::move(*refused));
      }
      const auto* methods = find_routes(request.path);
      if (methods == nullptr) {
        return respond(HttpResponse::error(404, "no such endpoint: " + request.path));
      }
      const auto* path_it = methods;
      const auto method_it = path_it->find(request.method);
      if (method_it == path_it->end()) {
        for (const auto& [method, unused] : *path_it) {
          allowed += allowed.empty() ? method : ", " + method;
        }
        auto response = HttpResponse::error(405, "method " + request.method + " not allowed on " +
                                                     request.path + "; allowed: " + allowed);
        response.headers.emplace_back("Allow", allowed);
        return respond(std::move(response));
      }
      handler = method_it->second;
    }
    // A handler throws before it responds (synchronous ones always do).
    try {
      handler(request, respond);
    } catch (const std::exception& e) {
      respond(HttpResponse::error(500, e.what()));
    }
  }

  // Waits, holding no thread, for the response of an asynchronous handler:
  // `respond` may run on any thread, so it posts to the connection.
  template <class Connection>
  static asio::awaitable<HttpResponse> respond_to(std::shared_ptr<Impl> self,
                                                  std::shared_ptr<Connection> connection,
                                                  const HttpRequest& request) {
    struct Waiting {
      explicit Waiting(asio::any_io_executor executor)
          : ready(std::move(executor), std::chrono::steady_clock::time_point::max()) {}
      asio::steady_timer ready;
      std::optional<HttpResponse> response;
    };
    auto executor = connection->stream.get_executor();
    auto waiting = std::make_shared<Waiting>(executor);
    self->dispatch(request, [waiting, executor](HttpResponse response) {
      asio::post(executor, [waiting, response = std::move(response)]() mutable {
        waiting->response = std::move(response);
        waiting->ready.cancel();
      });
    });
    while (!waiting->response) {
      co_await waiting->ready.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    co_return std::move(*waiting->response);
  }

  bool track(const std::shared_ptr<OpenConnection>& connection) {
    std::lock_guard lock(connections_mutex);
    if (stopping) return false;
    connections.remove_if([](const auto& weak) { return weak.expired(); });
    connections.push_back(connection);
    return true;
  }

  void on_accept(tcp::socket socket) {
    auto connection = std::make_shared<PlainConnection>(std::move(socket));
    if (!track(connection)) return;
    asio::co_spawn(connection->stream.get_executor(), serve(shared_from_this(), connection),
                   asio::detached);
  }

  void on_tls_accept(tcp::socket socket) {
    // The certificates of the moment: a reload applies to the next connection.
    auto built = tls->current();
    auto connection = std::make_shared<TlsConnection>(std::move(socket), built->context);
    if (!track(connection)) return;
    asio::co_spawn(connection->stream.get_executor(),
                   handshake_and_serve(shared_from_this(), connection, std::move(built)),
                   asio::detached);
  }

  // The TLS handshake (within the request timeout), then HTTP as on the
  // plain port; a failure is counted and logged with OpenSSL's reason.
  static asio::awaitable<void> handshake_and_serve(std::shared_ptr<Impl> self,
                                                   std::shared_ptr<TlsConnection> connection,
                                                   std::shared_ptr<net::TlsContext::Built> built) {
    std::string peer;
    {
      boost::system::error_code ignored;
      const auto endpoint = connection->tcp().socket().remote_endpoint(ignored);
      peer = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    }
    connection->tcp().expires_after(std::chrono::milliseconds(self->limits.request_timeout_ms));
    auto [ec] = co_await connection->stream.async_handshake(asio::ssl::stream_base::server,
                                                            asio::as_tuple(asio::use_awaitable));
    self->tls->note_handshake(
        ec == beast::error::timeout ? boost::system::error_code(asio::error::timed_out) : ec, peer,
        connection->stream.native_handle());
    if (ec) {
      connection->tcp().close();
      co_return;
    }
    co_await serve(self, connection);
    (void)built;  // the SSL_CTX the stream's SSL was made from
  }

  static http::response<http::string_body> to_beast(const HttpResponse& response, unsigned version,
                                                    bool keep_alive) {
    http::response<http::string_body> out{static_cast<http::status>(response.status), version};
    out.set(http::field::server, "mockforge");
    out.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    out.keep_alive(keep_alive);
    out.body() = response.body;
    out.prepare_payload();
    return out;
  }

  template <class Connection>
  static asio::awaitable<void> write_error(Connection& connection, int status,
                                           std::string_view message) {
    auto response = to_beast(HttpResponse::error(status, message), 11, false);
    connection.tcp().expires_after(std::chrono::seconds(5));
    co_await http::async_write(connection.stream, response, asio::as_tuple(asio::use_awaitable));
  }

  // Sends a BodyStream's output until it ends, the client goes (a read
  // completes: SSE clients send nothing once the request is in) or the
  // server stops (which closes the socket, failing that read).
  template <class Connection>
  static asio::awaitable<void> stream_body(std::shared_ptr<Impl> self,
                                           std::shared_ptr<Connection> connection,
                                           HttpResponse response, unsigned version) {
    struct State {
      explicit State(asio::any_io_executor executor) : timer(std::move(executor)) {}
      asio::steady_timer timer;
      bool woken = false;  // wake() ran since the last next()
      bool gone = false;   // the client closed, or the socket failed
      std::array<char, 256> discard{};
    };
    auto body = response.stream;
    auto& stream = connection->stream;
    auto& tcp = connection->tcp();
    const auto executor = stream.get_executor();
    auto state = std::make_shared<State>(executor);

    http::response<http::empty_body> head{static_cast<http::status>(response.status), version};
    head.set(http::field::server, "mockforge");
    head.set(http::field::content_type, response.content_type);
    head.set(http::field::cache_control, "no-cache");
    for (const auto& [name, value] : response.headers) head.set(name, value);
    head.keep_alive(false);
    const bool chunked = version >= 11;
    head.chunked(chunked);
    http::response_serializer<http::empty_body> serializer{head};
    tcp.expires_after(std::chrono::milliseconds(self->limits.stream_write_timeout_ms));
    auto [head_ec, head_bytes] =
        co_await http::async_write_header(stream, serializer, asio::as_tuple(asio::use_awaitable));
    (void)head_bytes;
    tcp.expires_never();
    if (head_ec) {
      body->close();
      co_return;
    }

    // Any completion of this read means the client is done with us. It reads
    // the socket under TLS too: an SSE client sends nothing once the request
    // is in, so what arrives is its close_notify, and then the end.
    struct Watch {
      std::shared_ptr<State> state;
      std::shared_ptr<Connection> connection;
      void operator()(boost::system::error_code ec, std::size_t) const {
        if (!ec)
          return connection->tcp().socket().async_read_some(asio::buffer(state->discard),
                                                            Watch{state, connection});
        state->gone = true;
        state->timer.cancel();
      }
    };
    tcp.socket().async_read_some(asio::buffer(state->discard), Watch{state, connection});
    body->start([weak = std::weak_ptr<State>(state), executor] {
      asio::post(executor, [weak] {
        if (auto live = weak.lock()) {
          live->woken = true;
          live->timer.cancel();
        }
      });
    });

    const auto write = [&](std::string_view data) -> asio::awaitable<bool> {
      tcp.expires_after(std::chrono::milliseconds(self->limits.stream_write_timeout_ms));
      boost::system::error_code ec;
      if (chunked) {
        std::tie(ec, std::ignore) = co_await asio::async_write(
            stream, http::make_chunk(asio::buffer(data)), asio::as_tuple(asio::use_awaitable));
      } else {
        std::tie(ec, std::ignore) = co_await asio::async_write(stream, asio::buffer(data),
                                                               asio::as_tuple(asio::use_awaitable));
      }
      tcp.expires_never();
      co_return !ec;
    };

    while (!state->gone) {
      state->woken = false;
      std::string data = body->next();
      if (data.empty() && !body->ended()) {
        state->timer.expires_after(std::chrono::milliseconds(self->limits.stream_idle_ms));
        co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (state->gone || state->woken) continue;
        data = body->idle();
        if (data.empty()) continue;
      }
      if (!data.empty() && !co_await write(data)) break;
      if (body->ended()) {
        if (chunked) {
          tcp.expires_after(std::chrono::milliseconds(self->limits.stream_write_timeout_ms));
          co_await asio::async_write(stream, http::make_chunk_last(),
                                     asio::as_tuple(asio::use_awaitable));
        }
        break;
      }
    }
    body->close();
  }

  template <class Connection>
  static asio::awaitable<void> serve(std::shared_ptr<Impl> self,
                                     std::shared_ptr<Connection> connection) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(self->limits.max_body_bytes);
      parser.header_limit(static_cast<std::uint32_t>(self->limits.max_header_bytes));
      connection->tcp().expires_after(std::chrono::milliseconds(self->limits.request_timeout_ms));
      auto [ec, bytes] = co_await http::async_read(connection->stream, buffer, parser,
                                                   asio::as_tuple(asio::use_awaitable));
      (void)bytes;
      if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
          ec == asio::error::connection_reset || ec == asio::error::eof ||
          ec == asio::ssl::error::stream_truncated) {
        break;
      }
      if (ec == beast::error::timeout) {
        if (parser.got_some()) co_await write_error(*connection, 408, "request timed out");
        break;
      }
      if (ec == http::error::body_limit) {
        co_await write_error(
            *connection, 413,
            "request body larger than " + std::to_string(self->limits.max_body_bytes) + " bytes");
        break;
      }
      if (ec == http::error::header_limit) {
        co_await write_error(*connection, 431, "request headers too large");
        break;
      }
      if (ec) {
        co_await write_error(*connection, 400, "malformed HTTP request: " + ec.message());
        break;
      }
      auto request = parser.release();
      HttpRequest plain;
      plain.method = std::string(request.method_string());
      const std::string_view target(request.target().data(), request.target().size());
      const auto question = target.find('?');
      plain.path = std::string(target.substr(0, question));
      if (question != std::string_view::npos)
        plain.query = parse_query(target.substr(question + 1));
      plain.body = std::move(request.body());
      for (const auto& field : request) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        plain.headers[std::move(name)] = std::string(field.value());
      }
      auto answer = co_await respond_to(self, connection, plain);
      if (answer.stream) {
        co_await stream_body(self, connection, std::move(answer), request.version());
        break;
      }
      auto response = to_beast(answer, request.version(), request.keep_alive());
      connection->tcp().expires_after(std::chrono::milliseconds(self->limits.request_timeout_ms));
      auto [write_ec, written] = co_await http::async_write(connection->stream, response,
                                                            asio::as_tuple(asio::use_awaitable));
      (void)written;
      if (write_ec || !response.keep_alive()) break;
    }
    if constexpr (std::is_same_v<Connection, TlsConnection>) {
      // close_notify, waiting a little for the client's.
      connection->tcp().expires_after(std::chrono::seconds(2));
      co_await connection->stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
    }
    boost::system::error_code ignored;
    connection->tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    connection->tcp().close();
  }
};

HttpServer::HttpServer(asio::io_context& io, std::vector<std::string> addresses, uint16_t port,
                       Limits limits)
    : impl_(std::make_shared<Impl>(io, std::move(addresses), port, limits)) {}

HttpServer::~HttpServer() { stop(); }

namespace {

AsyncHandler answering_at_once(Handler handler) {
  return [handler = std::move(handler)](const HttpRequest& request, Respond respond) {
    respond(handler(request));
  };
}

}  // namespace

void HttpServer::route(const std::string& method, const std::string& path, Handler handler) {
  route_async(method, path, answering_at_once(std::move(handler)));
}

void HttpServer::route_async(const std::string& method, const std::string& path,
                             AsyncHandler handler) {
  std::unique_lock lock(impl_->routes_mutex);
  impl_->routes[path][method] = std::move(handler);
}

void HttpServer::route_prefix(const std::string& method, const std::string& prefix,
                              Handler handler) {
  std::unique_lock lock(impl_->routes_mutex);
  impl_->prefix_routes[prefix][method] = answering_at_once(std::move(handler));
}

void HttpServer::set_guard(Guard guard) {
  std::unique_lock lock(impl_->routes_mutex);
  impl_->guard = std::move(guard);
}

void HttpServer::add_tls_listener(uint16_t port, const net::TlsContext& tls, bool plain) {
  impl_->requested_tls_port = port;
  impl_->tls = &tls;
  impl_->plain = plain;
}

void HttpServer::start() {
  auto impl = impl_;
  if (impl_->plain) {
    impl_->listener = std::make_unique<runtime::TcpListener>(
        impl_->io, "admin", impl_->addresses, impl_->requested_port,
        [weak = std::weak_ptr<Impl>(impl)](runtime::Socket socket) {
          if (auto self = weak.lock()) self->on_accept(tcp::socket(std::move(socket)));
        });
  }
  if (impl_->tls) {
    impl_->tls_listener = std::make_unique<runtime::TcpListener>(
        impl_->io, "admin_tls", impl_->addresses, impl_->requested_tls_port,
        [weak = std::weak_ptr<Impl>(impl)](runtime::Socket socket) {
          if (auto self = weak.lock()) self->on_tls_accept(tcp::socket(std::move(socket)));
        });
  }
  if (impl_->listener) impl_->listener->start();
  if (impl_->tls_listener) impl_->tls_listener->start();
}

void HttpServer::stop() {
  if (impl_->listener) impl_->listener->close();
  if (impl_->tls_listener) impl_->tls_listener->close();
  std::list<std::weak_ptr<OpenConnection>> open;
  {
    std::lock_guard lock(impl_->connections_mutex);
    impl_->stopping = true;
    open.swap(impl_->connections);
  }
  for (const auto& weak : open) {
    if (auto connection = weak.lock()) connection->close();
  }
}

uint16_t HttpServer::port() const { return impl_->listener ? impl_->listener->port() : 0; }

uint16_t HttpServer::tls_port() const {
  return impl_->tls_listener ? impl_->tls_listener->port() : 0;
}

HttpResponse HttpServer::dispatch(const HttpRequest& request) const {
  auto answer = std::make_shared<std::promise<HttpResponse>>();
  auto future = answer->get_future();
  impl_->dispatch(request,
                  [answer](HttpResponse response) { answer->set_value(std::move(response)); });
  return future.get();
}

void HttpServer::dispatch_async(const HttpRequest& request, Respond respond) const {
  impl_->dispatch(request, std::move(respond));
}

}  // namespace mockforge::admin
