#include "cli/mqtt/client.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <type_traits>
#include <variant>

namespace mockforge::cli::mqtt {
namespace {

using Clock = std::chrono::steady_clock;

std::string hex_byte(std::uint8_t value) {
  char text[8];
  std::snprintf(text, sizeof(text), "0x%02X", value);
  return text;
}

std::string generated_client_id() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digits(0, 0xFFFF);
  char text[48];
  std::snprintf(text, sizeof(text), "mockforge-cli-%d-%04x", static_cast<int>(::getpid()),
                digits(device));
  return text;
}

}  // namespace

std::string describe(codec::ReasonCode code) {
  return std::string(codec::reason_code_name(code)) + " (" +
         hex_byte(static_cast<std::uint8_t>(code)) + ")";
}

Client Client::connect(const ConnectOptions& options) {
  auto connection =
      net::TcpConnection::connect(options.host, options.port, options.timeout, options.tls);
  Client client(std::move(connection), options);
  if (options.websocket) {
    client.websocket_ = WebSocket::handshake(client.connection_, options.host, options.port,
                                             options.websocket_path, "mqtt", options.timeout);
  }
  codec::Connect connect;
  connect.protocol_version = options.version;
  connect.clean_start = true;
  connect.keep_alive = options.keep_alive;
  connect.client_id = options.client_id.empty() ? generated_client_id() : options.client_id;
  connect.user_name = options.username;
  if (options.password) {
    connect.password = codec::Bytes(options.password->begin(), options.password->end());
  }
  client.send(connect);
  auto deadline = Clock::now() + options.timeout;
  auto packet = client.read_packet(deadline);
  if (!packet) {
    throw MqttError("no CONNACK from " + client.connection_.peer_name() + " within " +
                    std::to_string(options.timeout.count()) + " ms");
  }
  auto* connack = std::get_if<codec::Connack>(&*packet);
  if (connack == nullptr) {
    throw MqttError("expected CONNACK from " + client.connection_.peer_name() + ", got " +
                    std::string(codec::packet_type_name(codec::packet_type(*packet))));
  }
  if (codec::is_error(connack->reason_code)) {
    throw MqttError("connection refused by " + client.connection_.peer_name() + ": " +
                    describe(connack->reason_code));
  }
  client.connack_ = *connack;
  if (auto keep_alive = connack->properties.integer(codec::PropertyId::server_keep_alive)) {
    client.options_.keep_alive = static_cast<std::uint16_t>(*keep_alive);
  }
  return client;
}

void Client::send(const codec::Packet& packet) {
  codec::Bytes bytes;
  codec::encode_packet(packet, options_.version, bytes);
  if (websocket_) {
    websocket_->send(connection_, bytes, options_.timeout);
  } else {
    connection_.send_all(bytes, options_.timeout);
  }
  last_sent_ = Clock::now();
}

std::uint16_t Client::next_packet_id() {
  last_packet_id_ = static_cast<std::uint16_t>(last_packet_id_ == 0xFFFF ? 1 : last_packet_id_ + 1);
  return last_packet_id_;
}

std::optional<codec::Packet> Client::read_packet(Clock::time_point deadline) {
  for (;;) {
    auto result = framer_.next();
    if (result.status == codec::Framer::Status::error) {
      throw MqttError("bad packet from " + connection_.peer_name() + ": " + result.error.message);
    }
    if (result.status == codec::Framer::Status::packet) {
      auto decoded = codec::decode_packet(result.packet, options_.version);
      if (!decoded) {
        throw MqttError("bad packet from " + connection_.peer_name() + ": " +
                        decoded.error().message + " (" + describe(decoded.error().reason_code) +
                        ")");
      }
      codec::Packet packet = std::move(decoded.value());
      if (std::holds_alternative<codec::PingResp>(packet)) continue;
      if (auto* disconnect = std::get_if<codec::Disconnect>(&packet)) {
        std::string reason = describe(disconnect->reason_code);
        if (auto text = disconnect->properties.string(codec::PropertyId::reason_string)) {
          reason += ": " + std::string(*text);
        }
        throw MqttError("disconnected by " + connection_.peer_name() + ": " + reason);
      }
      if (auto* pubrel = std::get_if<codec::PubRel>(&packet)) {
        codec::PubComp comp;
        comp.packet_id = pubrel->packet_id;
        if (awaiting_pubrel_.erase(pubrel->packet_id) == 0) {
          comp.reason_code = codec::ReasonCode::packet_identifier_not_found;
        }
        send(comp);
        continue;
      }
      if (auto* publish = std::get_if<codec::Publish>(&packet)) {
        if (publish->qos == codec::QoS::at_least_once) {
          codec::PubAck ack;
          ack.packet_id = publish->packet_id;
          send(ack);
        } else if (publish->qos == codec::QoS::exactly_once) {
          codec::PubRec rec;
          rec.packet_id = publish->packet_id;
          bool duplicate = !awaiting_pubrel_.insert(publish->packet_id).second;
          send(rec);
          // A resent PUBLISH before our PUBREC arrived: delivered already.
          if (duplicate) continue;
        }
      }
      return packet;
    }
    auto now = Clock::now();
    if (now >= deadline) return std::nullopt;
    auto wake = deadline;
    if (options_.keep_alive > 0) {
      auto ping_at = last_sent_ + std::chrono::seconds(options_.keep_alive);
      if (ping_at <= now) {
        send(codec::PingReq{});
        ping_at = last_sent_ + std::chrono::seconds(options_.keep_alive);
      }
      wake = std::min(wake, ping_at);
    }
    pending_bytes_.clear();
    auto status = websocket_
                      ? websocket_->recv_some(connection_, pending_bytes_, net::remaining(wake))
                      : connection_.recv_some(pending_bytes_, net::remaining(wake));
    if (status == net::TcpConnection::RecvStatus::closed) {
      throw MqttError("connection closed by " + connection_.peer_name());
    }
    if (status == net::TcpConnection::RecvStatus::data) framer_.feed(pending_bytes_);
  }
}

