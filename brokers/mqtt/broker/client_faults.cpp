// The fault seam of the MQTT broker: a decoded packet, before its handler;
// and a delivery to the client (the pseudo-packet "deliver", a PUBLISH the
// broker sends), before it is sent or queued.
#include <cctype>
#include <memory>
#include <string>

#include "brokers/mqtt/broker/client.h"
#include "brokers/mqtt/broker/faults.h"
#include "brokers/mqtt/handlers/handlers.h"
#include "faults/fault_set.h"

namespace mockforge::mqtt {

namespace {

constexpr PacketType kClientPackets[] = {
    PacketType::connect, PacketType::publish,    PacketType::puback,    PacketType::pubrec,
    PacketType::pubrel,  PacketType::pubcomp,    PacketType::subscribe, PacketType::unsubscribe,
    PacketType::pingreq, PacketType::disconnect, PacketType::auth};

// "deliver" is not a packet type: it names the broker's PUBLISH to a
// subscriber, which only pause and drop can match.
constexpr std::string_view kDeliver = "deliver";
constexpr int32_t kDeliverId = 0x100;

std::string lower_name(std::string_view text) {
  std::string out;
  for (const char c : text) {
    out +=
        c == ' ' || c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The packet that carries a refusal of `packet`.
PacketType answer_of(PacketType packet) {
  switch (packet) {
    case PacketType::connect:
      return PacketType::connack;
    case PacketType::publish:
      return PacketType::puback;
    case PacketType::subscribe:
      return PacketType::suback;
    case PacketType::unsubscribe:
      return PacketType::unsuback;
    default:
      return PacketType::disconnect;
  }
}

void resolve(faults::Rule& rule) {
  auto& match = rule.match;
  std::optional<PacketType> packet;
  if (!match.operation.empty()) {
    const auto wanted = lower_name(match.operation);
    if (wanted == kDeliver) {
      match.operation = std::string(kDeliver);
      match.operation_id = kDeliverId;
      const auto kind = rule.action.kind;
      if (kind != faults::ActionKind::kPause && kind != faults::ActionKind::kDrop) {
        throw faults::RuleError("action.type",
                                "deliver (the broker's PUBLISH to a subscriber) takes pause or "
                                "drop");
      }
      return;
    }
    std::string known;
    for (const auto type : kClientPackets) {
      const auto name = lower_name(packet_type_name(type));
      if (name == wanted) packet = type;
      known += (known.empty() ? "" : ", ") + name;
    }
    if (!packet) {
      throw faults::RuleError(
          "match.packet",
          "'" + match.operation + "' is not a packet a client sends (" + known + ") or deliver");
    }
    match.operation = lower_name(packet_type_name(*packet));
    match.operation_id = static_cast<int32_t>(*packet);
  }
  if (match.topic && packet && *packet != PacketType::publish && *packet != PacketType::subscribe &&
      *packet != PacketType::unsubscribe) {
    throw faults::RuleError("match.topic",
                            "only publish, subscribe and unsubscribe carry topics or filters");
  }
  auto& action = rule.action;
  switch (action.kind) {
    case faults::ActionKind::kError: {
      if (!packet) throw faults::RuleError("match.packet", "an error action needs the packet");
      std::optional<int> code;
      const auto& text = action.code_text;
      try {
        std::size_t used = 0;
        const int value = std::stoi(text, &used, 0);  // 151 or 0x97
        if (used == text.size()) code = value;
      } catch (const std::exception&) {
      }
      if (!code) {
        const auto wanted = lower_name(text);
        for (int value = 0x80; value <= 0xFF; ++value) {
          if (is_known_reason_code(static_cast<uint8_t>(value)) &&
              lower_name(reason_code_name(static_cast<ReasonCode>(value))) == wanted) {
            code = value;
          }
        }
      }
      if (!code || *code < 0x80 || *code > 0xFF ||
          !is_known_reason_code(static_cast<uint8_t>(*code))) {
        throw faults::RuleError("action.code",
                                "'" + text +
                                    "' is not an MQTT 5 error reason code (0x80 or more, as a "
                                    "number, \"0x97\" or a name such as quota_exceeded)");
      }
      const auto answer = answer_of(*packet);
      if (!is_reason_code_allowed(answer, static_cast<ReasonCode>(*code))) {
        throw faults::RuleError("action.code", "reason code " + text + " may not be sent in " +
                                                   std::string(packet_type_name(answer)) +
                                                   " (the answer to " + match.operation + ")");
      }
      action.code = *code;
      action.code_text = lower_name(reason_code_name(static_cast<ReasonCode>(*code)));
      break;
    }
    case faults::ActionKind::kNack:
    case faults::ActionKind::kChannelClose:
    case faults::ActionKind::kConnectionClose:
      throw faults::RuleError("action.type", std::string(faults::to_string(action.kind)) +
                                                 " is an AMQP action; MQTT takes error, latency, "
                                                 "close, drop, throttle or pause");
    default:
      break;
  }
}

}  // namespace

void register_fault_resolver(faults::FaultSet& faults) {
  faults.set_resolver(traffic::Protocol::kMqtt, &resolve);
}

bool Client::apply_faults(Packet& packet) {
  const PacketType type = packet_type(packet);
  faults::Subject subject;
  subject.protocol = traffic::Protocol::kMqtt;
  subject.operation_id = static_cast<int32_t>(type);
  const std::string operation = lower_name(packet_type_name(type));
  subject.operation = operation;
  subject.client = client_id();
  if (const auto* connect = std::get_if<Connect>(&packet)) subject.client = connect->client_id;
  if (const auto* publish = std::get_if<Publish>(&packet)) {
    subject.topics.emplace_back(publish->topic_name, -1);
  } else if (const auto* subscribe = std::get_if<Subscribe>(&packet)) {
    for (const auto& subscription : subscribe->subscriptions) {
      subject.topics.emplace_back(subscription.topic_filter, -1);
    }
  } else if (const auto* unsubscribe = std::get_if<Unsubscribe>(&packet)) {
    for (const auto& filter : unsubscribe->topic_filters) subject.topics.emplace_back(filter, -1);
  }
  const auto firing = broker_.fault_set()->evaluate(subject);
  if (!firing) return false;
  const std::string why = "fault rule " + firing->rule;
  using faults::ActionKind;
  switch (firing->action.kind) {
    case ActionKind::kError: {
      const auto code = static_cast<ReasonCode>(firing->action.code);
      if (auto* connect = std::get_if<Connect>(&packet)) {
        set_version(connect->protocol_version);
        refuse_connect(code, why);
      } else if (const auto* publish = std::get_if<Publish>(&packet)) {
        if (publish->qos == QoS::at_most_once) {
          broker_.dropped("fault");  // nothing to answer with: not routed
        } else if (!v5()) {
          // 3.1.1 has no negative acknowledgement: the server closes instead.
          end(why + ": 3.1.1 cannot refuse a PUBLISH, closing");
        } else if (publish->qos == QoS::at_least_once) {
          PubAck puback;
          puback.packet_id = publish->packet_id;
          puback.reason_code = code;
          send(puback);
        } else {
          PubRec pubrec;
          pubrec.packet_id = publish->packet_id;
          pubrec.reason_code = code;
          send(pubrec);
        }
      } else if (const auto* subscribe = std::get_if<Subscribe>(&packet)) {
        Suback suback;
        suback.packet_id = subscribe->packet_id;
        suback.reason_codes.assign(subscribe->subscriptions.size(), code);
        send(suback);
      } else if (const auto* unsubscribe = std::get_if<Unsubscribe>(&packet); unsubscribe && v5()) {
        Unsuback unsuback;
        unsuback.packet_id = unsubscribe->packet_id;
        unsuback.reason_codes.assign(unsubscribe->topic_filters.size(), code);
        send(unsuback);
      } else {
        fail(code, why);  // v5: DISCONNECT with the code; 3.1.1: the connection closes
      }
      return true;
    }
    case ActionKind::kClose:
      // A dropped network connection: the will, if any, is published.
      end(why + " closed the connection");
      return true;
    case ActionKind::kDrop:
      if (std::holds_alternative<Publish>(packet)) broker_.dropped("fault");
      return true;
    case ActionKind::kLatency:
    case ActionKind::kThrottle:
    case ActionKind::kPause: {
      if (firing->delay.count() <= 0) return false;
      auto held = std::make_shared<Packet>(std::move(packet));
      hold_input(firing->delay, [this, held] {
        if (!ending_) dispatch_packet(*this, *held);
      });
      return true;
    }
    default:
      return false;  // AMQP actions: the resolver refuses them for MQTT
  }
}

bool Client::apply_delivery_faults(Delivery& delivery) {
  faults::Subject subject;
  subject.protocol = traffic::Protocol::kMqtt;
  subject.operation_id = kDeliverId;
  subject.operation = kDeliver;
  subject.client = client_id();
  subject.topics.emplace_back(delivery.message->topic, -1);
  const auto firing = broker_.fault_set()->evaluate(subject);
  if (!firing) return false;
  switch (firing->action.kind) {
    case faults::ActionKind::kDrop:
      broker_.dropped("fault");
      return true;
    case faults::ActionKind::kPause: {
      if (firing->delay.count() <= 0) return false;
      // Deliveries wait in the backlog, in order, until the window ends;
      // the connection is read meanwhile (keep alive, acknowledgements).
      extras().deliveries_paused = true;
      hold_delivery(std::move(delivery));
      run_after(firing->delay, [this] {
        if (!extras_) return;
        extras_->deliveries_paused = false;
        pump_backlog();
        note_flow_counts();
      });
      return true;
    }
    default:
      return false;  // the resolver allows only pause and drop on deliver
  }
}

}  // namespace mockforge::mqtt
