#include "cli/mqtt/websocket.h"

#include <random>

#include "cli/net/payload.h"

namespace mockforge::cli::mqtt {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::uint32_t rotl(std::uint32_t value, int bits) {
  return (value << bits) | (value >> (32 - bits));
}

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

}  // namespace

std::array<std::uint8_t, 20> sha1(std::string_view data) {
  std::uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string message(data);
  std::uint64_t bit_length = static_cast<std::uint64_t>(data.size()) * 8;
  message += static_cast<char>(0x80);
  while (message.size() % 64 != 56) message += '\0';
  for (int i = 7; i >= 0; --i) message += static_cast<char>((bit_length >> (i * 8)) & 0xFF);
  for (std::size_t chunk = 0; chunk < message.size(); chunk += 64) {
    std::uint32_t w[80];
    for (int i = 0; i < 16; ++i) {
      w[i] =
          (static_cast<std::uint32_t>(static_cast<unsigned char>(message[chunk + 4 * i])) << 24) |
          (static_cast<std::uint32_t>(static_cast<unsigned char>(message[chunk + 4 * i + 1]))
           << 16) |
          (static_cast<std::uint32_t>(static_cast<unsigned char>(message[chunk + 4 * i + 2]))
           << 8) |
          static_cast<std::uint32_t>(static_cast<unsigned char>(message[chunk + 4 * i + 3]));
    }
    for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDC;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6;
      }
      std::uint32_t temp = rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  std::array<std::uint8_t, 20> digest;
  for (int i = 0; i < 5; ++i) {
    for (int j = 0; j < 4; ++j) digest[4 * i + j] = static_cast<std::uint8_t>(h[i] >> (24 - 8 * j));
  }
  return digest;
}

std::string websocket_accept(std::string_view key) {
  auto digest = sha1(std::string(key) + std::string(kGuid));
  return net::base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 20));
}

WebSocket WebSocket::handshake(net::TcpConnection& connection, const std::string& host,
                               std::uint16_t port, const std::string& path,
                               const std::string& protocol, std::chrono::milliseconds timeout) {
  std::random_device device;
  std::string nonce(16, '\0');
  for (auto& c : nonce) c = static_cast<char>(device() & 0xFF);
  const std::string key = net::base64_encode(nonce);
  std::string host_header = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string request =
      "GET " + path + " HTTP/1.1\r\nHost: " + host_header + ":" + std::to_string(port) +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
      "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + protocol + "\r\n\r\n";
  connection.send_all(
      std::span(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()), timeout);
  WebSocket socket;
  auto deadline = Clock::now() + timeout;
  std::string head;
  for (;;) {
    auto end = std::string_view(reinterpret_cast<const char*>(socket.buffer_.data()),
                                socket.buffer_.size())
                   .find("\r\n\r\n");
    if (end != std::string_view::npos) {
      head.assign(reinterpret_cast<const char*>(socket.buffer_.data()), end);
      socket.buffer_.erase(socket.buffer_.begin(),
                           socket.buffer_.begin() + static_cast<std::ptrdiff_t>(end + 4));
      break;
    }
    if (socket.buffer_.size() > 16384) {
      throw net::NetError("WebSocket upgrade answer from " + connection.peer_name() +
                          " is too long");
    }
    auto status = connection.recv_some(socket.buffer_, net::remaining(deadline));
    if (status == net::TcpConnection::RecvStatus::closed) {
      throw net::NetError("connection closed by " + connection.peer_name() +
                          " during the WebSocket upgrade");
    }
    if (status == net::TcpConnection::RecvStatus::timeout) {
      throw net::NetError("no WebSocket upgrade answer from " + connection.peer_name());
    }
  }
  auto first_line_end = head.find("\r\n");
  std::string status_line = head.substr(0, first_line_end);
  if (status_line.rfind("HTTP/1.1 101", 0) != 0) {
    throw net::NetError("WebSocket upgrade of " + path + " refused by " + connection.peer_name() +
                        ": " + status_line);
  }
  std::string accept, chosen_protocol, upgrade;
  std::size_t pos = first_line_end == std::string::npos ? head.size() : first_line_end + 2;
  while (pos < head.size()) {
    auto line_end = head.find("\r\n", pos);
    std::string_view line(head.data() + pos,
                          (line_end == std::string::npos ? head.size() : line_end) - pos);
    auto colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name = lower(std::string(line.substr(0, colon)));
      std::string value = trim(line.substr(colon + 1));
      if (name == "sec-websocket-accept") accept = value;
      if (name == "sec-websocket-protocol") chosen_protocol = value;
      if (name == "upgrade") upgrade = lower(value);
    }
    if (line_end == std::string::npos) break;
    pos = line_end + 2;
  }
  if (upgrade != "websocket") {
    throw net::NetError("WebSocket upgrade answer from " + connection.peer_name() +
                        " lacks 'Upgrade: websocket'");
  }
  if (accept != websocket_accept(key)) {
    throw net::NetError("WebSocket upgrade answer from " + connection.peer_name() +
                        " has a wrong Sec-WebSocket-Accept");
  }
  if (chosen_protocol != protocol) {
    throw net::NetError(connection.peer_name() + " did not accept the WebSocket subprotocol '" +
                        protocol + "'");
  }
  return socket;
}

