#include "brokers/mqtt/codec/puback.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {
namespace {

template <typename Packet>
DecodeResult<Packet> decode_response(PacketType type, PropertyContext context,
                                     std::uint8_t required_flags, const FixedHeader& header,
                                     std::span<const std::uint8_t> body, ProtocolVersion version,
                                     const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, required_flags);
    Packet packet;
    packet.packet_id = wire::read_packet_id(reader);
    if (is_v5(version)) {
      // Remaining Length 2: Success, no properties; 3: reason code only.
      if (!reader.at_end()) packet.reason_code = wire::read_reason_code(reader, type);
      if (!reader.at_end()) packet.properties = wire::read_properties(reader, context);
    }
    reader.expect_end(packet_type_name(type));
    return packet;
  });
}

void encode_response(const PublishResponse& packet, PacketType type, PropertyContext context,
                     std::uint8_t flags, ProtocolVersion version, Bytes& out) {
  wire::PacketWriter writer(out, type, flags);
  Bytes& body = writer.body();
  wire::append_packet_id(packet.packet_id, body);
  if (is_v5(version)) {
    if (!packet.properties.empty()) {
      wire::append_byte(static_cast<std::uint8_t>(packet.reason_code), body);
      wire::append_properties(packet.properties, context, body);
    } else if (packet.reason_code != ReasonCode::success) {
      wire::append_byte(static_cast<std::uint8_t>(packet.reason_code), body);
    }
  }
  writer.finish();
}

}  // namespace

DecodeResult<PubAck> decode_puback(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options) {
  return decode_response<PubAck>(PacketType::puback, PropertyContext::puback, 0, header, body,
                                 version, options);
}

DecodeResult<PubRec> decode_pubrec(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options) {
  return decode_response<PubRec>(PacketType::pubrec, PropertyContext::pubrec, 0, header, body,
                                 version, options);
}

DecodeResult<PubRel> decode_pubrel(const FixedHeader& header, std::span<const std::uint8_t> body,
                                   ProtocolVersion version, const DecodeOptions& options) {
  return decode_response<PubRel>(PacketType::pubrel, PropertyContext::pubrel, 0x02, header, body,
                                 version, options);
}

DecodeResult<PubComp> decode_pubcomp(const FixedHeader& header, std::span<const std::uint8_t> body,
                                     ProtocolVersion version, const DecodeOptions& options) {
  return decode_response<PubComp>(PacketType::pubcomp, PropertyContext::pubcomp, 0, header, body,
                                  version, options);
}

void encode(const PubAck& packet, ProtocolVersion version, Bytes& out) {
  encode_response(packet, PacketType::puback, PropertyContext::puback, 0, version, out);
}

void encode(const PubRec& packet, ProtocolVersion version, Bytes& out) {
  encode_response(packet, PacketType::pubrec, PropertyContext::pubrec, 0, version, out);
}

void encode(const PubRel& packet, ProtocolVersion version, Bytes& out) {
  encode_response(packet, PacketType::pubrel, PropertyContext::pubrel, 0x02, version, out);
}

void encode(const PubComp& packet, ProtocolVersion version, Bytes& out) {
  encode_response(packet, PacketType::pubcomp, PropertyContext::pubcomp, 0, version, out);
}

}  // namespace mockforge::mqtt
