#include "brokers/mqtt/codec/publish.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {
namespace {

constexpr std::uint8_t kRetain = 0x01;
constexpr std::uint8_t kQoSShift = 1;
constexpr std::uint8_t kDup = 0x08;

}  // namespace

DecodeResult<Publish> decode_publish(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     ProtocolVersion version, const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    Publish packet;
    const std::uint8_t qos = (header.flags >> kQoSShift) & 0x03;
    if (qos == 3) wire::fail(ReasonCode::malformed_packet, "PUBLISH QoS is 3");
    packet.qos = static_cast<QoS>(qos);
    packet.dup = (header.flags & kDup) != 0;
    packet.retain = (header.flags & kRetain) != 0;
    if (packet.dup && packet.qos == QoS::at_most_once) {
      wire::fail(ReasonCode::malformed_packet, "DUP set on a QoS 0 PUBLISH");
    }
    packet.topic_name = reader.utf8_string("Topic Name");
    if (packet.topic_name.find_first_of("+#") != std::string::npos) {
      wire::fail(ReasonCode::topic_name_invalid, "Topic Name contains a wildcard");
    }
    if (packet.qos != QoS::at_most_once) packet.packet_id = wire::read_packet_id(reader);
    if (is_v5(version)) {
      packet.properties = wire::read_properties(reader, PropertyContext::publish);
      if (packet.topic_name.empty() && !packet.properties.contains(PropertyId::topic_alias)) {
        wire::fail(ReasonCode::protocol_error, "empty Topic Name without Topic Alias");
      }
    } else if (packet.topic_name.empty()) {
      wire::fail(ReasonCode::topic_name_invalid, "empty Topic Name");
    }
    auto payload = reader.take_rest();
    packet.payload.assign(payload.begin(), payload.end());
    return packet;
  });
}

void encode(const Publish& packet, ProtocolVersion version, Bytes& out) {
  if (packet.qos != QoS::at_most_once && packet.qos != QoS::at_least_once &&
      packet.qos != QoS::exactly_once) {
    throw EncodeError("invalid PUBLISH QoS");
  }
  if (packet.dup && packet.qos == QoS::at_most_once) {
    throw EncodeError("DUP must be 0 for a QoS 0 PUBLISH");
  }
  std::uint8_t flags =
      static_cast<std::uint8_t>(static_cast<std::uint8_t>(packet.qos) << kQoSShift);
  if (packet.dup) flags |= kDup;
  if (packet.retain) flags |= kRetain;
  wire::PacketWriter writer(out, PacketType::publish, flags);
  Bytes& body = writer.body();
  wire::append_utf8_string(packet.topic_name, body);
  if (packet.qos != QoS::at_most_once) wire::append_packet_id(packet.packet_id, body);
  if (is_v5(version)) wire::append_properties(packet.properties, PropertyContext::publish, body);
  body.insert(body.end(), packet.payload.begin(), packet.payload.end());
  writer.finish();
}

}  // namespace mockforge::mqtt
