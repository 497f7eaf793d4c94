#include "cli/net/http.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

namespace mockforge::cli::net {

HttpUrl parse_http_url(std::string_view text) {
  constexpr std::string_view kScheme = "http://";
  if (!text.starts_with(kScheme)) {
    throw NetError("admin URL '" + std::string(text) + "' must start with http://");
  }
  std::string_view rest = text.substr(kScheme.size());
  const auto slash = rest.find('/');
  HttpUrl url;
  url.endpoint = parse_endpoint(rest.substr(0, slash), 80);
  if (slash != std::string_view::npos) {
    url.base_path = std::string(rest.substr(slash));
    while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  }
  return url;
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

NetError not_http(const HttpUrl& url) {
  return NetError(url.endpoint.to_string() + " did not answer with HTTP");
}

// Parses the status line and headers of `head` (without the blank line).
HttpReply parse_head(const HttpUrl& url, std::string_view head) {
  HttpReply reply;
  auto line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (!status_line.starts_with("HTTP/1.") || status_line.size() < 12) throw not_http(url);
  try {
    reply.status = std::stoi(std::string(status_line.substr(9, 3)));
  } catch (const std::exception&) {
    throw not_http(url);
  }
  while (line_end != std::string_view::npos) {
    head.remove_prefix(line_end + 2);
    line_end = head.find("\r\n");
    std::string_view line = head.substr(0, line_end);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    reply.headers[lower(std::string(line.substr(0, colon)))] = std::string(value);
  }
  return reply;
}

}  // namespace

// Admin API replies are small JSON documents; anything past this is not one.
constexpr std::size_t kMaxReplyBytes = std::size_t{64} << 20;

HttpReply http_get(const HttpUrl& url, const std::string& target, std::chrono::milliseconds timeout,
                   const std::string& bearer_token) {
  return http_request("GET", url, target, timeout, bearer_token);
}

HttpReply http_post(const HttpUrl& url, const std::string& target,
                    std::chrono::milliseconds timeout, const std::string& bearer_token,
                    const std::string& body) {
  return http_request("POST", url, target, timeout, bearer_token, body);
}

HttpReply http_request(const std::string& method, const HttpUrl& url, const std::string& target,
                       std::chrono::milliseconds timeout, const std::string& bearer_token,
                       const std::string& body) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto connection = TcpConnection::connect(url.endpoint, timeout);
  std::string host = url.endpoint.host.find(':') != std::string::npos
                         ? "[" + url.endpoint.host + "]"
                         : url.endpoint.host;
  const std::string request =
      method + " " + url.base_path + target + " HTTP/1.1\r\nHost: " + host + ":" +
      std::to_string(url.endpoint.port) +
      "\r\nAccept: application/json\r\nConnection: close\r\nUser-Agent: mockforge-cli\r\n" +
      (bearer_token.empty() ? std::string() : "Authorization: Bearer " + bearer_token + "\r\n") +
      (body.empty() ? std::string() : "Content-Type: application/json\r\n") +
      "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  connection.send_all({reinterpret_cast<const std::uint8_t*>(request.data()), request.size()},
                      remaining(deadline));

  std::vector<std::uint8_t> received;
  std::optional<HttpReply> reply;
  std::size_t body_start = 0;
  std::optional<std::size_t> content_length;
  for (;;) {
    if (!reply) {
      std::string_view text(reinterpret_cast<const char*>(received.data()), received.size());
      if (auto end = text.find("\r\n\r\n"); end != std::string_view::npos) {
        reply = parse_head(url, text.substr(0, end));
        body_start = end + 4;
        if (auto it = reply->headers.find("content-length"); it != reply->headers.end()) {
          try {
            content_length = std::stoull(it->second);
          } catch (const std::exception&) {
            throw not_http(url);
          }
        }
      } else if (received.size() >= 8 && !text.starts_with("HTTP/")) {
        throw not_http(url);
      }
    }
    if (reply && content_length && received.size() - body_start >= *content_length) break;
    if (received.size() > kMaxReplyBytes) {
      throw NetError("the HTTP reply from " + url.endpoint.to_string() + " is larger than " +
                     std::to_string(kMaxReplyBytes >> 20) + " MiB");
    }
    auto status = connection.recv_some(received, remaining(deadline));
    if (status == TcpConnection::RecvStatus::closed) break;
    if (status == TcpConnection::RecvStatus::timeout) {
      throw NetError("no HTTP reply from " + url.endpoint.to_string() + " within " +
                     std::to_string(timeout.count()) + " ms");
    }
  }
  if (!reply) throw not_http(url);
  std::size_t length = received.size() - body_start;
  if (content_length) length = std::min(length, *content_length);
  reply->body.assign(reinterpret_cast<const char*>(received.data()) + body_start, length);
  return *reply;
}

}  // namespace mockforge::cli::net
