#include "cli/net/tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace mockforge::cli::net {
namespace {

using Clock = std::chrono::steady_clock;

int poll_ms(std::chrono::milliseconds timeout) {
  auto ms = timeout.count();
  if (ms < 0) return 0;
  if (ms > 1'000'000'000) return 1'000'000'000;
  return static_cast<int>(ms);
}

// Waits for `events` on fd; returns false on timeout. Retries EINTR.
bool wait_for(int fd, short events, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, poll_ms(remaining(deadline)));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

// OpenSSL's reasons for the last failure.
std::string openssl_errors() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

bool is_ip_literal(const std::string& host) {
  unsigned char address[16];
  return ::inet_pton(AF_INET, host.c_str(), address) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), address) == 1;
}

}  // namespace

std::string Endpoint::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port) {
  Endpoint endpoint;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) {
      throw NetError("bad address '" + std::string(text) + "': missing ']'");
    }
    endpoint.host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw NetError("bad address '" + std::string(text) + "'");
      port_text = rest.substr(1);
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') == colon) {
      endpoint.host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
    } else {
      endpoint.host = std::string(text);  // a bare host or a bare IPv6 literal
    }
  }
  if (endpoint.host.empty()) throw NetError("bad address '" + std::string(text) + "': no host");
  endpoint.port = default_port;
  if (!port_text.empty() || (text.size() > 0 && text.back() == ':')) {
    unsigned long value = 0;
    bool digits = !port_text.empty() && port_text.size() <= 5;
    for (char c : port_text) {
      if (c < '0' || c > '9') digits = false;
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (!digits || value == 0 || value > 65535) {
      throw NetError("bad port in '" + std::string(text) + "'");
    }
    endpoint.port = static_cast<std::uint16_t>(value);
  }
  return endpoint;
}

std::vector<Endpoint> parse_endpoint_list(std::string_view text, std::uint16_t default_port) {
  std::vector<Endpoint> endpoints;
  std::size_t start = 0;
  for (;;) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos ? text.npos : comma - start);
    if (item.empty()) throw NetError("empty address in '" + std::string(text) + "'");
    endpoints.push_back(parse_endpoint(item, default_port));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return endpoints;
}

std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? std::chrono::milliseconds(0) : left;
}

TcpConnection TcpConnection::connect(const Endpoint& endpoint, std::chrono::milliseconds timeout,
                                     const TlsOptions& tls) {
  return connect(endpoint.host, endpoint.port, timeout, tls);
}

TcpConnection TcpConnection::connect(const std::string& host, std::uint16_t port,
                                     std::chrono::milliseconds timeout, const TlsOptions& tls) {
  const Endpoint target{host, port};
  const std::string name = target.to_string();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG | AI_NUMERICSERV;
  addrinfo* result = nullptr;
  int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result);
  if (gai != 0 && gai != EAI_SYSTEM) {
    // AI_ADDRCONFIG hides loopback-only families on some hosts; retry without it.
    hints.ai_flags = AI_NUMERICSERV;
    gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &result);
  }
  if (gai != 0) {
    throw NetError("cannot resolve " + name + ": " + ::gai_strerror(gai));
  }
  auto deadline = Clock::now() + timeout;
  std::string last_error = "no address";
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      if (!wait_for(fd, POLLOUT, remaining(deadline))) {
        last_error = "timed out";
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc != 0) {
      last_error = std::strerror(errno);
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::freeaddrinfo(result);
    TcpConnection connection(fd, target);
    if (tls.enabled) connection.start_tls(tls, remaining(deadline));
    return connection;
  }
  ::freeaddrinfo(result);
  throw NetError("cannot connect to " + name + ": " + last_error);
}

void TcpConnection::start_tls(const TlsOptions& tls, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ERR_clear_error();
  tls_context_ = SSL_CTX_new(TLS_client_method());
  if (tls_context_ == nullptr) throw NetError("TLS: " + openssl_errors());
  SSL_CTX_set_min_proto_version(tls_context_, TLS1_2_VERSION);
  if (!tls.insecure) {
    SSL_CTX_set_verify(tls_context_, SSL_VERIFY_PEER, nullptr);
    const int loaded = tls.ca_file.empty() ? SSL_CTX_set_default_verify_paths(tls_context_)
                                           : SSL_CTX_load_verify_locations(
                                                 tls_context_, tls.ca_file.c_str(), nullptr);
    if (loaded != 1) throw NetError("TLS CA file " + tls.ca_file + ": " + openssl_errors());
  }
  if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    if (tls.cert_file.empty() || tls.key_file.empty()) {
      throw NetError("TLS: a client certificate needs both --cert and --key");
    }
    if (SSL_CTX_use_certificate_chain_file(tls_context_, tls.cert_file.c_str()) != 1) {
      throw NetError("TLS certificate " + tls.cert_file + ": " + openssl_errors());
    }
    if (SSL_CTX_use_PrivateKey_file(tls_context_, tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(tls_context_) != 1) {
      throw NetError("TLS key " + tls.key_file + ": " + openssl_errors());
    }
  }
  tls_ = SSL_new(tls_context_);
  if (tls_ == nullptr || SSL_set_fd(tls_, fd_) != 1) throw NetError("TLS: " + openssl_errors());
  const std::string& host = endpoint_.host;
  if (is_ip_literal(host)) {
    if (!tls.insecure) X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(tls_), host.c_str());
  } else {
    SSL_set_tlsext_host_name(tls_, host.c_str());
    if (!tls.insecure) SSL_set1_host(tls_, host.c_str());
  }
  for (;;) {
    const int result = SSL_connect(tls_);
    if (result == 1) return;
    const int error = SSL_get_error(tls_, result);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
      if (!wait_for(fd_, error == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, remaining(deadline))) {
        throw NetError("timed out in the TLS handshake with " + peer_name_);
      }
      continue;
    }
    std::string reason = openssl_errors();
    const long verify = SSL_get_verify_result(tls_);
    if (verify != X509_V_OK) reason = X509_verify_cert_error_string(verify);
    if (reason.empty()) reason = "connection closed";
    throw NetError("TLS handshake with " + peer_name_ + " failed: " + reason);
  }
}

