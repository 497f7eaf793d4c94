// A small blocking TCP connection for the protocol clients: resolve (trying
// every address, so `localhost` works whether the server listens on ::1 or
// 127.0.0.1), connect with a timeout, send and receive with timeouts. No Asio,
// so the client commands stay quick to compile.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

class TcpConnection {
 public:
  // Tries each resolved address in turn within `timeout` overall. Throws
  // NetError ("cannot connect to localhost:1883: Connection refused").
  static TcpConnection connect(const std::string& host, std::uint16_t port,
                               std::chrono::milliseconds timeout);
  static TcpConnection connect(const Endpoint& endpoint, std::chrono::milliseconds timeout);

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
  int fd_ = -1;
  Endpoint endpoint_;
  std::string peer_name_;
  std::vector<std::uint8_t> unread_;  // received beyond what recv_exact needed
};

// Milliseconds left until `deadline`, never negative.
std::chrono::milliseconds remaining(std::chrono::steady_clock::time_point deadline);

}  // namespace mockforge::cli::net