void WebSocket::send_frame(net::TcpConnection& connection, std::uint8_t opcode,
                           std::span<const std::uint8_t> payload,
                           std::chrono::milliseconds timeout) {
  std::vector<std::uint8_t> frame;
  frame.reserve(payload.size() + 14);
  frame.push_back(static_cast<std::uint8_t>(0x80 | opcode));  // FIN
  if (payload.size() < 126) {
    frame.push_back(static_cast<std::uint8_t>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    frame.push_back(0x80 | 126);
    frame.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
    frame.push_back(static_cast<std::uint8_t>(payload.size()));
  } else {
    frame.push_back(0x80 | 127);
    for (int i = 7; i >= 0; --i) {
      frame.push_back(
          static_cast<std::uint8_t>(static_cast<std::uint64_t>(payload.size()) >> (8 * i)));
    }
  }
  static std::random_device device;
  std::uint32_t mask_value = device();
  std::uint8_t mask[4] = {
      static_cast<std::uint8_t>(mask_value >> 24), static_cast<std::uint8_t>(mask_value >> 16),
      static_cast<std::uint8_t>(mask_value >> 8), static_cast<std::uint8_t>(mask_value)};
  frame.insert(frame.end(), mask, mask + 4);
  for (std::size_t i = 0; i < payload.size(); ++i) frame.push_back(payload[i] ^ mask[i % 4]);
  connection.send_all(frame, timeout);
}

void WebSocket::send(net::TcpConnection& connection, std::span<const std::uint8_t> payload,
                     std::chrono::milliseconds timeout) {
  send_frame(connection, 0x2, payload, timeout);
}

void WebSocket::close(net::TcpConnection& connection, std::chrono::milliseconds timeout) {
  if (close_sent_) return;
  close_sent_ = true;
  const std::uint8_t normal[2] = {0x03, 0xE8};  // 1000
  send_frame(connection, 0x8, normal, timeout);
}

net::TcpConnection::RecvStatus WebSocket::recv_some(net::TcpConnection& connection,
                                                    std::vector<std::uint8_t>& out,
                                                    std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    bool delivered = false;
    // Parse every complete frame in the buffer.
    for (;;) {
      if (buffer_.size() < 2) break;
      std::uint8_t opcode = buffer_[0] & 0x0F;
      bool masked = (buffer_[1] & 0x80) != 0;
      std::uint64_t length = buffer_[1] & 0x7F;
      std::size_t header = 2;
      if (length == 126) {
        if (buffer_.size() < 4) break;
        length = (static_cast<std::uint64_t>(buffer_[2]) << 8) | buffer_[3];
        header = 4;
      } else if (length == 127) {
        if (buffer_.size() < 10) break;
        length = 0;
        for (int i = 0; i < 8; ++i) length = (length << 8) | buffer_[2 + i];
        header = 10;
      }
      if (masked) {
        throw net::NetError("masked WebSocket frame from server " + connection.peer_name());
      }
      if (length > (std::uint64_t{1} << 28)) {
        throw net::NetError("WebSocket frame of " + std::to_string(length) + " bytes from " +
                            connection.peer_name());
      }
      if (buffer_.size() < header + length) break;
      std::span<const std::uint8_t> payload(buffer_.data() + header,
                                            static_cast<std::size_t>(length));
      if (opcode == 0x0 || opcode == 0x2) {
        out.insert(out.end(), payload.begin(), payload.end());
        delivered = true;
      } else if (opcode == 0x9) {
        std::vector<std::uint8_t> copy(payload.begin(), payload.end());
        send_frame(connection, 0xA, copy, net::remaining(deadline) + std::chrono::seconds(1));
      } else if (opcode == 0x8) {
        if (!close_sent_) {
          std::vector<std::uint8_t> copy(
              payload.begin(), payload.begin() + std::min<std::size_t>(2, payload.size()));
          close_sent_ = true;
          send_frame(connection, 0x8, copy, std::chrono::seconds(1));
        }
        buffer_.clear();
        return delivered ? net::TcpConnection::RecvStatus::data
                         : net::TcpConnection::RecvStatus::closed;
      } else if (opcode != 0xA) {
        throw net::NetError("unexpected WebSocket opcode " + std::to_string(opcode) + " from " +
                            connection.peer_name());
      }
      buffer_.erase(buffer_.begin(),
                    buffer_.begin() + static_cast<std::ptrdiff_t>(header + length));
    }
    if (delivered) return net::TcpConnection::RecvStatus::data;
    auto status = connection.recv_some(buffer_, net::remaining(deadline));
    if (status != net::TcpConnection::RecvStatus::data) return status;
  }
}

}  // namespace mockforge::cli::mqtt
