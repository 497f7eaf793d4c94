// A small blocking TCP connection for the protocol clients: resolve (trying
// every address, so `localhost` works whether the server listens on ::1 or
// 127.0.0.1), connect with a timeout, send and receive with timeouts, over
// TLS (OpenSSL) when asked. No Asio, so the client commands stay quick to
// compile.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct ssl_st;      // OpenSSL's SSL
struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace mockforge::cli::net {

// Connection failures and I/O errors; the message names host:port.
class NetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// host:port; IPv6 literals are written [::1]:9092.
struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string to_string() const;
  bool operator==(const Endpoint&) const = default;
};

// "host:port" or "host" (then `default_port`), "[::1]:port" for IPv6.
// Throws NetError on an empty host or a bad port.
Endpoint parse_endpoint(std::string_view text, std::uint16_t default_port);
// A comma-separated list of endpoints; empty entries are refused.
std::vector<Endpoint> parse_endpoint_list(std::string_view text, std::uint16_t default_port);

// TLS for a client connection, as mosquitto_pub's --cafile/--cert/--key and
// kcat's ssl.* settings: the server certificate is verified against
// `ca_file` (or the system's CAs) and its name against the host connected
// to, unless `insecure`.
struct TlsOptions {
  bool enabled = false;
  std::string ca_file;
  std::string cert_file;  // a client certificate, with key_file
  std::string key_file;
  bool insecure = false;
};

class TcpConnection {
 public:
  // Tries each resolved address in turn within `timeout` overall, then runs
  // the TLS handshake when `tls` is enabled. Throws NetError ("cannot
  // connect to localhost:1883: Connection refused", "TLS handshake with
  // localhost:8883 failed: certificate verify failed").
  static TcpConnection connect(const std::string& host, std::uint16_t port,
                               std::chrono::milliseconds timeout, const TlsOptions& tls = {});
  static TcpConnection connect(const Endpoint& endpoint, std::chrono::milliseconds timeout,
                               const TlsOptions& tls = {});

  TcpConnection(TcpConnection&& other) noexcept;
  TcpConnection& operator=(TcpConnection&& other) noexcept;
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;
  ~TcpConnection();

  // Sends every byte or throws NetError (peer closed, timeout).
  void send_all(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout);

  enum class RecvStatus { data, timeout, closed };
  // Appends what arrives within `timeout` to `out`. Throws NetError on a
  // socket error (connection reset counts as `closed`).
  RecvStatus recv_some(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout);

  // Fills `out` completely within `timeout` or throws NetError (timeout,
  // connection closed by the peer).
  void recv_exact(std::span<std::uint8_t> out, std::chrono::milliseconds timeout);

  void close();
  bool is_open() const { return fd_ >= 0; }
  // "host:port" as given to connect().
  const std::string& peer_name() const { return peer_name_; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  TcpConnection(int fd, Endpoint endpoint)
      : fd_(fd), endpoint_(std::move(endpoint)), peer_name_(endpoint_.to_string()) {}
  void start_tls(const TlsOptions& tls, std::chrono::milliseconds timeout);
  // Waits as OpenSSL asks after `result` of an SSL call; false on timeout.
  // Throws NetError for anything but a wait (`closed` set on a clean end).
  bool wait_for_tls(int result, std::chrono::steady_clock::time_point deadline, bool* closed);
  int fd_ = -1;
  ssl_ctx_st* tls_context_ = nullptr;
  ssl_st* tls_ = nullptr;
  Endpoint endpoint_;
  std::string peer_name_;
  std::vector<std::uint8_t> unread_;  // received beyond what recv_exact needed
};

// Milliseconds left until `deadline`, never negative.
std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline);

}  // namespace mockforge::cli::net