template <typename T>
T Client::await(std::uint16_t packet_id, std::string_view what) {
  auto deadline = Clock::now() + options_.timeout;
  for (;;) {
    auto packet = read_packet(deadline);
    if (!packet) {
      throw MqttError("no " + std::string(what) + " from " + connection_.peer_name() + " within " +
                      std::to_string(options_.timeout.count()) + " ms");
    }
    if (auto* publish = std::get_if<codec::Publish>(&*packet)) {
      inbox_.push_back(std::move(*publish));
      continue;
    }
    if (auto* reply = std::get_if<T>(&*packet)) {
      if (reply->packet_id == packet_id) return std::move(*reply);
    }
  }
}

codec::ReasonCode Client::publish(codec::Publish message) {
  if (message.qos != codec::QoS::at_most_once) message.packet_id = next_packet_id();
  send(message);
  if (message.qos == codec::QoS::at_least_once) {
    return await<codec::PubAck>(message.packet_id, "PUBACK").reason_code;
  }
  if (message.qos == codec::QoS::exactly_once) {
    auto rec = await<codec::PubRec>(message.packet_id, "PUBREC");
    if (codec::is_error(rec.reason_code)) return rec.reason_code;
    codec::PubRel rel;
    rel.packet_id = message.packet_id;
    send(rel);
    auto comp = await<codec::PubComp>(message.packet_id, "PUBCOMP");
    return codec::is_error(comp.reason_code) ? comp.reason_code : rec.reason_code;
  }
  return codec::ReasonCode::success;
}

std::vector<codec::ReasonCode> Client::subscribe(
    const std::vector<codec::Subscription>& subscriptions, const codec::Properties& properties) {
  codec::Subscribe subscribe;
  subscribe.packet_id = next_packet_id();
  subscribe.subscriptions = subscriptions;
  subscribe.properties = properties;
  send(subscribe);
  auto suback = await<codec::Suback>(subscribe.packet_id, "SUBACK");
  if (suback.reason_codes.size() != subscriptions.size()) {
    throw MqttError("SUBACK from " + connection_.peer_name() + " has " +
                    std::to_string(suback.reason_codes.size()) + " reason codes for " +
                    std::to_string(subscriptions.size()) + " subscriptions");
  }
  return suback.reason_codes;
}

std::optional<codec::Publish> Client::next_message(Clock::time_point deadline) {
  if (!inbox_.empty()) {
    codec::Publish message = std::move(inbox_.front());
    inbox_.erase(inbox_.begin());
    return message;
  }
  for (;;) {
    auto packet = read_packet(deadline);
    if (!packet) return std::nullopt;
    if (auto* publish = std::get_if<codec::Publish>(&*packet)) return std::move(*publish);
  }
}

void Client::disconnect() {
  auto deadline = Clock::now() + options_.timeout;
  while (!awaiting_pubrel_.empty() && Clock::now() < deadline) {
    auto packet = read_packet(deadline);
    if (!packet) break;
  }
  send(codec::Disconnect{});
  if (websocket_) websocket_->close(connection_, options_.timeout);
  connection_.close();
}

}  // namespace mockforge::cli::mqtt
