#include "brokers/mqtt/broker/client.h"

#include <fmt/format.h>

#include <utility>

#include "brokers/mqtt/handlers/handlers.h"
#include "faults/fault_set.h"

namespace mockforge::mqtt {

namespace {

PacketType frame_type(std::span<const uint8_t> frame) {
  return static_cast<PacketType>(frame[0] >> 4);
}

}  // namespace

Client::Client(Broker& broker) : broker_(broker) {}
Client::~Client() = default;

std::string_view Client::client_id() const {
  return session_ ? session_->client_id() : std::string_view();
}

Client::Extras& Client::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

void Client::on_frame(std::span<const uint8_t> frame) {
  if (ending_ || frame.empty()) return;
  const PacketType type = frame_type(frame);
  auto& stats = broker_.stats();
  stats.packets_received.fetch_add(1, std::memory_order_relaxed);
  stats.bytes_received.fetch_add(frame.size(), std::memory_order_relaxed);
  if (!connect_seen_ && type != PacketType::connect) {
    end("first packet is not CONNECT");
    return;
  }
  if (connect_seen_ && type == PacketType::connect) {
    fail(ReasonCode::protocol_error, "second CONNECT on one connection");
    return;
  }
  auto decoded = decode_packet(frame, version_);
  if (!decoded) {
    on_framing_error(decoded.error());
    return;
  }
  if (type == PacketType::connect) connect_seen_ = true;
  if (const auto* faults = broker_.fault_set(); faults && faults->armed(traffic::Protocol::kMqtt)) {
    if (apply_faults(decoded.value())) return;
  }
  dispatch_packet(*this, decoded.value());
}

void Client::on_framing_error(const DecodeError& error) {
  if (ending_) return;
  if (connect_seen_) {
    fail(error.reason_code, error.message);
    return;
  }
  connect_seen_ = true;
  if (error.connect_version) {
    version_ = *error.connect_version;
    // A 3.1.1 server closes on a malformed CONNECT; a v5 server may say why.
    // A refused client id is answered in both (3.1.1 return code 0x02).
    if (v5() || error.reason_code == ReasonCode::client_identifier_not_valid) {
      refuse_connect(error.reason_code, error.message);
    } else {
      end(error.message);
    }
  } else if (error.reason_code == ReasonCode::unsupported_protocol_version) {
    version_ = ProtocolVersion::v3_1_1;  // answered the 3.1.1 way: return code 0x01
    refuse_connect(error.reason_code, error.message);
  } else {
    end(error.message);
  }
}

void Client::on_read_timeout() {
  if (ending_) return;
  if (!connected_) {
    end("no CONNECT in time");
    return;
  }
  fail(ReasonCode::keep_alive_timeout, "keep alive timeout");
}

void Client::on_server_shutdown() {
  if (ending_) return;
  send_will_ = false;
  if (connected_ && v5()) send(Disconnect{ReasonCode::server_shutting_down, {}});
  end("server shutting down");
}

void Client::taken_over() {
  if (ending_ || !connected_) return;
  if (v5()) send(Disconnect{ReasonCode::session_taken_over, {}});
  end("session taken over");
}

void Client::session_dropped_now() {
  if (ending_ || !connected_) return;
  // The will belongs to the session the reset dropped.
  send_will_ = false;
  if (v5()) send(Disconnect{ReasonCode::administrative_action, {}});
  end("session dropped by an admin reset");
}

void Client::on_closed() {
  ending_ = true;
  if (!connected_) return;
  if (events_on()) {
    const bool ours = extras_ && !extras_->close_reason.empty();
    emit_event(traffic::EventKind::kDisconnect, {},
               ours ? std::string_view(extras_->close_reason) : "closed by the client");
  }
  connected_ = false;
  SessionHandOver hand_over;
  if (extras_) {
    for (auto& [packet_id, inflight] : extras_->inflight) {
      hand_over.outbound.push_back({packet_id, inflight.released, std::move(inflight.delivery)});
    }
    extras_->inflight.clear();
    inflight_seen_.store(0, std::memory_order_relaxed);
    for (auto& delivery : extras_->backlog) {
      // QoS 0 waits in the backlog only while a fault pauses deliveries;
      // like any QoS 0 message to a client that went away, it is lost.
      if (delivery.qos == QoS::at_most_once) continue;
      hand_over.outbound.push_back({0, false, std::move(delivery)});
    }
    extras_->backlog.clear();
    hand_over.inbound_qos2.assign(extras_->inbound_qos2.begin(), extras_->inbound_qos2.end());
  }
  std::optional<WillMessage> will;
  if (send_will_ && extras_ && extras_->will) will = std::move(extras_->will);
  const auto link = make_link();
  broker_.disconnected(std::string(client_id()), link.get(), session_.get(), session_expiry(),
                       std::move(hand_over), std::move(will));
}

void Client::send(const Packet& packet) {
  Bytes bytes = encode_packet(packet, version_);
  auto& stats = broker_.stats();
  stats.packets_sent.fetch_add(1, std::memory_order_relaxed);
  stats.bytes_sent.fetch_add(bytes.size(), std::memory_order_relaxed);
  send_bytes(std::move(bytes));
}

Identity Client::identity() const {
  Identity who;
  who.client_id = client_id();
  if (extras_ && extras_->username) who.username = *extras_->username;
  return who;
}

const AccessControl* Client::acl() const {
  const auto& acl = broker_.options().acl;
  return acl && !acl->empty() ? acl.get() : nullptr;
}

void Client::fail(ReasonCode code, std::string reason) {
  if (ending_) return;
  if (events_on()) {
    emit_event(traffic::EventKind::kError, {},
               fmt::format("{} (0x{:02X}): {}", reason_code_name(code), static_cast<unsigned>(code),
                           reason));
  }
  if (connected_ && v5()) {
    Disconnect disconnect{code, {}};
    send(disconnect);
  }
  end(std::move(reason));
}

void Client::refuse_connect(ReasonCode code, std::string reason) {
  if (events_on()) {
    emit_event(traffic::EventKind::kError, {},
               fmt::format("CONNECT refused: {} (0x{:02X}): {}", reason_code_name(code),
                           static_cast<unsigned>(code), reason));
  }
  Connack connack;
  connack.reason_code = code;
  send(connack);
  end(std::move(reason));
}

void Client::client_disconnected(const Disconnect& disconnect) {
  // Normal disconnection discards the will; 0x04 (and any error) keeps it.
  send_will_ = disconnect.reason_code != ReasonCode::normal_disconnection;
  end("client DISCONNECT");
}

void Client::end(std::string reason) {
  if (ending_) return;
  ending_ = true;
  if (connected_ && events_on()) extras().close_reason = reason;
  close_connection(std::move(reason));
}

bool Client::accept(Accepted accepted) {
  set_session_expiry(accepted.session_expiry);
  if (accepted.will) extras().will = std::move(accepted.will);
  if (accepted.receive_maximum != 65535) extras().receive_maximum = accepted.receive_maximum;
  if (accepted.maximum_packet_size != kMaxPacketSize) {
    extras().maximum_packet_size = accepted.maximum_packet_size;
  }
  if (accepted.topic_alias_maximum != 0) {
    extras().topic_alias_maximum = accepted.topic_alias_maximum;
  }
  if (accepted.username) extras().username = std::move(accepted.username);
  connected_ = true;
  keep_alive_secs_ = accepted.keep_alive_secs;
  auto link = make_link();
  set_read_timeout(std::chrono::milliseconds(accepted.keep_alive_secs) * 1500);
  auto result =
      broker_.connect(accepted.client_id, accepted.clean_start, session_expiry(), std::move(link));
  // The broker set session_ (registered()) under its lock: it keys the
  // broker's registry, which other connections' threads read.
  if (!result.resumed.outbound.empty() || !result.resumed.inbound_qos2.empty() ||
      !result.queued.empty()) {
    extras().resumption = std::make_unique<Resumption>(
        Resumption{std::move(result.resumed), std::move(result.queued)});
  }
  awaiting_hand_over_ = result.awaiting_hand_over;
  if (events_on()) {
    emit_event(traffic::EventKind::kConnect, {},
               fmt::format("MQTT {}, clean start {}, keep alive {}s, session present {}",
                           version_ == ProtocolVersion::v5       ? "5"
                           : version_ == ProtocolVersion::v3_1_1 ? "3.1.1"
                                                                 : "3.1",
                           accepted.clean_start, keep_alive_secs_, result.session_present));
  }
  return result.session_present;
}

void Client::resume() {
  if (!extras_ || !extras_->resumption) return;
  const auto resumption = std::move(extras_->resumption);
  for (auto& delivery : resend_inflight(resumption->resumed)) deliver_now(std::move(delivery));
  for (const auto& offline : resumption->queued) deliver_now(from_offline(offline));
}

std::vector<Delivery> Client::resend_inflight(SessionHandOver& hand_over) {
  if (!hand_over.inbound_qos2.empty()) {
    extras().inbound_qos2.insert(hand_over.inbound_qos2.begin(), hand_over.inbound_qos2.end());
  }
  std::vector<Delivery> unsent;
  for (auto& pending : hand_over.outbound) {
    if (pending.packet_id == 0 || inflight_contains(pending.packet_id)) {
      unsent.push_back(std::move(pending.delivery));
      continue;
    }
    auto& inflight = extras().inflight[pending.packet_id];
    inflight.delivery = std::move(pending.delivery);
    inflight.released = pending.released;
    if (inflight.released) {
      PubRel pubrel;
      pubrel.packet_id = pending.packet_id;
      send(pubrel);
    } else {
      send_publish(pending.packet_id, inflight.delivery, true);
    }
  }
  note_flow_counts();
  return unsent;
}

void Client::adopt_now(SessionHandOver hand_over) {
  if (!connected_) return;
  if (ending_) {
    // Closing too: pass it on with this connection's own hand-over.
    for (auto& pending : hand_over.outbound)
      extras().backlog.push_back(std::move(pending.delivery));
    if (!hand_over.inbound_qos2.empty()) {
      extras().inbound_qos2.insert(hand_over.inbound_qos2.begin(), hand_over.inbound_qos2.end());
    }
    return;
  }
  awaiting_hand_over_ = false;
  auto unsent = resend_inflight(hand_over);
  // Never-sent ones go before what arrived while waiting.
  for (auto it = unsent.rbegin(); it != unsent.rend(); ++it) {
    extras().backlog.push_front(std::move(*it));
  }
  pump_backlog();
}

void Client::deliver_now(Delivery delivery) {
  if (!connected_) {
    // Routed here before the broker learnt that this connection closed:
    // QoS 1 and 2 belong to the session, not to the connection.
    if (ending_ && delivery.qos != QoS::at_most_once) {
      const auto link = make_link();
      broker_.redeliver(std::string(client_id()), link.get(), std::move(delivery));
    }
    return;
  }
  if (!ending_) {
    if (deliveries_paused()) {
      hold_delivery(std::move(delivery));
      return;
    }
    if (const auto* faults = broker_.fault_set();
        faults && faults->armed(traffic::Protocol::kMqtt) && apply_delivery_faults(delivery)) {
      return;
    }
  }
  send_or_queue(std::move(delivery));
}

void Client::hold_delivery(Delivery delivery) {
  auto& backlog = extras().backlog;
  if (backlog.size() >= options().max_queued_messages) {
    broker_.dropped("queue_full");
    return;
  }
  backlog.push_back(std::move(delivery));
  note_flow_counts();
}

void Client::send_or_queue(Delivery delivery, bool from_backlog) {
  if (ending_) {
    // Closing: keep QoS 1/2 for the session hand-over.
    if (delivery.qos != QoS::at_most_once) extras().backlog.push_back(std::move(delivery));
    return;
  }
  const auto& expires_at = delivery.message->expires_at;
  if (expires_at && *expires_at <= storage::Clock::now()) {
    broker_.dropped("expired");
    return;
  }
  if (const auto* access = acl();
      access && !access->may_receive(identity(), delivery.message->topic)) {
    broker_.dropped("not_authorized");
    return;
  }
  if (delivery.qos == QoS::at_most_once) {
    if (congested()) {
      broker_.dropped("slow_subscriber");
      return;
    }
    send_publish(0, delivery, false);
    return;
  }
  if (!awaiting_hand_over_ && inflight_count() < receive_maximum()) {
    // A slow reader: QoS 1/2 wait in the backlog rather than in the
    // connection's output, which would grow without bound; the ones behind
    // a waiting backlog queue after it, in order.
    if (congested()) {
      await_drain();
    } else if (from_backlog || !extras_ || !extras_->awaiting_drain || backlog_empty()) {
      send_inflight(std::move(delivery));
      return;
    }
  }
  auto& backlog = extras().backlog;
  if (backlog.size() >= options().max_queued_messages) {
    broker_.dropped("queue_full");
    return;
  }
  backlog.push_back(std::move(delivery));
  note_flow_counts();
}

void Client::await_drain() {
  auto& extras = this->extras();
  if (extras.awaiting_drain) return;
  extras.awaiting_drain = true;
  notify_when_drained();
}

void Client::on_output_drained() {
  if (!extras_ || !extras_->awaiting_drain) return;
  extras_->awaiting_drain = false;
  pump_backlog();
}

void Client::send_inflight(Delivery delivery) {
  {
    const uint16_t packet_id = next_packet_id();
    auto& inflight = extras().inflight[packet_id];
    inflight.delivery = std::move(delivery);
    send_publish(packet_id, inflight.delivery, false);
    note_flow_counts();
  }
}

void Client::note_flow_counts() {
  inflight_seen_.store(static_cast<uint16_t>(inflight_count()), std::memory_order_relaxed);
  queued_seen_.store(extras_ ? static_cast<uint32_t>(extras_->backlog.size()) : 0,
                     std::memory_order_relaxed);
}

ClientInfo Client::describe() const {
  ClientInfo info;
  info.client_id = std::string(registered_id());
  info.protocol_version = static_cast<uint8_t>(version_);
  info.keep_alive_secs = keep_alive_secs_;
  info.address = peer_address();
  info.inflight = inflight_seen_.load(std::memory_order_relaxed);
  info.queued = queued_seen_.load(std::memory_order_relaxed);
  return info;
}

bool Client::send_publish(uint16_t packet_id, const Delivery& delivery, bool dup) {
  const Message& message = *delivery.message;
  Publish publish;
  publish.dup = dup;
  publish.qos = delivery.qos;
  publish.retain = delivery.retain;
  publish.topic_name = message.topic;
  publish.packet_id = packet_id;
  publish.payload = *message.payload;
  uint16_t new_alias = 0;
  if (v5()) {
    publish.properties = message.properties;
    if (message.expires_at) {
      const auto left =
          std::chrono::ceil<std::chrono::seconds>(*message.expires_at - storage::Clock::now());
      publish.properties.set(PropertyId::message_expiry_interval,
                             static_cast<uint32_t>(std::max<int64_t>(1, left.count())));
    }
    for (uint32_t id : delivery.subscription_identifiers) {
      publish.properties.add(PropertyId::subscription_identifier, id);
    }
    // Server -> client topic aliases, up to the client's Topic Alias Maximum:
    // the first PUBLISH on a topic carries topic and alias, later ones only
    // the alias. Once every alias is taken, new topics go without one.
    if (extras_ && extras_->topic_alias_maximum > 0) {
      auto& aliases = extras().outbound_aliases;
      if (auto it = aliases.find(message.topic); it != aliases.end()) {
        publish.topic_name.clear();
        publish.properties.set(PropertyId::topic_alias, static_cast<uint32_t>(it->second));
      } else if (aliases.size() < extras_->topic_alias_maximum) {
        new_alias = static_cast<uint16_t>(aliases.size() + 1);
        publish.properties.set(PropertyId::topic_alias, static_cast<uint32_t>(new_alias));
      }
    }
  }
  Bytes encoded = encode_packet(publish, version_);
  if (v5() && extras_ && encoded.size() > extras_->maximum_packet_size) {
    // The client's Maximum Packet Size: the message is discarded [MQTT-3.1.2-25].
    broker_.dropped("too_large");
    if (packet_id != 0 && extras_) extras_->inflight.erase(packet_id);
    note_flow_counts();
    return false;
  }
  if (new_alias != 0) extras().outbound_aliases.emplace(message.topic, new_alias);
  auto& stats = broker_.stats();
  stats.packets_sent.fetch_add(1, std::memory_order_relaxed);
  stats.bytes_sent.fetch_add(encoded.size(), std::memory_order_relaxed);
  stats.publish_sent.fetch_add(1, std::memory_order_relaxed);
  stats.publish_bytes_sent.fetch_add(message.payload->size(), std::memory_order_relaxed);
  send_bytes(std::move(encoded));
  if (auto* metrics = broker_.metrics()) metrics->delivered();
  if (events_on()) {
    emit_event(traffic::EventKind::kDeliver, message.topic,
               fmt::format("qos {}{}{}", static_cast<int>(delivery.qos),
                           delivery.retain ? " retain" : "", dup ? " dup" : ""),
               message.payload.get());
  }
  return true;
}

void Client::emit_event(traffic::EventKind kind, std::string_view topic, std::string_view detail,
                        const Bytes* payload) const {
  auto* events = broker_.listening_events();
  if (events == nullptr) return;
  traffic::Event event;
  event.protocol = traffic::Protocol::kMqtt;
  event.kind = kind;
  event.client_id = std::string(client_id());
  event.connection = peer_address();
  event.topic = std::string(topic);
  event.detail = std::string(detail);
  if (payload != nullptr) {
    const std::string_view bytes(reinterpret_cast<const char*>(payload->data()), payload->size());
    event.size = bytes.size();
    event.preview = traffic::Events::preview(bytes);
  }
  events->emit(std::move(event));
}

uint16_t Client::next_packet_id() {
  do {
    uint16_t& last = extras().last_packet_id;
    last = static_cast<uint16_t>(last == 65535 ? 1 : last + 1);
  } while (inflight_contains(extras_->last_packet_id));
  return extras_->last_packet_id;
}

void Client::pump_backlog() {
  while (!backlog_empty() && inflight_count() < receive_maximum() && !ending_ &&
         !awaiting_hand_over_ && !deliveries_paused()) {
    if (congested()) {
      await_drain();
      break;
    }
    Delivery delivery = std::move(extras_->backlog.front());
    extras_->backlog.pop_front();
    send_or_queue(std::move(delivery), true);
  }
}

void Client::on_puback(uint16_t packet_id) {
  if (!extras_) return;
  auto& inflight = extras_->inflight;
  auto it = inflight.find(packet_id);
  if (it == inflight.end() || it->second.delivery.qos != QoS::at_least_once) return;
  if (events_on()) {
    emit_event(traffic::EventKind::kAck, it->second.delivery.message->topic,
               fmt::format("PUBACK {}", packet_id));
  }
  inflight.erase(it);
  pump_backlog();
  note_flow_counts();
}

void Client::on_pubrec(const PubRec& pubrec) {
  auto& inflight = extras().inflight;
  auto it = inflight.find(pubrec.packet_id);
  PubRel pubrel;
  pubrel.packet_id = pubrec.packet_id;
  if (it == inflight.end() || it->second.delivery.qos != QoS::exactly_once) {
    pubrel.reason_code = ReasonCode::packet_identifier_not_found;
    send(pubrel);
    return;
  }
  if (is_error(pubrec.reason_code)) {  // the receiver refused it: the flow ends here
    if (events_on()) {
      emit_event(traffic::EventKind::kNack, it->second.delivery.message->topic,
                 fmt::format("PUBREC {}: {} (0x{:02X})", pubrec.packet_id,
                             reason_code_name(pubrec.reason_code),
                             static_cast<unsigned>(pubrec.reason_code)));
    }
    inflight.erase(it);
    pump_backlog();
    note_flow_counts();
    return;
  }
  it->second.released = true;
  send(pubrel);
}

void Client::on_pubcomp(uint16_t packet_id) {
  if (!extras_) return;
  auto& inflight = extras_->inflight;
  auto it = inflight.find(packet_id);
  if (it == inflight.end() || !it->second.released) return;
  if (events_on()) {
    emit_event(traffic::EventKind::kAck, it->second.delivery.message->topic,
               fmt::format("PUBCOMP {}", packet_id));
  }
  inflight.erase(it);
  pump_backlog();
  note_flow_counts();
}

}  // namespace mockforge::mqtt
