#include "brokers/mqtt/codec/subscribe.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/topic.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {
namespace {

constexpr std::uint8_t kQoSMask = 0x03;
constexpr std::uint8_t kNoLocal = 0x04;
constexpr std::uint8_t kRetainAsPublished = 0x08;
constexpr std::uint8_t kRetainHandlingShift = 4;

SubscriptionOptions read_options(wire::Reader& reader, ProtocolVersion version,
                                 std::string_view topic_filter) {
  const std::uint8_t byte = reader.byte("Subscription Options");
  SubscriptionOptions options;
  const std::uint8_t qos = byte & kQoSMask;
  if (!is_v5(version)) {
    // [MQTT-3-8.3-4]: reserved bits and QoS 3 make the packet malformed.
    if ((byte & 0xFC) != 0) wire::fail(ReasonCode::malformed_packet, "reserved bits are set");
    if (qos == 3) wire::fail(ReasonCode::malformed_packet, "requested QoS is 3");
    options.max_qos = static_cast<QoS>(qos);
    return options;
  }
  if ((byte & 0xC0) != 0) {
    wire::fail(ReasonCode::malformed_packet, "Subscription Options reserved bits are set");
  }
  if (qos == 3) wire::fail(ReasonCode::protocol_error, "Maximum QoS is 3");
  const std::uint8_t retain_handling = (byte >> kRetainHandlingShift) & 0x03;
  if (retain_handling == 3) wire::fail(ReasonCode::protocol_error, "Retain Handling is 3");
  options.max_qos = static_cast<QoS>(qos);
  options.no_local = (byte & kNoLocal) != 0;
  options.retain_as_published = (byte & kRetainAsPublished) != 0;
  options.retain_handling = static_cast<RetainHandling>(retain_handling);
  if (options.no_local) {
    const auto parsed = parse_topic_filter(topic_filter);
    if (parsed && parsed->is_shared()) {
      wire::fail(ReasonCode::protocol_error, "No Local on a Shared Subscription");
    }
  }
  return options;
}

std::uint8_t options_byte(const SubscriptionOptions& options, ProtocolVersion version) {
  const auto qos = static_cast<std::uint8_t>(options.max_qos);
  if (qos > 2) throw EncodeError("invalid subscription QoS");
  if (!is_v5(version)) return qos;
  const auto retain_handling = static_cast<std::uint8_t>(options.retain_handling);
  if (retain_handling > 2) throw EncodeError("invalid Retain Handling");
  std::uint8_t byte = qos;
  if (options.no_local) byte |= kNoLocal;
  if (options.retain_as_published) byte |= kRetainAsPublished;
  byte |= static_cast<std::uint8_t>(retain_handling << kRetainHandlingShift);
  return byte;
}

}  // namespace

DecodeResult<Subscribe> decode_subscribe(const FixedHeader& header,
                                         std::span<const std::uint8_t> body,
                                         ProtocolVersion version, const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0x02);
    Subscribe packet;
    packet.packet_id = wire::read_packet_id(reader);
    if (is_v5(version)) {
      packet.properties = wire::read_properties(reader, PropertyContext::subscribe);
    }
    if (reader.at_end()) {
      wire::fail(ReasonCode::protocol_error, "SUBSCRIBE without any Topic Filter");
    }
    while (!reader.at_end()) {
      Subscription subscription;
      subscription.topic_filter = reader.utf8_string("Topic Filter");
      subscription.options = read_options(reader, version, subscription.topic_filter);
      packet.subscriptions.push_back(std::move(subscription));
    }
    return packet;
  });
}

void encode(const Subscribe& packet, ProtocolVersion version, Bytes& out) {
  if (packet.subscriptions.empty()) throw EncodeError("SUBSCRIBE needs a Topic Filter");
  wire::PacketWriter writer(out, PacketType::subscribe, 0x02);
  Bytes& body = writer.body();
  wire::append_packet_id(packet.packet_id, body);
  if (is_v5(version)) wire::append_properties(packet.properties, PropertyContext::subscribe, body);
  for (const auto& subscription : packet.subscriptions) {
    wire::append_utf8_string(subscription.topic_filter, body);
    wire::append_byte(options_byte(subscription.options, version), body);
  }
  writer.finish();
}

}  // namespace mockforge::mqtt