bool TcpConnection::wait_for_tls(int result, Clock::time_point deadline, bool* closed) {
  const int error = SSL_get_error(tls_, result);
  if (error == SSL_ERROR_WANT_READ) return wait_for(fd_, POLLIN, remaining(deadline));
  if (error == SSL_ERROR_WANT_WRITE) return wait_for(fd_, POLLOUT, remaining(deadline));
  if (closed != nullptr && (error == SSL_ERROR_ZERO_RETURN ||
                            (error == SSL_ERROR_SYSCALL && (errno == 0 || errno == ECONNRESET)))) {
    *closed = true;
    return true;
  }
  const std::string reasons = openssl_errors();
  throw NetError("TLS connection to " + peer_name_ +
                 " failed: " + (reasons.empty() ? std::strerror(errno) : reasons));
}

TcpConnection::TcpConnection(TcpConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      tls_context_(std::exchange(other.tls_context_, nullptr)),
      tls_(std::exchange(other.tls_, nullptr)),
      endpoint_(std::move(other.endpoint_)),
      peer_name_(std::move(other.peer_name_)),
      unread_(std::move(other.unread_)) {}

TcpConnection& TcpConnection::operator=(TcpConnection&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    tls_context_ = std::exchange(other.tls_context_, nullptr);
    tls_ = std::exchange(other.tls_, nullptr);
    endpoint_ = std::move(other.endpoint_);
    peer_name_ = std::move(other.peer_name_);
    unread_ = std::move(other.unread_);
  }
  return *this;
}

TcpConnection::~TcpConnection() { close(); }

void TcpConnection::close() {
  if (tls_ != nullptr) {
    SSL_shutdown(tls_);  // sends close_notify; does not wait for the peer's
    SSL_free(tls_);
    tls_ = nullptr;
  }
  if (tls_context_ != nullptr) {
    SSL_CTX_free(tls_context_);
    tls_context_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void TcpConnection::send_all(std::span<const std::uint8_t> bytes,
                             std::chrono::milliseconds timeout) {
  if (fd_ < 0) throw NetError("connection to " + peer_name_ + " is closed");
  auto deadline = Clock::now() + timeout;
  std::size_t sent = 0;
  while (tls_ != nullptr && sent < bytes.size()) {
    const int n = SSL_write(tls_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    bool closed = false;
    if (!wait_for_tls(n, deadline, &closed)) throw NetError("timed out sending to " + peer_name_);
    if (closed) throw NetError("connection closed by " + peer_name_);
  }
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(fd_, POLLOUT, remaining(deadline))) {
        throw NetError("timed out sending to " + peer_name_);
      }
      continue;
    }
    throw NetError("sending to " + peer_name_ + " failed: " + std::strerror(errno));
  }
}

TcpConnection::RecvStatus TcpConnection::recv_some(std::vector<std::uint8_t>& out,
                                                   std::chrono::milliseconds timeout) {
  if (!unread_.empty()) {
    out.insert(out.end(), unread_.begin(), unread_.end());
    unread_.clear();
    return RecvStatus::data;
  }
  if (fd_ < 0) return RecvStatus::closed;
  auto deadline = Clock::now() + timeout;
  std::uint8_t buffer[65536];
  while (tls_ != nullptr) {
    const int n = SSL_read(tls_, buffer, sizeof(buffer));
    if (n > 0) {
      out.insert(out.end(), buffer, buffer + n);
      return RecvStatus::data;
    }
    bool closed = false;
    if (!wait_for_tls(n, deadline, &closed)) return RecvStatus::timeout;
    if (closed) return RecvStatus::closed;
  }
  for (;;) {
    ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      out.insert(out.end(), buffer, buffer + n);
      return RecvStatus::data;
    }
    if (n == 0) return RecvStatus::closed;
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return RecvStatus::closed;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      throw NetError("receiving from " + peer_name_ + " failed: " + std::strerror(errno));
    }
    if (!wait_for(fd_, POLLIN, remaining(deadline))) return RecvStatus::timeout;
  }
}

void TcpConnection::recv_exact(std::span<std::uint8_t> out, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::size_t filled = 0;
  std::vector<std::uint8_t> chunk;
  while (filled < out.size()) {
    chunk.clear();
    auto status = recv_some(chunk, remaining(deadline));
    if (status == RecvStatus::timeout) {
      throw NetError("timed out waiting for " + peer_name_ + " after " +
                     std::to_string(timeout.count()) + " ms");
    }
    if (status == RecvStatus::closed) throw NetError("connection closed by " + peer_name_);
    std::size_t take = std::min(chunk.size(), out.size() - filled);
    std::copy_n(chunk.begin(), take, out.begin() + static_cast<std::ptrdiff_t>(filled));
    filled += take;
    unread_.assign(chunk.begin() + static_cast<std::ptrdiff_t>(take), chunk.end());
  }
}

}  // namespace mockforge::cli::net
