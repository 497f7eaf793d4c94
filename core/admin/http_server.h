#pragma once

// The admin HTTP server. Handlers see plain request/response structs, so
// route code does not include Beast.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace mockforge::net {
class TlsContext;
}

namespace mockforge::admin {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string, not percent-decoded
  std::map<std::string, std::string> query;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// A response body produced while the response stays open (Server-Sent
// Events). The server sends the head (chunked in HTTP/1.1), then whatever
// next() returns, until the client goes, the server stops or ended() says
// so; the connection closes after it.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Once, before next(): `wake` makes the server call next() soon. Any thread
  // may call it, any number of times, also after the stream closed.
  virtual void start(std::function<void()> wake) = 0;
  // On the connection's thread, after start(), after each write and after
  // each wake(): the bytes to send now, "" when there are none.
  virtual std::string next() = 0;
  // Bytes to send after Limits::stream_idle_ms without any (a keep-alive
  // comment), "" for none.
  virtual std::string idle() { return {}; }
  // True when the body is complete (checked after next()).
  virtual bool ended() const { return false; }
  // Once, when the response is over for whatever reason.
  virtual void close() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers = {};  // extra response headers
  // When set, `body` is ignored: the body is this stream's output.
  std::shared_ptr<BodyStream> stream = nullptr;

  static HttpResponse json(int status, std::string body);
  // {"error": {"status": N, "message": "..."}}
  static HttpResponse error(int status, std::string_view message);
};

// A 400 for a request body that nests arrays and objects deeper than 512
// levels, or nullopt. Handlers that parse a body as JSON ask first: nlohmann
// parses any depth, but copying, comparing and printing a value recurse
// once per level (a 1 MiB body of brackets overflowed the stack).
std::optional<HttpResponse> refuse_deep_json(std::string_view body);

using Handler = std::function<HttpResponse(const HttpRequest&)>;
// A handler that answers later: it calls `respond` exactly once, from any
// thread (the request's connection waits, holding no thread meanwhile).
using Respond = std::function<void(HttpResponse)>;
using AsyncHandler = std::function<void(const HttpRequest&, Respond respond)>;
// Runs before every handler; a response it returns is sent instead.
using Guard = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

struct Limits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  unsigned request_timeout_ms = 10'000;
  unsigned stream_idle_ms = 15'000;           // BodyStream::idle() after this long quiet
  unsigned stream_write_timeout_ms = 30'000;  // a streamed write stuck this long ends it
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, std::vector<std::string> addresses, uint16_t port,
             Limits limits = {});
  ~HttpServer();

  // Exact-path routes. A path registered for other methods only answers
  // 405 with an Allow header; an unknown path answers 404.
  void route(const std::string& method, const std::string& path, Handler handler);
  // Routes every path that starts with `prefix` (ending in '/') and has no
  // exact route; the longest matching prefix wins.
  void route_prefix(const std::string& method, const std::string& prefix, Handler handler);
  // An exact-path route whose handler answers later (long polls).
  void route_async(const std::string& method, const std::string& path, AsyncHandler handler);
  // Installs the guard (one; a later call replaces it).
  void set_guard(Guard guard);

  // Before start(): also serve HTTPS on `port` (same addresses, routes and
  // guard) with `tls`'s certificates and policy, read at each accept so a
  // TlsContext::reload() applies to later connections; `tls` must outlive
  // the server. `plain` false: no plain HTTP listener (HTTPS only).
  void add_tls_listener(uint16_t port, const net::TlsContext& tls, bool plain = true);

  // Binds (throws runtime::ListenError naming the port) and starts accepting.
  void start();
  void stop();
  uint16_t port() const;      // the plain listener's; 0 when there is none
  uint16_t tls_port() const;  // the HTTPS listener's; 0 when there is none

  // Dispatches without the network (used by tests and by the server itself);
  // blocks until an asynchronous handler has answered.
  HttpResponse dispatch(const HttpRequest& request) const;
  void dispatch_async(const HttpRequest& request, Respond respond) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Decodes %XX escapes (malformed ones stay as they are); '+' becomes a space
// when `plus_is_space` (query strings, not paths).
std::string percent_decode(std::string_view text, bool plus_is_space);

// Splits "a=1&b=two%20words" into a map, percent-decoding keys and values.
std::map<std::string, std::string> parse_query(std::string_view query);

}  // namespace mockforge::admin
