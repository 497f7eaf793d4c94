#include "cli/net/http.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <optional>

namespace mockforge::cli::net {

HttpUrl parse_http_url(std::string_view text, const TlsOptions& tls) {
  constexpr std::string_view kScheme = "http://";
  constexpr std::string_view kSecureScheme = "https://";
  const bool secure = text.starts_with(kSecureScheme);
  if (!secure && !text.starts_with(kScheme)) {
    throw NetError("admin URL '" + std::string(text) + "' must start with http:// or https://");
  }
  if (!secure &&
      (!tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty() || tls.insecure)) {
    throw NetError("TLS options need an https:// admin URL, not '" + std::string(text) + "'");
  }
  std::string_view rest = text.substr(secure ? kSecureScheme.size() : kScheme.size());
  const auto slash = rest.find('/');
  HttpUrl url;
  url.endpoint = parse_endpoint(rest.substr(0, slash), secure ? 443 : 80);
  if (slash != std::string_view::npos) {
    url.base_path = std::string(rest.substr(slash));
    while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  }
  if (secure) {
    url.tls = tls;
    url.tls.enabled = true;
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
  auto connection = TcpConnection::connect(url.endpoint, timeout, url.tls);
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

namespace {

// Removes chunked transfer encoding incrementally.
class ChunkDecoder {
 public:
  // Appends the payload bytes of `input` to `out`; false once the last chunk came.
  bool feed(std::string_view input, std::string& out) {
    buffer_.append(input);
    for (;;) {
      if (state_ == State::kSize) {
        const auto end = buffer_.find("\r\n");
        if (end == std::string::npos) {
          if (buffer_.size() > 1024) throw NetError("malformed chunked HTTP body");
          return true;
        }
        std::size_t size = 0;
        std::size_t digits = 0;
        for (char c : std::string_view(buffer_).substr(0, end)) {
          const int value = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                            : (std::tolower(static_cast<unsigned char>(c)) >= 'a' &&
                               std::tolower(static_cast<unsigned char>(c)) <= 'f')
                                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                                : -1;
          if (value < 0) break;  // chunk extensions follow ';'
          size = size * 16 + static_cast<std::size_t>(value);
          if (++digits > 15) throw NetError("malformed chunked HTTP body");
        }
        if (digits == 0) throw NetError("malformed chunked HTTP body");
        buffer_.erase(0, end + 2);
        if (size == 0) return false;
        left_ = size;
        state_ = State::kData;
      }
      if (state_ == State::kData) {
        const std::size_t take = std::min(left_, buffer_.size());
        out.append(buffer_, 0, take);
        buffer_.erase(0, take);
        left_ -= take;
        if (left_ > 0) return true;
        state_ = State::kDataEnd;
      }
      if (state_ == State::kDataEnd) {
        if (buffer_.size() < 2) return true;
        if (buffer_.compare(0, 2, "\r\n") != 0) throw NetError("malformed chunked HTTP body");
        buffer_.erase(0, 2);
        state_ = State::kSize;
      }
    }
  }

 private:
  enum class State { kSize, kData, kDataEnd } state_ = State::kSize;
  std::string buffer_;
  std::size_t left_ = 0;
};

}  // namespace

HttpReply http_stream(const HttpUrl& url, const std::string& target,
                      std::chrono::milliseconds timeout, const std::string& bearer_token,
                      const std::function<void(const HttpReply& head)>& on_head,
                      const std::function<bool(std::string_view data)>& on_data,
                      const std::function<bool()>& keep_going) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto connection = TcpConnection::connect(url.endpoint, timeout, url.tls);
  std::string host = url.endpoint.host.find(':') != std::string::npos
                         ? "[" + url.endpoint.host + "]"
                         : url.endpoint.host;
  const std::string request =
      "GET " + url.base_path + target + " HTTP/1.1\r\nHost: " + host + ":" +
      std::to_string(url.endpoint.port) +
      "\r\nAccept: text/event-stream\r\nConnection: close\r\nUser-Agent: mockforge-cli\r\n" +
      (bearer_token.empty() ? std::string() : "Authorization: Bearer " + bearer_token + "\r\n") +
      "\r\n";
  connection.send_all({reinterpret_cast<const std::uint8_t*>(request.data()), request.size()},
                      remaining(deadline));
  std::vector<std::uint8_t> received;
  std::optional<HttpReply> reply;
  // Until the head is in.
  while (!reply) {
    std::string_view text(reinterpret_cast<const char*>(received.data()), received.size());
    if (auto end = text.find("\r\n\r\n"); end != std::string_view::npos) {
      reply = parse_head(url, text.substr(0, end));
      received.erase(received.begin(), received.begin() + static_cast<std::ptrdiff_t>(end + 4));
      break;
    }
    if (received.size() >= 8 && !text.starts_with("HTTP/")) throw not_http(url);
    if (received.size() > (64 << 10)) throw not_http(url);
    const auto status = connection.recv_some(received, remaining(deadline));
    if (status == TcpConnection::RecvStatus::closed) throw not_http(url);
    if (status == TcpConnection::RecvStatus::timeout) {
      throw NetError("no HTTP reply from " + url.endpoint.to_string() + " within " +
                     std::to_string(timeout.count()) + " ms");
    }
  }
  const auto encoding = reply->headers.find("transfer-encoding");
  const bool chunked = encoding != reply->headers.end() &&
                       lower(encoding->second).find("chunked") != std::string::npos;
  ChunkDecoder decoder;
  const bool success = reply->status >= 200 && reply->status < 300;
  if (success) on_head(*reply);
  std::string data;
  bool more = true;
  const auto deliver = [&]() -> bool {
    std::string_view raw(reinterpret_cast<const char*>(received.data()), received.size());
    data.clear();
    if (chunked) {
      more = decoder.feed(raw, data);
    } else {
      data.assign(raw);
    }
    received.clear();
    if (data.empty()) return true;
    if (!success) {
      reply->body += data;
      if (reply->body.size() > kMaxReplyBytes) throw NetError("HTTP error reply too large");
      return true;
    }
    return on_data(data);
  };
  if (!deliver()) return *reply;
  while (more) {
    const auto status = connection.recv_some(received, std::chrono::milliseconds(1000));
    if (status == TcpConnection::RecvStatus::closed) {
      if (!deliver()) break;
      if (chunked && more && success) {
        throw NetError("the stream from " + url.endpoint.to_string() + " broke off");
      }
      break;
    }
    if (status == TcpConnection::RecvStatus::timeout) {
      if (!keep_going()) break;
      continue;
    }
    if (!deliver()) break;
  }
  return *reply;
}

}  // namespace mockforge::cli::net
