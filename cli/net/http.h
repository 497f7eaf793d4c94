// A minimal blocking HTTP/1.1 client (GET, POST, DELETE) over TcpConnection, for the commands that
// read mockforge's admin API. http:// and https:// (over TcpConnection's OpenSSL client); no
// redirects. Whole replies need
// Content-Length (mockforge's admin server sends it); streamed ones (http_stream) may be
// chunked.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "cli/net/tcp.h"

namespace mockforge::cli::net {

struct HttpUrl {
  Endpoint endpoint;
  std::string base_path;  // without a trailing '/', may be empty
  TlsOptions tls;         // enabled for https://
};

// "http://host[:port][/prefix]" (port 80 by default) or "https://..." (443
// by default; `tls` then verifies the server, ca_file empty meaning the
// system's CAs). Throws NetError; also when `tls` names files for an
// http:// URL.
HttpUrl parse_http_url(std::string_view text, const TlsOptions& tls = {});

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// `method` on `target` (path and query, already escaped), with `Authorization:
// Bearer <bearer_token>` when the token is not empty and `body` (JSON) when
// it is not empty. Throws NetError when the server cannot be reached or does
// not answer with HTTP/1.x.
HttpReply http_request(const std::string& method, const HttpUrl& url, const std::string& target,
                       std::chrono::milliseconds timeout, const std::string& bearer_token = "",
                       const std::string& body = "");

HttpReply http_get(const HttpUrl& url, const std::string& target, std::chrono::milliseconds timeout,
                   const std::string& bearer_token = "");

// POST `target`; the query (and `body`, when given) carry the arguments.
HttpReply http_post(const HttpUrl& url, const std::string& target,
                    std::chrono::milliseconds timeout, const std::string& bearer_token = "",
                    const std::string& body = "");

// GETs `target` and passes the body to `on_data` as it arrives (chunked encoding removed),
// until the server ends it or `on_data` returns false. `on_head` runs once the status line and
// headers are in, for a 2xx reply; any other reply is read whole and returned with its body
// (on_data is not called). Throws NetError when the server cannot be reached, the head does not
// come within `timeout`, or the stream breaks. `keep_going` is asked about once a second while
// nothing arrives; false ends the stream.
HttpReply http_stream(const HttpUrl& url, const std::string& target,
                      std::chrono::milliseconds timeout, const std::string& bearer_token,
                      const std::function<void(const HttpReply& head)>& on_head,
                      const std::function<bool(std::string_view data)>& on_data,
                      const std::function<bool()>& keep_going);

// Percent-encodes a query value (everything but unreserved characters).
std::string url_encode(std::string_view text);

}  // namespace mockforge::cli::net
