// A blocking MQTT 3.1.1/5 client over cli/net, built on the broker's codec.
// It completes the QoS 1 and 2 handshakes in both directions, answers
// keep-alive, and reports failures as MqttError with the reason code's name.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "brokers/mqtt/codec/framer.h"
#include "brokers/mqtt/codec/packet.h"
#include "cli/mqtt/websocket.h"
#include "cli/net/tcp.h"

namespace mockforge::cli::mqtt {

namespace codec = ::mockforge::mqtt;

class MqttError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ConnectOptions {
  std::string host = "localhost";
  std::uint16_t port = 1883;
  codec::ProtocolVersion version = codec::ProtocolVersion::v5;
  std::string client_id;  // empty: v5 lets the broker assign one; 3.1.1 gets a generated id
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::uint16_t keep_alive = 60;
  std::chrono::milliseconds timeout{10000};  // connect and each acknowledgement
  // MQTT over WebSocket: upgrade `websocket_path` with subprotocol "mqtt".
  bool websocket = false;
  std::string websocket_path = "/mqtt";
  net::TlsOptions tls;  // MQTT over TLS (or wss with websocket)
};

// "Not authorized (0x87)".
std::string describe(codec::ReasonCode code);

class Client {
 public:
  // Connects and completes CONNECT/CONNACK. Throws net::NetError or MqttError.
  static Client connect(const ConnectOptions& options);

  codec::ProtocolVersion version() const { return options_.version; }
  const codec::Connack& connack() const { return connack_; }

  // Sends a PUBLISH and, for QoS 1 and 2, waits for the acknowledgement (and
  // completes PUBREC/PUBREL/PUBCOMP). Returns the v5 reason code of PUBACK or
  // PUBREC (Success for QoS 0 and for 3.1.1). Messages received meanwhile are
  // queued for next_message().
  codec::ReasonCode publish(codec::Publish message);

  // Sends SUBSCRIBE and returns the SUBACK's reason codes (one per filter).
  std::vector<codec::ReasonCode> subscribe(const std::vector<codec::Subscription>& subscriptions,
                                           const codec::Properties& properties = {});

  // The next application message, acknowledged as its QoS requires, or
  // nullopt when `deadline` passes. Throws MqttError if the broker
  // disconnects.
  std::optional<codec::Publish> next_message(std::chrono::steady_clock::time_point deadline);

  // Finishes pending inbound QoS 2 handshakes (bounded by the timeout), then
  // sends DISCONNECT and closes.
  void disconnect();

 private:
  Client(net::TcpConnection connection, ConnectOptions options)
      : connection_(std::move(connection)), options_(std::move(options)) {}

  void send(const codec::Packet& packet);
  // The next packet other than PINGRESP, handling keep-alive and inbound
  // publishes' acknowledgements; nullopt at the deadline.
  std::optional<codec::Packet> read_packet(std::chrono::steady_clock::time_point deadline);
  // Waits for a packet of type T with this packet id; other traffic is handled
  // and inbound messages queued.
  template <typename T>
  T await(std::uint16_t packet_id, std::string_view what);
  std::uint16_t next_packet_id();
  void handle_inbound_publish(codec::Publish& message);

  net::TcpConnection connection_;
  std::optional<WebSocket> websocket_;
  ConnectOptions options_;
  codec::Connack connack_;
  codec::Framer framer_;
  std::vector<std::uint8_t> pending_bytes_;
  std::vector<codec::Publish> inbox_;
  std::set<std::uint16_t> awaiting_pubrel_;
  std::uint16_t last_packet_id_ = 0;
  std::uint16_t server_keep_alive_ = 0;
  std::chrono::steady_clock::time_point last_sent_;
};

}  // namespace mockforge::cli::mqtt
