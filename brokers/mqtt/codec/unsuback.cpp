#include "brokers/mqtt/codec/unsuback.h"

#include "brokers/mqtt/codec/property_wire.h"
#include "brokers/mqtt/codec/wire.h"

namespace mockforge::mqtt {

DecodeResult<Unsuback> decode_unsuback(const FixedHeader& header,
                                       std::span<const std::uint8_t> body, ProtocolVersion version,
                                       const DecodeOptions& options) {
  return wire::guarded_decode(body, options, [&](wire::Reader& reader) {
    wire::expect_flags(header, 0);
    Unsuback packet;
    packet.packet_id = wire::read_packet_id(reader);
    if (is_v5(version)) {
      packet.properties = wire::read_properties(reader, PropertyContext::unsuback);
      while (!reader.at_end()) {
        packet.reason_codes.push_back(wire::read_reason_code(reader, PacketType::unsuback));
      }
    }
    reader.expect_end("UNSUBACK");
    return packet;
  });
}

void encode(const Unsuback& packet, ProtocolVersion version, Bytes& out) {
  wire::PacketWriter writer(out, PacketType::unsuback, 0);
  Bytes& body = writer.body();
  wire::append_packet_id(packet.packet_id, body);
  if (is_v5(version)) {
    wire::append_properties(packet.properties, PropertyContext::unsuback, body);
    for (const ReasonCode code : packet.reason_codes) {
      wire::append_byte(static_cast<std::uint8_t>(code), body);
    }
  }
  writer.finish();
}

}  // namespace mockforge::mqtt
