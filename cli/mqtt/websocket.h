// Client side of RFC 6455 over a net::TcpConnection, enough for MQTT over
// WebSocket: the HTTP upgrade (Sec-WebSocket-Key, Accept checked, subprotocol
// checked), masked binary frames out, binary and continuation frames in as a
// byte stream, ping answered with pong, close answered and reported.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/net/tcp.h"

namespace mockforge::cli::mqtt {

// SHA-1 of `data` (for the Sec-WebSocket-Accept check).
std::array<std::uint8_t, 20> sha1(std::string_view data);
// base64(SHA-1(key + RFC 6455 GUID)).
std::string websocket_accept(std::string_view key);

class WebSocket {
 public:
  // Sends the upgrade request and checks the 101 answer. Throws net::NetError.
  static WebSocket handshake(net::TcpConnection& connection, const std::string& host,
                             std::uint16_t port, const std::string& path,
                             const std::string& protocol, std::chrono::milliseconds timeout);

  // One masked binary frame.
  void send(net::TcpConnection& connection, std::span<const std::uint8_t> payload,
            std::chrono::milliseconds timeout);
  // Appends application bytes (binary/continuation payloads) to `out`; `closed`
  // after a close frame (answered) or when the TCP connection ends.
  net::TcpConnection::RecvStatus recv_some(net::TcpConnection& connection,
                                           std::vector<std::uint8_t>& out,
                                           std::chrono::milliseconds timeout);
  // Sends a close frame (normal closure).
  void close(net::TcpConnection& connection, std::chrono::milliseconds timeout);

 private:
  void send_frame(net::TcpConnection& connection, std::uint8_t opcode,
                  std::span<const std::uint8_t> payload, std::chrono::milliseconds timeout);
  std::vector<std::uint8_t> buffer_;  // received bytes not yet parsed as frames
  bool close_sent_ = false;
};

}  // namespace mockforge::cli::mqtt
